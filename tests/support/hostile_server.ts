/**
 * A deliberately hostile DAP API and object host on 127.0.0.1, for tests.
 * It speaks HTTP/1.1 over raw TCP (one request per connection), so it can do
 * what a well-behaved server library would not: go silent after accepting a
 * connection, before the headers or mid-body; announce a wrong length; send
 * `Content-Encoding: gzip` on raw bytes; answer 206 to a request without
 * `Range`, with a shifted `Content-Range`, or as multipart; stream a huge
 * body. By default it is a small, correct DAP server (login, tables, schema,
 * query, job, object URLs, objects with Range and an MD5 ETag); a test's
 * `script` takes over any request it wants to, per route and attempt.
 * Test support only: nothing under src/ may import it.
 */
import { createHash } from "node:crypto";

/** Which DAP call a request is. */
export type Route = "login" | "tables" | "schema" | "query" | "job" | "urls" | "object" | "other";

/** A request as a script sees it. */
export interface HostileRequest {
  method: string;
  /** path and query, as sent */
  path: string;
  headers: Headers;
  body: string;
  route: Route;
  /** which request of this route this is, counting from 1 */
  attempt: number;
  /** the table (query, schema) or the object id (object) the path names */
  name?: string;
}

/** A body: bytes, text, or chunks produced as they are sent (for huge bodies). */
export type Body = string | Uint8Array | (() => AsyncIterable<Uint8Array>);

/** What the server does with one request. */
export type Reply =
  /** status, headers (Content-Length is added unless given) and body */
  | {
    kind: "answer";
    status: number;
    headers?: Record<string, string>;
    body?: Body;
    /** send only this many bytes of the body, then go silent */
    stallAfter?: number;
  }
  /** read the request, then never answer (until the server stops) */
  | { kind: "silent" }
  /** close the connection without a word */
  | { kind: "hangup" };

/** One object the server holds. */
export interface HostileObject {
  id: string;
  bytes: Uint8Array;
}

/** One table's job as the server answers it. */
export interface HostileTable {
  /** @default `job-<table>` */
  jobId?: string;
  objects: HostileObject[];
  /** the job's status on each GET /dap/job (the last one repeats) @default ["complete"] */
  statuses?: string[];
}

/** A recorded request. */
export interface SeenRequest {
  route: Route;
  method: string;
  path: string;
  attempt: number;
  headers: Record<string, string>;
}

const encoder = new TextEncoder();

/** Fails (instead of hanging) when `promise` takes longer than `ms`: today's code would wait forever. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON answer. */
export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    kind: "answer",
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(value),
  };
}

/** An unsigned JWT with these claims (DAP's client reads `exp` without verifying it). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.sig`;
}

/** The MD5 of `bytes`, hex. */
export function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** `n` deterministic bytes. */
export function someBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function routeOf(method: string, pathname: string): { route: Route; name?: string } {
  const table = pathname.match(/^\/dap\/query\/[^/]+\/table\/([^/]+)\/(data|schema)$/);
  if (table) {
    return { route: table[2] === "data" ? "query" : "schema", name: decodeURIComponent(table[1]!) };
  }
  if (pathname === "/ids/auth/login" && method === "POST") return { route: "login" };
  if (/^\/dap\/query\/[^/]+\/table$/.test(pathname)) return { route: "tables" };
  const job = pathname.match(/^\/dap\/job\/(.+)$/);
  if (job) return { route: "job", name: decodeURIComponent(job[1]!) };
  if (pathname === "/dap/object/url" && method === "POST") return { route: "urls" };
  const object = pathname.match(/^\/objects\/(.+)$/);
  if (object) return { route: "object", name: decodeURIComponent(object[1]!) };
  return { route: "other" };
}

