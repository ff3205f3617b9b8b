/**
 * Query jobs: validates a query body, de-duplicates identical queries while a
 * job lives, moves each job through waiting -> running -> complete (or
 * failed) by the clock, decides which rows each object holds, and answers job
 * objects with exactly the keys the contract lists (§2.2).
 */
import { findTable, listTables, schemaVersion } from "./catalogue.ts";
import { type DataFormat, EXTENSIONS, type FlattenMode } from "./encode.ts";
import { hashOf, Random } from "./random.ts";
import { isDeleted, type RowSource, rowTimestamp } from "./rows.ts";
import type { SharedState } from "./shared_state.ts";

/** One object of a complete job. */
export interface ObjectEntry {
  id: string;
  fileName: string;
  /** row indices in this object */
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
  objects?: ObjectEntry[];
}

/** Matches the RFC 3339 date-times the API accepts (a zone is mandatory). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
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
    if (!findTable(namespace, table)) return respond.notFound("table", table);
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
    const sinceMs = since === undefined ? undefined : Date.parse(since as string);
    const untilMs = until === undefined ? undefined : Date.parse(until as string);
    const keptFrom = options.dataAt - options.keptMs;
    if (sinceMs !== undefined && sinceMs < keptFrom) {
      return respond.error(400, "OutOfRangeError", "since is older than the changes kept", {
        since: isoSeconds(keptFrom),
        until: null,
      });
    }
    if (sinceMs !== undefined && untilMs !== undefined && untilMs < sinceMs) {
      return respond.validationError("until must not be before since");
    }
    const key = JSON.stringify([
      namespace,
      table,
      format,
      mode ?? null,
      sinceMs ?? null,
      untilMs ?? null,
    ]);
    const job = this.#findOrCreate(key, {
      namespace,
      table,
      format: format as DataFormat,
      mode: mode as FlattenMode | undefined,
      since: sinceMs,
      until: untilMs,
      fails,
    });
    return this.#answer(job);
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

  /** Where a job's rows come from. */
  source(job: JobEntry): RowSource {
    const { options } = this.#state;
    return {
      seed: options.seed,
      namespace: job.namespace,
      table: job.table,
      spec: findTable(job.namespace, job.table)!,
      start: options.dataAt - options.keptMs,
      end: options.dataAt,
    };
  }

  #findOrCreate(key: string, fields: Omit<JobEntry, "id" | "key" | "createdAt">): JobEntry {
    const existing = this.#jobsByKey.get(key);
    if (existing && !this.#expired(existing)) return existing;
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
    const source = this.source(job);
    const rows: number[] = [];
    const until = job.until ?? options.dataAt;
    if (options.synthetic) {
      for (let i = 0; i < options.synthetic.objects; i++) rows.push(i);
    } else {
      for (let i = 0; i < options.rows; i++) {
        if (job.since === undefined) {
          if (!isDeleted(source, i)) rows.push(i);
        } else {
          const ts = rowTimestamp(source, i);
          if (ts > job.since && ts <= until) rows.push(i);
        }
      }
    }
    const perObject = options.synthetic ? 1 : options.rowsPerObject;
    const random = new Random(hashOf(options.seed, job.key));
    const runId = random.uuid();
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
    const version = schemaVersion(job.namespace, job.table);
    if (job.since === undefined) {
      return respond.json(200, {
        ...base,
        objects,
        schema_version: version,
        at: isoSeconds(options.dataAt),
      });
    }
    return respond.json(200, {
      ...base,
      objects,
      schema_version: version,
      since: new Date(job.since).toISOString(),
      until: new Date(job.until ?? options.dataAt).toISOString(),
    });
  }
}
