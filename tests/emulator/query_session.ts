/**
 * For the emulator's own tests: an emulator on a fake clock whose jobs finish
 * at once, and queries that return the job answer with its JSONL records
 * parsed (64-bit integers kept exact).
 */
import { call, login } from "../support/api_session.ts";
import { gunzipText } from "../support/gunzip.ts";
import { Emulator, type EmulatorOptions } from "./emulator.ts";
import { type Json, parseJson, stringifyJson } from "./json_text.ts";

/** A record as the tests read it. */
export type JsonRecord = {
  meta: { ts: string; action?: string };
  key: Record<string, Json>;
  value?: Record<string, Json>;
};

/** A job answer and, when complete, its objects' bytes and (JSONL) records in order. */
export interface QueryResult {
  status: number;
  job: Record<string, unknown>;
  parts: Uint8Array[];
  records: JsonRecord[];
}

/** An emulator with instant jobs, a logged-in token and a query helper. */
export class QuerySession {
  readonly emulator: Emulator;
  #token?: string;

  constructor(options: EmulatorOptions = {}) {
    this.emulator = new Emulator({
      jobWaitingMs: 0,
      jobRunningMs: 0,
      tokenLifetimeSeconds: 10_000_000,
      now: () => Date.UTC(2026, 10, 26, 12),
      ...options,
    });
  }

  /** Posts a query for `namespace.table`; reads the objects of a complete job. */
  async query(
    namespace: string,
    table: string,
    body: Record<string, unknown>,
  ): Promise<QueryResult> {
    this.#token ??= await login(this.emulator.handler);
    const path = `/dap/query/${namespace}/table/${table}/data`;
    const { status, json } = await call(this.emulator.handler, this.#token, "POST", path, body);
    const objects = (json.objects ?? []) as { id: string }[];
    const parts = objects.map((o) => this.emulator.objectBytes(o.id));
    const records = body.format !== "jsonl"
      ? []
      : parts.flatMap((bytes) =>
        gunzipText(bytes).split("\n").filter((l) => l).map((line) =>
          parseJson(line) as unknown as JsonRecord
        )
      );
    return { status, job: json, parts, records };
  }

  /** The schema endpoint's answer. */
  async schema(namespace: string, table: string): Promise<Record<string, unknown>> {
    this.#token ??= await login(this.emulator.handler);
    const path = `/dap/query/${namespace}/table/${table}/schema`;
    return (await call(this.emulator.handler, this.#token, "GET", path)).json;
  }
}

/** A record's key as text, for maps keyed by primary key. */
export function keyText(record: JsonRecord): string {
  return stringifyJson(record.key);
}

/** A record as text without `meta.action`, so snapshot and incremental records compare. */
export function stateText(record: JsonRecord): string {
  const { action: _action, ...meta } = record.meta;
  return stringifyJson({ ...record, meta } as unknown as Json);
}
