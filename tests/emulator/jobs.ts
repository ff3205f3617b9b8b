/**
 * Query jobs: validates a query body, de-duplicates identical queries while a
 * job lives (and the data instant has not moved), moves each job through
 * waiting -> running -> complete (or failed) by the clock, decides which rows
 * each object holds, and answers job objects with exactly the keys the
 * contract lists (§2.2).
 *
 * A job answers for the data instant it was created at (`dataAt` then): a
 * snapshot's `at` is that instant; an incremental's `until` defaults to it and
 * may not exceed it, and its `since` may not be older than `keptMs` before it.
 */
import { listTables } from "./catalogue.ts";
import { type DataFormat, EXTENSIONS, type FlattenMode } from "./encode.ts";
import { hashOf, Random } from "./random.ts";
import { changedKeys, snapshotKeys } from "./row_history.ts";
import type { RowSource } from "./rows.ts";
import type { SharedState } from "./shared_state.ts";
import { tableAt } from "./table_at.ts";

/** One object of a complete job. */
export interface ObjectEntry {
  id: string;
  fileName: string;
  /** key indices of the rows in this object, in order (a repeated row appears twice) */
  rows: number[];
}

/** One query job. */
export interface JobEntry {
  id: string;
  key: string;
  namespace: string;
  table: string;
  format: DataFormat;
  mode?: FlattenMode;
  since?: number;
  until?: number;
  createdAt: number;
  fails: boolean;
  /** the data instant the job answers for: `dataAt` when it was created */
  at: number;
  /** the table's schema version at `at` */
  version: number;
  /** the rows and columns served */
  source: RowSource;
  objects?: ObjectEntry[];
}

/** What a query asks for. */
interface QueryFields {
  format: DataFormat;
  mode?: FlattenMode;
  since?: number;
  until?: number;
}

/** Matches the RFC 3339 date-times the API accepts (a zone is mandatory). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant in whole seconds, the fraction dropped. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** An instant as the API writes it: without a fraction when it is whole seconds. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** The jobs of one emulator: creation, status, objects and answers. */
export class Jobs {
  readonly #state: SharedState;
  readonly #jobs = new Map<string, JobEntry>();
  readonly #jobsByKey = new Map<string, JobEntry>();

  constructor(state: SharedState) {
    this.#state = state;
  }