/** A hostile DAP server; `await using` stops it and every connection it holds. */
export class HostileServer implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #connections = new Set<Deno.Conn>();
  readonly #attempts = new Map<Route, number>();
  readonly #serving: Promise<void>;
  readonly #pending = new Set<Promise<void>>();
  /** the tables and their jobs */
  tables: Record<string, HostileTable>;
  /** takes over the requests it answers (undefined: the default behaviour) */
  script?: (request: HostileRequest) => Reply | undefined;
  /** the next this many connections are accepted and then ignored, unread */
  ignoreConnections = 0;
  /** every request, in arrival order */
  readonly requests: SeenRequest[] = [];
  /** the server's clock (seconds), for tokens @default the real one */
  nowSeconds: () => number = () => Math.floor(Date.now() / 1000);

  constructor(tables: Record<string, HostileTable> = {}) {
    this.tables = tables;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#serving = this.#acceptLoop();
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  /** Requests of one route. */
  seen(route: Route): SeenRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  /** The job id of a table. */
  jobId(table: string): string {
    return this.tables[table]?.jobId ?? `job-${table}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#serving;
    await Promise.allSettled([...this.#pending]);
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // the listener was closed
      }
      this.#connections.add(conn);
      if (this.ignoreConnections > 0) {
        this.ignoreConnections--;
        continue; // accepted, never read: held until the server stops
      }
      const task = this.#handle(conn).catch(() => {}).finally(() => {
        this.#pending.delete(task);
        this.#connections.delete(conn);
        closeQuietly(conn);
      });
      this.#pending.add(task);
    }
  }

  async #handle(conn: Deno.Conn): Promise<void> {
    const request = await readRequest(conn);
    if (!request) return;
    const url = new URL(request.path, this.url);
    const { route, name } = routeOf(request.method, url.pathname);
    const attempt = (this.#attempts.get(route) ?? 0) + 1;
    this.#attempts.set(route, attempt);
    const seen: HostileRequest = { ...request, route, attempt, name };
    this.requests.push({
      route,
      method: request.method,
      path: request.path,
      attempt,
      headers: Object.fromEntries(request.headers),
    });
    const reply = this.script?.(seen) ?? this.#default(seen);
    if (reply.kind === "hangup") return;
    if (reply.kind === "silent") return await this.#holdOpen(conn);
    await writeReply(conn, reply);
    if (reply.stallAfter !== undefined) await this.#holdOpen(conn);
  }

  /** Keeps a connection open and silent until the server stops. */
  async #holdOpen(conn: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(1024);
    try {
      while ((await conn.read(buffer)) !== null) {
        // discard anything more the client sends
      }
    } catch {
      // closed by the server's dispose or the client
    }
  }

  #default(request: HostileRequest): Reply {
    switch (request.route) {
      case "login":
        return json(200, {
          access_token: fakeJwt({ exp: this.nowSeconds() + 3600 }),
          expires_in: 3600,
          scope: "dap principal:test",
          token_type: "bearer",
        });
      case "tables":
        return json(200, { tables: Object.keys(this.tables) });
      case "schema":
        return json(200, { schema: { type: "object", properties: {} }, version: 1 });
      case "query":
        return this.#job(request.name ?? "", 0);
      case "job":
        return this.#jobById(request.name ?? "");
      case "urls":
        return this.#urls(request.body);
      case "object":
        return this.objectReply(request);
      default:
        return json(404, { error: { type: "NotFound", uuid: "u-404", message: "no such route" } });
    }
  }

  /** A table's job object: the status its polls have reached. */
  jobAnswer(table: string, poll: number): Record<string, unknown> {
    const spec = this.tables[table]!;
    const statuses = spec.statuses ?? ["complete"];
    const status = statuses[Math.min(poll, statuses.length - 1)];
    const job: Record<string, unknown> = { id: this.jobId(table), status, expires_at: null };
    if (status === "complete") {
      job.objects = spec.objects.map((o) => ({ id: o.id }));
      job.schema_version = 1;
      job.at = "2026-01-01T00:00:00Z";
    }
    return job;
  }

  readonly #polls = new Map<string, number>();

  #job(table: string, poll: number): Reply {
    if (!this.tables[table]) {
      return json(404, { error: { type: "ObjectNotFound", uuid: "u-1", message: "no table" } });
    }
    return json(200, this.jobAnswer(table, poll));
  }

  #jobById(id: string): Reply {
    const table = Object.keys(this.tables).find((t) => this.jobId(t) === id);
    if (table === undefined) {
      return json(404, { error: { type: "ObjectNotFound", uuid: "u-2", message: "no job" } });
    }
    const poll = (this.#polls.get(id) ?? 0) + 1;
    this.#polls.set(id, poll);
    return this.#job(table, poll);
  }

  /** The object with this id, from any table. */
  object(id: string): HostileObject | undefined {
    for (const table of Object.values(this.tables)) {
      const found = table.objects.find((o) => o.id === id);
      if (found) return found;
    }
    return undefined;
  }

  /** The URL the server gives for an object. */
  objectUrl(id: string): string {
    return `${this.url}/objects/${id.split("/").map(encodeURIComponent).join("/")}`;
  }

  #urls(body: string): Reply {
    const ids = (JSON.parse(body) as { id: string }[]).map((o) => o.id);
    return json(200, {
      urls: Object.fromEntries(ids.map((id) => [id, { url: this.objectUrl(id) }])),
    });
  }

  /** The object as S3 serves it: the whole, or the rest from a `Range: bytes=N-` (or N-M). */
  objectReply(request: HostileRequest): Reply {
    const object = this.object(request.name ?? "");
    if (!object) {
      return { kind: "answer", status: 404, body: "<Error><Code>NoSuchKey</Code></Error>" };
    }
    const headers = { etag: `"${md5(object.bytes)}"`, "content-type": "application/octet-stream" };
    const range = request.headers.get("range")?.match(/^bytes=(\d+)-(\d*)$/);
    if (!range) return { kind: "answer", status: 200, headers, body: object.bytes };
    const start = Number(range[1]);
    const end = range[2]
      ? Math.min(Number(range[2]), object.bytes.length - 1)
      : object.bytes.length - 1;
    if (start >= object.bytes.length) return { kind: "answer", status: 416, headers };
    return {
      kind: "answer",
      status: 206,
      headers: { ...headers, "content-range": `bytes ${start}-${end}/${object.bytes.length}` },
      body: object.bytes.slice(start, end + 1),
    };
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Reads one request (head and Content-Length body); undefined when the client went away. */
async function readRequest(
  conn: Deno.Conn,
): Promise<{ method: string; path: string; headers: Headers; body: string } | undefined> {
  let buffer: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(16 * 1024);
  let headEnd = -1;
  while (headEnd < 0) {
    const n = await conn.read(chunk);
    if (n === null) return undefined;
    buffer = joinBytes(buffer, chunk.subarray(0, n));
    headEnd = findHeadEnd(buffer);
  }
  const head = new TextDecoder().decode(buffer.subarray(0, headEnd));
  const [requestLine, ...lines] = head.split("\r\n");
  const [method = "", path = ""] = requestLine!.split(" ");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body: Uint8Array = buffer.subarray(headEnd + 4);
  const length = Number(headers.get("content-length") ?? 0);
  while (body.length < length) {
    const n = await conn.read(chunk);
    if (n === null) break;
    body = joinBytes(body, chunk.subarray(0, n));
  }
  return { method, path, headers, body: new TextDecoder().decode(body) };
}

function findHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const REASONS: Record<number, string> = {
  200: "OK",
  202: "Accepted",
  206: "Partial Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  416: "Range Not Satisfiable",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** Writes the status line, headers and (all or the first `stallAfter` bytes of) the body. */
async function writeReply(
  conn: Deno.Conn,
  reply: Extract<Reply, { kind: "answer" }>,
): Promise<void> {
  const body = typeof reply.body === "string" ? encoder.encode(reply.body) : reply.body;
  const headers: Record<string, string> = { connection: "close", ...reply.headers };
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (!has("content-length") && body instanceof Uint8Array) {
    headers["content-length"] = String(body.length);
  }
  if (body === undefined && !has("content-length")) headers["content-length"] = "0";
  const head = `HTTP/1.1 ${reply.status} ${REASONS[reply.status] ?? "Status"}\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
  await writeAll(conn, encoder.encode(head));
  if (body === undefined) return;
  const chunks = body instanceof Uint8Array ? [body] : body();
  let sent = 0;
  for await (const chunk of chunks) {
    const room = reply.stallAfter === undefined ? chunk.length : reply.stallAfter - sent;
    await writeAll(conn, chunk.subarray(0, Math.max(0, room)));
    sent += Math.min(chunk.length, Math.max(0, room));
    if (reply.stallAfter !== undefined && sent >= reply.stallAfter) return;
  }
}
