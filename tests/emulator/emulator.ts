/**
 * The local DAP API emulator: one `handler(Request) -> Response` that serves
 * the identity service, the five Query API endpoints and pre-signed object
 * downloads in the shapes of the contract (`shared/dap-api.md`). Tests use the
 * handler directly as an injected `fetch`, or serve it on 127.0.0.1.
 *
 * Everything observable is deterministic for a given seed and clock: job ids,
 * object names, object bytes, faults. Secrets never reach the request log.
 */
import { createHash, createHmac } from "node:crypto";
import { findTable, listTables, schemaVersion } from "./catalogue.ts";
import { tableSchema } from "./columns.ts";
import { type DataFormat, encodeObject, EXTENSIONS, type FlattenMode } from "./encode.ts";
import {
  type ChaosOptions,
  chooseFault,
  type Endpoint,
  type Fault,
  type FaultRule,
} from "./faults.ts";
import { hashOf, Random } from "./random.ts";
import { generateRecord, isDeleted, type RowSource, rowTimestamp } from "./rows.ts";

/** A client id and secret the emulator accepts. */
export interface Credential {
  clientId: string;
  clientSecret: string;
}

/** Documented demo credentials: the emulator accepts these unless told otherwise. */
export const DEMO_CREDENTIAL: Credential = {
  clientId: "us-east-1#dap-demo-client",
  clientSecret: "dap-demo-secret-do-not-use",
};

/** Requests allowed per window, per endpoint. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** The documented per-minute limits (contract §2). */
export const DOCUMENTED_RATE_LIMITS: Partial<Record<Endpoint, RateLimit>> = {
  tables: { limit: 5, windowMs: 60_000 },
  schema: { limit: 500, windowMs: 60_000 },
  query: { limit: 5, windowMs: 60_000 },
  job: { limit: 500, windowMs: 60_000 },
  urls: { limit: 200, windowMs: 60_000 },
};

/** Emulator settings; every one has a documented default. */
export interface EmulatorOptions {
  /** seed of all generated data and ids @default 1 */
  seed?: number;
  /** rows per table (about 3% of them are deletes, absent from snapshots) @default 1000 */
  rows?: number;
  /** rows per object @default 250 */
  rowsPerObject?: number;
  /** accepted credentials @default [DEMO_CREDENTIAL] */
  credentials?: Credential[];
  /** token lifetime in seconds @default 3600 */
  tokenLifetimeSeconds?: number;
  /** how long a new job stays `waiting`, then `running` (ms) @default 100 and 300 */
  jobWaitingMs?: number;
  jobRunningMs?: number;
  /** job lifetime (ms) @default 24 h */
  jobLifetimeMs?: number;
  /** pre-signed URL lifetime (s) @default 900 */
  urlLifetimeSeconds?: number;
  /** newest change of every table (epoch ms): a snapshot's `at` @default 2026-11-20T08:00:00Z */
  dataAt?: number;
  /** how far back changes are kept, for incremental queries (ms) @default 30 days */
  keptMs?: number;
  /** per-endpoint rate limits; off when absent @default {} */
  rateLimits?: Partial<Record<Endpoint, RateLimit>>;
  /** explicit faults @default [] */
  faults?: FaultRule[];
  /** seeded random faults @default none */
  chaos?: ChaosOptions;
  /** gzip level of text objects @default 6 */
  gzipLevel?: number;
  /** bytes of encoded objects kept in memory @default 256 MiB */
  cacheBytes?: number;
  /**
   * Benchmarks: every job has exactly `objects` objects of `objectBytes` opaque
   * bytes each (fast to make, not records), so the server is not the bottleneck.
   */
  synthetic?: { objects: number; objectBytes: number };
  /** the file name in an object's URL (tests give hostile ones) @default `part-<n>-<uuid>-c000.<ext>` */
  objectFileName?: (index: number, standard: string) => string;
  /** clock @default Date.now */
  now?: () => number;
  /** timer used by slow bodies @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** One request as the emulator saw it, with secrets redacted. */
export interface RecordedRequest {
  at: number;
  method: string;
  endpoint: Endpoint | "unknown";
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

interface ObjectEntry {
  id: string;
  fileName: string;
  /** row indices in this object */
  rows: number[];
}

interface JobEntry {
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

interface EncodedObject {
  bytes: Uint8Array;
  md5: string;
}

type Handler = (request: Request) => Promise<Response>;

const JSON_HEADERS = { "content-type": "application/json" };

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function base64Url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = name === "authorization" || name === "x-instauth"
      ? value.replace(/^(\w+)\s.*$/, "$1 [redacted]")
      : value;
  });
  return out;
}