  /** Answers `POST .../data`: a new or de-duplicated job, or the validation error. */
  query(namespace: string, table: string, body: string, fails: boolean): Response {
    const { options, respond } = this.#state;
    if (!listTables(namespace)) return respond.notFound("namespace", namespace);
    const at = options.dataAt;
    const served = tableAt(namespace, table, at, options.schemaBumpAt);
    if (!served) return respond.notFound("table", table);
    const query = this.#parse(body);
    if (query instanceof Response) return query;
    const refused = this.#checkRange(query, at);
    if (refused) return refused;
    const { format, mode, since, until } = query;
    const key = JSON.stringify([
      namespace,
      table,
      format,
      mode ?? null,
      since ?? null,
      until ?? null,
    ]);
    const { spec, bumpedAt } = served;
    const source = { seed: options.seed, namespace, table, rows: options.rows, spec, bumpedAt };
    const job = this.#findOrCreate(key, {
      ...query,
      namespace,
      table,
      fails,
      at,
      version: served.version,
      source,
    });
    return this.#answer(job);
  }

  /** A query body's fields, or the ValidationError to answer. */
  #parse(body: string): QueryFields | Response {
    const { respond } = this.#state;
    let query: Record<string, unknown>;
    try {
      query = JSON.parse(body);
      if (query === null || typeof query !== "object" || Array.isArray(query)) throw new Error();
    } catch {
      return respond.validationError("The request body must be a JSON object");
    }
    const unknown = Object.keys(query).find((k) =>
      !["format", "mode", "since", "until"].includes(k)
    );
    if (unknown) return respond.validationError(`Unknown field '${unknown}'`);
    const { format, mode, since, until } = query;
    if (!["jsonl", "csv", "tsv", "parquet"].includes(format as string)) {
      return respond.validationError("format must be one of jsonl, csv, tsv, parquet");
    }
    if (mode !== undefined && mode !== "expanded" && mode !== "condensed") {
      return respond.validationError("mode must be expanded or condensed");
    }
    for (const [name, value] of [["since", since], ["until", until]] as const) {
      if (value !== undefined && (typeof value !== "string" || !RFC3339.test(value))) {
        return respond.validationError(`${name} must be an RFC 3339 date-time with a zone`);
      }
    }
    if (until !== undefined && since === undefined) {
      return respond.validationError("until is only allowed with since");
    }
    return {
      format: format as DataFormat,
      mode: mode as FlattenMode | undefined,
      since: since === undefined ? undefined : Date.parse(since as string),
      until: until === undefined ? undefined : Date.parse(until as string),
    };
  }

  /** The error to answer when an incremental's window is not served at instant `at`. */
  #checkRange({ since, until }: QueryFields, at: number): Response | undefined {
    const { options, respond } = this.#state;
    if (since === undefined) return undefined;
    const keptFrom = at - options.keptMs;
    if (since < keptFrom) {
      return respond.error(400, "OutOfRangeError", "since is older than the changes kept", {
        since: isoTime(keptFrom),
        until: null,
      });
    }
    if (until !== undefined && until < since) {
      return respond.validationError("until must not be before since");
    }
    if (Math.max(since, until ?? since) > at) {
      return respond.error(400, "OutOfRangeError", "The range ends after the newest change", {
        since: isoTime(keptFrom),
        until: isoTime(at),
      });
    }
    return undefined;
  }

  /** Answers `GET /dap/job/{id}`: the job object, or 404 when unknown or expired. */
  status(id: string): Response {
    const job = this.#jobs.get(id);
    if (!job || this.#expired(job)) return this.#state.respond.notFound("job", id);
    return this.#answer(job);
  }

  /** The live, complete job an object id belongs to, and the object. */
  findObject(id: string): { job: JobEntry; object: ObjectEntry } | undefined {
    const jobId = id.split("/")[0] ?? "";
    const job = this.#jobs.get(jobId);
    if (!job || this.#expired(job) || this.#stage(job) !== "complete") return undefined;
    const object = this.#objectsOf(job).find((o) => o.id === id);
    return object ? { job, object } : undefined;
  }

  #findOrCreate(key: string, fields: Omit<JobEntry, "id" | "key" | "createdAt">): JobEntry {
    const existing = this.#jobsByKey.get(key);
    const same = existing?.at === fields.at && existing.version === fields.version;
    if (existing && same && !this.#expired(existing)) return existing;
    const job: JobEntry = {
      ...fields,
      id: this.#state.uuid(key),
      key,
      createdAt: this.#state.options.now(),
    };
    this.#jobs.set(job.id, job);
    this.#jobsByKey.set(key, job);
    return job;
  }

  #expired(job: JobEntry): boolean {
    const { options } = this.#state;
    return options.now() >= job.createdAt + options.jobLifetimeMs;
  }

  #stage(job: JobEntry): "waiting" | "running" | "complete" | "failed" {
    const { options } = this.#state;
    const age = options.now() - job.createdAt;
    if (age < options.jobWaitingMs) return "waiting";
    if (age < options.jobWaitingMs + options.jobRunningMs) return "running";
    return job.fails ? "failed" : "complete";
  }

  #objectsOf(job: JobEntry): ObjectEntry[] {
    if (job.objects) return job.objects;
    const { options } = this.#state;
    const perObject = options.synthetic ? 1 : options.rowsPerObject;
    const rows = this.#rowsOf(job);
    const runId = new Random(hashOf(options.seed, `${job.key}@${job.at}`)).uuid();
    const objects: ObjectEntry[] = [];
    for (let start = 0; start < rows.length; start += perObject) {
      const part = String(objects.length).padStart(5, "0");
      const standard = `part-${part}-${runId}-c000.${EXTENSIONS[job.format]}`;
      const fileName = options.objectFileName?.(objects.length, standard) ?? standard;
      objects.push({
        id: `${job.id}/${options.objectFileName ? part : fileName}`,
        fileName,
        rows: rows.slice(start, start + perObject),
      });
    }
    job.objects = objects;
    return objects;
  }

  /** The key indices a job serves (synthetic jobs: one index per object). */
  #rowsOf(job: JobEntry): number[] {
    const { synthetic } = this.#state.options;
    if (synthetic) return Array.from({ length: synthetic.objects }, (_, i) => i);
    if (job.since === undefined) return snapshotKeys(job.source, job.at);
    return changedKeys(job.source, job.since, job.until ?? job.at);
  }

  #answer(job: JobEntry): Response {
    const { options, respond } = this.#state;
    const status = this.#stage(job);
    const base = {
      id: job.id,
      status,
      expires_at: isoSeconds(job.createdAt + options.jobLifetimeMs),
    };
    if (status === "waiting" || status === "running") return respond.json(202, base);
    if (status === "failed") {
      return respond.json(200, {
        ...base,
        error: {
          type: "ProcessingError",
          uuid: this.#state.uuid(`failed ${job.id}`),
          message: "The query failed while processing",
        },
      });
    }
    const objects = this.#objectsOf(job).map((o) => ({ id: o.id }));
    if (job.since === undefined) {
      return respond.json(200, {
        ...base,
        objects,
        schema_version: job.version,
        at: isoTime(job.at),
      });
    }
    return respond.json(200, {
      ...base,
      objects,
      schema_version: job.version,
      since: new Date(job.since).toISOString(),
      until: new Date(job.until ?? job.at).toISOString(),
    });
  }
}