function redactPath(url: URL): string {
  const search = url.search.replace(/(X-Amz-Signature=)[^&]*/, "$1[redacted]");
  return url.pathname + search;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Matches the RFC 3339 date-times the API accepts (a zone is mandatory). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A DAP API emulator instance: its handler, its request log and its state. */
export class Emulator {
  readonly requests: RecordedRequest[] = [];
  /** every token and URL signature handed out, for tests that search output for leaks */
  readonly issuedSecrets: string[] = [];
  /** faults injected so far, by kind (status faults as `status <n>`) */
  readonly faultsInjected = new Map<string, number>();
  readonly handler: Handler;
  readonly #o: Required<Omit<EmulatorOptions, "chaos" | "objectFileName" | "synthetic">> & {
    chaos?: ChaosOptions;
    objectFileName?: EmulatorOptions["objectFileName"];
    synthetic?: EmulatorOptions["synthetic"];
  };
  readonly #signingKey: string;
  readonly #jobs = new Map<string, JobEntry>();
  readonly #jobsByKey = new Map<string, JobEntry>();
  readonly #attempts = new Map<string, number>();
  readonly #windows = new Map<Endpoint, number[]>();
  readonly #cache = new Map<string, EncodedObject>();
  #cacheSize = 0;
  #counter = 0;

  constructor(options: EmulatorOptions = {}) {
    this.#o = {
      seed: 1,
      rows: 1000,
      rowsPerObject: 250,
      credentials: [DEMO_CREDENTIAL],
      tokenLifetimeSeconds: 3600,
      jobWaitingMs: 100,
      jobRunningMs: 300,
      jobLifetimeMs: 24 * 3_600_000,
      urlLifetimeSeconds: 900,
      dataAt: Date.UTC(2026, 10, 20, 8, 0, 0),
      keptMs: 30 * 86_400_000,
      rateLimits: {},
      faults: [],
      gzipLevel: 6,
      cacheBytes: 256 * 1024 * 1024,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      ...options,
    };
    if (this.#o.rowsPerObject < 1) throw new RangeError("rowsPerObject must be at least 1");
    this.#signingKey = `emulator-signing-key-${this.#o.seed}`;
    this.handler = (request) => this.#handle(request);
  }

  /** The settings in force. */
  get options(): Readonly<EmulatorOptions> {
    return this.#o;
  }

  /** The number of answers with this status so far. */
  countStatus(status: number): number {
    return this.requests.filter((r) => r.status === status).length;
  }

  /** Changes a setting while running (tests use it to expire URLs or tokens). */
  configure(options: Partial<EmulatorOptions>): void {
    Object.assign(this.#o, options);
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const route = this.#route(request.method, url.pathname.replace(/^\/dap\/beta\//, "/dap/"));
    const record: RecordedRequest = {
      at: this.#o.now(),
      method: request.method,
      endpoint: route?.endpoint ?? "unknown",
      path: redactPath(url),
      headers: redactHeaders(request.headers),
      body: route?.endpoint === "login"
        ? body.replace(/client_secret=[^&]*/, "client_secret=[redacted]")
        : body,
      status: 0,
    };
    this.requests.push(record);
    const response = route
      ? this.#answer(route, request, url, body)
      : this.#error(404, "ObjectNotFound", `No route for ${request.method} ${url.pathname}`, {
        id: url.pathname,
        kind: "route",
      });
    record.status = response.status;
    return response;
  }

  #route(
    method: string,
    path: string,
  ): { endpoint: Endpoint; params: string[] } | undefined {
    const table = path.match(/^\/dap\/query\/([^/]+)\/table(?:\/([^/]+)\/(schema|data))?$/);
    if (path === "/ids/auth/login" && method === "POST") return { endpoint: "login", params: [] };
    if (table && method === "GET" && !table[2]) return { endpoint: "tables", params: [table[1]!] };
    if (table && method === "GET" && table[3] === "schema") {
      return { endpoint: "schema", params: [table[1]!, table[2]!] };
    }
    if (table && method === "POST" && table[3] === "data") {
      return { endpoint: "query", params: [table[1]!, table[2]!] };
    }
    const job = path.match(/^\/dap\/job\/([^/]+)$/);
    if (job && method === "GET") return { endpoint: "job", params: [job[1]!] };
    if (path === "/dap/object/url" && method === "POST") return { endpoint: "urls", params: [] };
    const object = path.match(/^\/objects\/([^/]+)\/[^/]*$/);
    if (object && (method === "GET" || method === "HEAD")) {
      return { endpoint: "object", params: [safeDecode(object[1]!)] };
    }
    return undefined;
  }

  #answer(
    route: { endpoint: Endpoint; params: string[] },
    request: Request,
    url: URL,
    body: string,
  ): Response {
    const attemptKey = `${request.method} ${url.pathname} ${body}`;
    const attempt = (this.#attempts.get(attemptKey) ?? 0) + 1;
    this.#attempts.set(attemptKey, attempt);
    if (route.endpoint === "object") return this.#download(route.params[0]!, request, url, attempt);
    const limited = this.#rateLimit(route.endpoint);
    if (limited) return limited;
    const fault = chooseFault(
      { endpoint: route.endpoint, path: url.pathname + body, attempt },
      this.#o.faults,
      this.#o.chaos,
    );
    if (fault) this.#countFault(fault);
    if (fault?.kind === "status") return this.#faultStatus(fault);
    if (route.endpoint === "login") return this.#login(request, body);
    const auth = this.#authenticate(request);
    if (auth) return auth;
    const [a = "", b = ""] = route.params;
    switch (route.endpoint) {
      case "tables":
        return this.#tables(a);
      case "schema":
        return this.#schema(a, b);
      case "query":
        return this.#query(a, b, body, fault?.kind === "jobFailed");
      case "job":
        return this.#jobStatus(a);
      default:
        return this.#urls(body, url.origin);
    }
  }

  // ---- helpers for answers --------------------------------------------------

  #uuid(salt: string): string {
    return new Random(hashOf(this.#o.seed, `${salt}#${++this.#counter}`)).uuid();
  }

  #json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(value), {
      status,
      headers: { ...JSON_HEADERS, ...headers },
    });
  }

  #error(
    status: number,
    type: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Response {
    const error = { type, uuid: this.#uuid("error"), message, ...extra };
    return this.#json(status, { error }, headers);
  }

  #countFault(fault: Fault): void {
    const name = fault.kind === "status" ? `status ${fault.status}` : fault.kind;
    this.faultsInjected.set(name, (this.faultsInjected.get(name) ?? 0) + 1);
  }

  #faultStatus(fault: Extract<Fault, { kind: "status" }>): Response {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
    if (fault.status === 504) {
      return this.#json(504, { message: "Endpoint request timed out" }, headers);
    }
    if (fault.plain) {
      return new Response(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`, {
        status: fault.status,
        headers: { "content-type": "text/html", ...headers },
      });
    }
    const type = fault.type ?? (fault.status === 429 ? "TooManyRequests" : "InternalServerError");
    return this.#error(
      fault.status,
      type,
      fault.message ?? `Injected fault ${fault.status}`,
      {},
      headers,
    );
  }

  #rateLimit(endpoint: Endpoint): Response | undefined {
    const limit = this.#o.rateLimits[endpoint];
    if (!limit) return undefined;
    const now = this.#o.now();
    const window = (this.#windows.get(endpoint) ?? []).filter((t) => t > now - limit.windowMs);
    this.#windows.set(endpoint, window);
    if (window.length < limit.limit) {
      window.push(now);
      return undefined;
    }
    const wait = Math.max(1, Math.ceil((window[0]! + limit.windowMs - now) / 1000));
    return this.#error(429, "TooManyRequests", "Rate limit exceeded", {}, {
      "retry-after": String(wait),
    });
  }

  // ---- identity service ------------------------------------------------------

  #sign(text: string): string {
    return base64Url(createHmac("sha256", this.#signingKey).update(text).digest());
  }

  #login(request: Request, body: string): Response {
    const header = request.headers.get("authorization") ?? "";
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== "client_credentials") {
      return this.#error(400, "ValidationError", "grant_type must be client_credentials", {
        location: { line: 1, column: 1, character: 0 },
      });
    }
    let id = "", secret = "";
    if (header.startsWith("Basic ")) {
      try {
        const decoded = atob(header.slice(6));
        const colon = decoded.indexOf(":");
        id = decoded.slice(0, colon);
        secret = decoded.slice(colon + 1);
      } catch {
        // malformed header: the credentials stay empty and are refused below
      }
    }
    const known = this.#o.credentials.some((c) => c.clientId === id && c.clientSecret === secret);
    if (!known) {
      return this.#error(403, "AuthenticationError", "Invalid client credentials");
    }
    const now = Math.floor(this.#o.now() / 1000);
    const lifetime = this.#o.tokenLifetimeSeconds;
    const head = base64Url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const payload = base64Url(JSON.stringify({
      sub: id,
      iat: now,
      exp: now + lifetime,
      jti: this.#uuid("token"),
    }));
    const accessToken = `${head}.${payload}.${this.#sign(`${head}.${payload}`)}`;
    this.issuedSecrets.push(accessToken);
    return this.#json(200, {
      access_token: accessToken,
      expires_in: lifetime,
      scope: `dap-query principal:${id.split("#").pop()} partner:emulator region:us-east-1`,
      token_type: "bearer",
    });
  }

  #authenticate(request: Request): Response | undefined {
    const header = request.headers.get("authorization");
    const token = header?.startsWith("Bearer ")
      ? header.slice(7)
      : header
      ? ""
      : request.headers.get("x-instauth") ?? "";
    const [head = "", payload = "", signature = ""] = token.split(".");
    if (signature && this.#sign(`${head}.${payload}`) === signature) {
      try {
        const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
        if (claims.exp * 1000 > this.#o.now()) return undefined;
        return this.#error(401, "AuthenticationError", "Token expired");
      } catch {
        // fall through: an unreadable payload is an unknown token
      }
    }
    return this.#error(401, "AuthenticationError", "Missing or invalid token");
  }

  // ---- catalogue ---------------------------------------------------------------

  #notFound(kind: string, id: string): Response {
    return this.#error(404, "ObjectNotFound", `The ${kind} '${id}' does not exist`, { id, kind });
  }

  #tables(namespace: string): Response {
    const tables = listTables(namespace);
    return tables ? this.#json(200, { tables }) : this.#notFound("namespace", namespace);
  }

  #schema(namespace: string, table: string): Response {
    if (!listTables(namespace)) return this.#notFound("namespace", namespace);
    const spec = findTable(namespace, table);
    if (!spec) return this.#notFound("table", table);
    return this.#json(200, {
      schema: tableSchema(spec),
      version: schemaVersion(namespace, table),
    });
  }

  // ---- jobs ----------------------------------------------------------------

  #validationError(message: string): Response {
    return this.#error(400, "ValidationError", message, {
      location: { line: 1, column: 1, character: 0 },
    });
  }

  #query(namespace: string, table: string, body: string, fails: boolean): Response {
    if (!listTables(namespace)) return this.#notFound("namespace", namespace);
    if (!findTable(namespace, table)) return this.#notFound("table", table);
    let query: Record<string, unknown>;
    try {
      query = JSON.parse(body);
      if (query === null || typeof query !== "object" || Array.isArray(query)) throw new Error();
    } catch {
      return this.#validationError("The request body must be a JSON object");
    }
    const unknown = Object.keys(query).find((k) =>
      !["format", "mode", "since", "until"].includes(k)
    );
    if (unknown) return this.#validationError(`Unknown field '${unknown}'`);
    const { format, mode, since, until } = query;
    if (!["jsonl", "csv", "tsv", "parquet"].includes(format as string)) {
      return this.#validationError("format must be one of jsonl, csv, tsv, parquet");
    }
    if (mode !== undefined && mode !== "expanded" && mode !== "condensed") {
      return this.#validationError("mode must be expanded or condensed");
    }
    for (const [name, value] of [["since", since], ["until", until]] as const) {
      if (value !== undefined && (typeof value !== "string" || !RFC3339.test(value))) {
        return this.#validationError(`${name} must be an RFC 3339 date-time with a zone`);
      }
    }
    if (until !== undefined && since === undefined) {
      return this.#validationError("until is only allowed with since");
    }
    const sinceMs = since === undefined ? undefined : Date.parse(since as string);
    const untilMs = until === undefined ? undefined : Date.parse(until as string);
    const keptFrom = this.#o.dataAt - this.#o.keptMs;
    if (sinceMs !== undefined && sinceMs < keptFrom) {
      return this.#error(400, "OutOfRangeError", "since is older than the changes kept", {
        since: isoSeconds(keptFrom),
        until: null,
      });
    }
    if (sinceMs !== undefined && untilMs !== undefined && untilMs < sinceMs) {
      return this.#validationError("until must not be before since");
    }
    const key = JSON.stringify([
      namespace,
      table,
      format,
      mode ?? null,
      sinceMs ?? null,
      untilMs ?? null,
    ]);
    const job = this.#findOrCreateJob(key, {
      namespace,
      table,
      format: format as DataFormat,
      mode: mode as FlattenMode | undefined,
      since: sinceMs,
      until: untilMs,
      fails,
    });
    return this.#jobAnswer(job);
  }

  #findOrCreateJob(
    key: string,
    fields: Omit<JobEntry, "id" | "key" | "createdAt">,
  ): JobEntry {
    const existing = this.#jobsByKey.get(key);
    if (existing && !this.#expired(existing)) return existing;
    const job: JobEntry = { ...fields, id: this.#uuid(key), key, createdAt: this.#o.now() };
    this.#jobs.set(job.id, job);
    this.#jobsByKey.set(key, job);
    return job;
  }

  #expired(job: JobEntry): boolean {
    return this.#o.now() >= job.createdAt + this.#o.jobLifetimeMs;
  }

  #status(job: JobEntry): "waiting" | "running" | "complete" | "failed" {
    const age = this.#o.now() - job.createdAt;
    if (age < this.#o.jobWaitingMs) return "waiting";
    if (age < this.#o.jobWaitingMs + this.#o.jobRunningMs) return "running";
    return job.fails ? "failed" : "complete";
  }

  #jobStatus(id: string): Response {
    const job = this.#jobs.get(id);
    if (!job || this.#expired(job)) return this.#notFound("job", id);
    return this.#jobAnswer(job);
  }

  #source(job: JobEntry): RowSource {
    return {
      seed: this.#o.seed,
      namespace: job.namespace,
      table: job.table,
      spec: findTable(job.namespace, job.table)!,
      start: this.#o.dataAt - this.#o.keptMs,
      end: this.#o.dataAt,
    };
  }

  #objectsOf(job: JobEntry): ObjectEntry[] {
    if (job.objects) return job.objects;
    const source = this.#source(job);
    const rows: number[] = [];
    const until = job.until ?? this.#o.dataAt;
    if (this.#o.synthetic) {
      for (let i = 0; i < this.#o.synthetic.objects; i++) rows.push(i);
    } else {
      for (let i = 0; i < this.#o.rows; i++) {
        if (job.since === undefined) {
          if (!isDeleted(source, i)) rows.push(i);
        } else {
          const ts = rowTimestamp(source, i);
          if (ts > job.since && ts <= until) rows.push(i);
        }
      }
    }
    const perObject = this.#o.synthetic ? 1 : this.#o.rowsPerObject;
    const random = new Random(hashOf(this.#o.seed, job.key));
    const runId = random.uuid();
    const objects: ObjectEntry[] = [];
    for (let start = 0; start < rows.length; start += perObject) {
      const part = String(objects.length).padStart(5, "0");
      const standard = `part-${part}-${runId}-c000.${EXTENSIONS[job.format]}`;
      const fileName = this.#o.objectFileName?.(objects.length, standard) ?? standard;
      objects.push({
        id: `${job.id}/${this.#o.objectFileName ? part : fileName}`,
        fileName,
        rows: rows.slice(start, start + perObject),
      });
    }
    job.objects = objects;
    return objects;
  }

  #jobAnswer(job: JobEntry): Response {
    const status = this.#status(job);
    const base = {
      id: job.id,
      status,
      expires_at: isoSeconds(job.createdAt + this.#o.jobLifetimeMs),
    };
    if (status === "waiting" || status === "running") return this.#json(202, base);
    if (status === "failed") {
      return this.#json(200, {
        ...base,
        error: {
          type: "ProcessingError",
          uuid: this.#uuid(`failed ${job.id}`),
          message: "The query failed while processing",
        },
      });
    }
    const objects = this.#objectsOf(job).map((o) => ({ id: o.id }));
    const version = schemaVersion(job.namespace, job.table);
    if (job.since === undefined) {
      return this.#json(200, {
        ...base,
        objects,
        schema_version: version,
        at: isoSeconds(this.#o.dataAt),
      });
    }
    return this.#json(200, {
      ...base,
      objects,
      schema_version: version,
      since: new Date(job.since).toISOString(),
      until: new Date(job.until ?? this.#o.dataAt).toISOString(),
    });
  }

  // ---- object URLs and downloads ------------------------------------------------

  #findObject(id: string): { job: JobEntry; object: ObjectEntry } | undefined {
    const jobId = id.split("/")[0] ?? "";
    const job = this.#jobs.get(jobId);
    if (!job || this.#expired(job) || this.#status(job) !== "complete") return undefined;
    const object = this.#objectsOf(job).find((o) => o.id === id);
    return object ? { job, object } : undefined;
  }

  #urlSignature(id: string, date: string, expires: string): string {
    return createHmac("sha256", this.#signingKey).update(`${id}\n${date}\n${expires}`).digest(
      "hex",
    );
  }

  #urls(body: string, origin: string): Response {
    let ids: string[];
    try {
      const parsed = JSON.parse(body);
      if (!Array.isArray(parsed) || parsed.length === 0) throw new Error();
      ids = parsed.map((item) => {
        if (typeof item?.id !== "string") throw new Error();
        return item.id as string;
      });
    } catch {
      return this.#validationError('The body must be a non-empty JSON array of {"id": string}');
    }
    const urls: Record<string, { url: string }> = {};
    const date = new Date(this.#o.now()).toISOString().replace(/[-:]|\.\d{3}/g, "");
    const expires = String(this.#o.urlLifetimeSeconds);
    for (const id of ids) {
      if (!this.#findObject(id)) return this.#notFound("object", id);
      const signature = this.#urlSignature(id, date, expires);
      this.issuedSecrets.push(signature);
      const query = new URLSearchParams({
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Date": date,
        "X-Amz-Expires": expires,
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": signature,
      });
      // The object id is one encoded segment; the last segment is the file name, as on S3.
      const name = encodeURIComponent(this.#findObject(id)!.object.fileName).replaceAll(".", "%2E");
      urls[id] = { url: `${origin}/objects/${encodeURIComponent(id)}/${name}?${query}` };
    }
    return this.#json(200, { urls });
  }

  #s3Error(status: number, code: string, message: string): Response {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
      `<Message>${message}</Message><RequestId>${this.#uuid("s3")}</RequestId></Error>`;
    return new Response(xml, { status, headers: { "content-type": "application/xml" } });
  }

  #encoded(job: JobEntry, object: ObjectEntry): EncodedObject {
    const key = `${job.key}|${object.fileName}`;
    const cached = this.#cache.get(key);
    if (cached) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const source = this.#source(job);
    const bytes = this.#o.synthetic
      ? this.#syntheticBytes(object.rows[0] ?? 0, this.#o.synthetic.objectBytes)
      : encodeObject(object.rows.map((i) => generateRecord(source, i)), source.spec, {
        format: job.format,
        mode: job.mode,
        gzipLevel: this.#o.gzipLevel,
      });
    const entry = { bytes, md5: createHash("md5").update(bytes).digest("hex") };
    this.#cache.set(key, entry);
    this.#cacheSize += bytes.length;
    for (const [oldKey, old] of this.#cache) {
      if (this.#cacheSize <= this.#o.cacheBytes || oldKey === key) break;
      this.#cache.delete(oldKey);
      this.#cacheSize -= old.bytes.length;
    }
    return entry;
  }

  #block?: Uint8Array;

  /** Opaque bytes: a seeded 1 MiB block repeated, stamped with the object's index. */
  #syntheticBytes(index: number, size: number): Uint8Array {
    if (!this.#block) {
      const random = new Random(this.#o.seed);
      const words = new Uint32Array(1 << 18);
      for (let i = 0; i < words.length; i++) words[i] = random.int(0x100000000);
      this.#block = new Uint8Array(words.buffer);
    }
    const bytes = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += this.#block.length) {
      bytes.set(this.#block.subarray(0, Math.min(this.#block.length, size - offset)), offset);
    }
    new DataView(bytes.buffer).setUint32(0, index);
    return bytes;
  }

  /** The bytes of an object as served, for tests comparing files on disk. */
  objectBytes(id: string): Uint8Array {
    const found = this.#findObject(id);
    if (!found) throw new RangeError(`No such object: ${id}`);
    return this.#encoded(found.job, found.object).bytes;
  }

  #download(id: string, request: Request, url: URL, attempt: number): Response {
    const date = url.searchParams.get("X-Amz-Date") ?? "";
    const expires = url.searchParams.get("X-Amz-Expires") ?? "";
    const signature = url.searchParams.get("X-Amz-Signature") ?? "";
    if (signature !== this.#urlSignature(id, date, expires)) {
      return this.#s3Error(403, "SignatureDoesNotMatch", "The request signature does not match");
    }
    const signedAt = Date.parse(
      date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"),
    );
    const found = this.#findObject(id);
    if (!found) return this.#s3Error(404, "NoSuchKey", "The specified key does not exist.");
    const { bytes, md5 } = this.#encoded(found.job, found.object);
    const fault = chooseFault(
      { endpoint: "object", path: url.pathname, attempt, size: bytes.length },
      this.#o.faults,
      this.#o.chaos,
    );
    if (fault) this.#countFault(fault);
    const expired = this.#o.now() > signedAt + Number(expires) * 1000;
    if (expired || fault?.kind === "expiredUrl") {
      return this.#s3Error(403, "AccessDenied", "Request has expired");
    }
    if (fault?.kind === "status") return this.#s3Error(fault.status, "InternalError", "Injected");
    const served = fault?.kind === "truncatedGzip"
      ? bytes.subarray(0, Math.max(0, bytes.length - 20))
      : bytes;
    const headers: Record<string, string> = {
      "content-type": "binary/octet-stream",
      "accept-ranges": "bytes",
      etag: `"${md5}"`,
      "last-modified": new Date(found.job.createdAt).toUTCString(),
    };
    let start = 0, end = served.length;
    const range = request.headers.get("range")?.match(/^bytes=(\d+)-(\d*)$/);
    let status = 200;
    if (range && fault?.kind !== "ignoreRange") {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]) + 1, served.length) : served.length;
      if (start >= served.length || end <= start) {
        return new Response(null, {
          status: 416,
          headers: { "content-range": `bytes */${served.length}` },
        });
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${end - 1}/${served.length}`;
    }
    headers["content-length"] = String(end - start);
    if (request.method === "HEAD") return new Response(null, { status, headers });
    const body = served.subarray(start, end);
    if (!fault) return new Response(body as Uint8Array<ArrayBuffer>, { status, headers });
    return new Response(this.#body(body, fault, start), { status, headers });
  }

  #body(bytes: Uint8Array, fault: Fault | undefined, offset: number): ReadableStream<Uint8Array> {
    const chunk = fault?.kind === "slow" ? fault.chunkBytes : 256 * 1024;
    const cutAt = fault?.kind === "cut" ? Math.max(0, fault.afterBytes - offset) : Infinity;
    const sleep = this.#o.sleep;
    let position = 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (position >= cutAt) {
          controller.error(new Error("connection reset by emulator fault"));
          return;
        }
        if (position >= bytes.length) {
          controller.close();
          return;
        }
        if (fault?.kind === "slow" && position > 0) await sleep(fault.delayMs);
        const end = Math.min(bytes.length, position + chunk, cutAt);
        controller.enqueue(bytes.slice(position, end));
        position = end;
      },
    }, { highWaterMark: 0 });
  }
}
