/**
 * The only place that knows DAP URLs and wire shapes. It logs in, keeps the
 * token fresh (renewed before it expires and once after a 401), retries what
 * is retryable through the shared retry loop, and turns every other answer
 * into a typed error carrying the server's message and uuid. Every credential
 * and token it sees goes into the runtime's secrets, which logs redact. Every
 * request runs under the runtime's deadlines, and no answer is read beyond
 * `MAX_ANSWER_BYTES`.
 */
import { ApiError, AuthError } from "../errors.ts";
import {
  DeadlineError,
  fetchWithDeadlines,
  readBody,
  type TimedResponse,
} from "../fetch_with_deadlines.ts";
import { printable } from "../printable.ts";
import {
  type Attempt,
  isRetryableStatus,
  MAX_SERVER_WAIT_MS,
  parseRetryAfter,
  withRetry,
} from "../retry.ts";
import type { Runtime } from "../runtime.ts";
import {
  type Job,
  parseErrorBody,
  parseJob,
  parseObjectUrls,
  parseSchema,
  parseTableList,
  parseToken,
  type SchemaAnswer,
} from "./parse_answers.ts";

/** Endpoint names used for rate-limit scheduling and logs. */
export type ApiEndpoint = "login" | "tables" | "schema" | "query" | "job" | "urls";

/** What the client needs. */
export interface ApiClientOptions {
  baseUrl: URL;
  clientId: string;
  clientSecret: string;
  runtime: Runtime;
  /** sent as User-Agent @default "dap-deno" */
  userAgent?: string;
  /** called before each request, e.g. a rate-limit scheduler */
  beforeCall?: (endpoint: ApiEndpoint) => Promise<void>;
  /** called when the server answers 429, with the wait it asked for (or ours) */
  onRateLimited?: (endpoint: ApiEndpoint, waitMs: number) => void;
}

/** The body of a query (endpoint 3). */
export interface QueryBody {
  format: string;
  mode?: string;
  since?: string;
  until?: string;
}

interface CallSpec {
  endpoint: ApiEndpoint;
  method: "GET" | "POST";
  path: string;
  body?: string;
  contentType?: string;
  /** what the call does, for messages: "start a query for canvas.courses" */
  purpose: string;
}

interface Answer {
  status: number;
  text: string;
  retryAfter: string | null;
}

/** Object ids per URL call: the API takes a list; keep each call's body modest. */
const URL_BATCH = 100;
/** Without a Retry-After, a 429 pauses its endpoint this long (the official client's wait). */
const DEFAULT_RATE_LIMIT_PAUSE_MS = 30_000;
/** The largest answer read (bytes): the biggest DAP answers (a job's objects, a schema) are far smaller. */
export const MAX_ANSWER_BYTES = 8 << 20;
/** The most of an error answer read for its message (bytes). */
const MAX_ERROR_BYTES = 64 << 10;
/** Clocks further apart than this (ms) are worth a line. */
const SKEW_NOTE_MS = 60_000;

/** Seconds from the JWT's `exp` claim, read without verifying it (as the official client does). */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
    return typeof claims.exp === "number" ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

/** A DAP Query API client. */
export class ApiClient {
  readonly #o: ApiClientOptions;
  readonly #runtime: Runtime;
  #token?: { value: string; renewAt: number };
  #login?: Promise<string>;
  #skewNoted = false;
  /** calls made, per endpoint, for run summaries and benchmarks */
  readonly calls = new Map<ApiEndpoint, number>();

  constructor(options: ApiClientOptions) {
    this.#o = options;
    this.#runtime = options.runtime;
    this.#runtime.secrets.add(options.clientSecret);
  }

  /** Logs in now (or reuses a valid token), so that refused credentials fail before any work. */
  async authenticate(): Promise<void> {
    await this.#bearer();
  }

  /** `GET /dap/query/{namespace}/table` */
  async listTables(namespace: string): Promise<string[]> {
    const path = `/dap/query/${encodeURIComponent(namespace)}/table`;
    const purpose = `list the tables of namespace '${printable(namespace)}'`;
    return parseTableList(await this.#call({ endpoint: "tables", method: "GET", path, purpose }));
  }

  /** `GET /dap/query/{namespace}/table/{table}/schema` */
  async getSchema(namespace: string, table: string): Promise<SchemaAnswer> {
    const path = `${tablePath(namespace, table)}/schema`;
    const purpose = `get the schema of ${printable(`${namespace}.${table}`)}`;
    return parseSchema(await this.#call({ endpoint: "schema", method: "GET", path, purpose }));
  }

  /** `POST /dap/query/{namespace}/table/{table}/data`: starts (or finds) a job. */
  async startQuery(namespace: string, table: string, query: QueryBody): Promise<Job> {
    const path = `${tablePath(namespace, table)}/data`;
    const purpose = `start a query for ${printable(`${namespace}.${table}`)}`;
    const body = JSON.stringify(query);
    return parseJob(await this.#call({ endpoint: "query", method: "POST", path, body, purpose }));
  }

  /** `GET /dap/job/{id}` */
  async getJob(id: string): Promise<Job> {
    const path = `/dap/job/${encodeURIComponent(id)}`;
    const purpose = `get job ${printable(id)}`;
    return parseJob(await this.#call({ endpoint: "job", method: "GET", path, purpose }));
  }

  /** `POST /dap/object/url`: pre-signed URLs for objects, in as few calls as the batch size allows. */
  async getObjectUrls(ids: readonly string[]): Promise<Map<string, string>> {
    const urls = new Map<string, string>();
    for (let i = 0; i < ids.length; i += URL_BATCH) {
      for (const [id, url] of await this.#urlBatch(ids.slice(i, i + URL_BATCH))) urls.set(id, url);
    }
    return urls;
  }

  async #urlBatch(ids: readonly string[]): Promise<Map<string, string>> {
    const purpose = `get download URLs for ${ids.length} object(s)`;
    const body = JSON.stringify(ids.map((id) => ({ id })));
    const spec: CallSpec = {
      endpoint: "urls",
      method: "POST",
      path: "/dap/object/url",
      body,
      purpose,
    };
    const urls = parseObjectUrls(await this.#call(spec));
    const missing = ids.find((id) => !urls.has(id));
    if (missing !== undefined) {
      throw new SyntaxError(`Cannot ${purpose}: no URL for object ${printable(missing)}`);
    }
    return urls;
  }

  #count(endpoint: ApiEndpoint): void {
    this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1);
  }

  /** One request and its classification for the retry loop. */
  async #attempt(spec: CallSpec, n: number, authorization: () => Promise<string>) {
    await this.#o.beforeCall?.(spec.endpoint);
    this.#count(spec.endpoint);
    const headers: Record<string, string> = {
      "user-agent": this.#o.userAgent ?? "dap-deno",
      authorization: await authorization(),
      ...(spec.body === undefined
        ? {}
        : { "content-type": spec.contentType ?? "application/json" }),
    };
    const url = new URL(this.#o.baseUrl.href.replace(/\/+$/, "") + spec.path);
    let answer: Answer;
    try {
      const init = { method: spec.method, headers, body: spec.body };
      answer = await readAnswer(spec, await fetchWithDeadlines(url, init, this.#runtime));
    } catch (error) {
      if (error instanceof SyntaxError) throw error;
      return this.#networkFailure(spec, n, error);
    }
    return this.#classify(spec, answer);
  }

  #networkFailure(spec: CallSpec, n: number, error: unknown): Attempt<Answer> {
    this.#runtime.signal.throwIfAborted();
    const origin = this.#o.baseUrl.origin;
    if (error instanceof DeadlineError) {
      // A silent server is retried under the normal policy: the deadline already bounds each wait.
      const failure = new ApiError(
        `Cannot ${spec.purpose}: ${origin} did not answer in time (${error.message})`,
        { status: 0, cause: error },
      );
      return { kind: "retry", reason: error.message, error: failure };
    }
    const reason = networkReason(error);
    const failure = new ApiError(`Cannot ${spec.purpose}: cannot reach ${origin} (${reason})`, {
      status: 0,
      cause: error,
    });
    // A refused or unresolvable host rarely heals in seconds: fewer attempts; TLS never does.
    if (n >= Math.min(3, this.#runtime.retry.maxAttempts) || reason.startsWith("TLS")) {
      throw failure;
    }
    return { kind: "retry", reason, error: failure };
  }

  #classify(spec: CallSpec, answer: Answer): Attempt<Answer> {
    const { status, text } = answer;
    if (status === 401 && spec.endpoint !== "login") {
      return { kind: "refresh", reason: "HTTP 401" };
    }
    if (!isRetryableStatus(status)) return { kind: "done", value: answer };
    const retryAfterMs = parseRetryAfter(answer.retryAfter, this.#runtime.now());
    if (status === 429) {
      const pause = Math.min(retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS, MAX_SERVER_WAIT_MS);
      this.#o.onRateLimited?.(spec.endpoint, pause);
    }
    const details = parseErrorBody(status, text);
    return {
      kind: "retry",
      reason: `HTTP ${status} ${details.message}`,
      retryAfterMs,
      error: apiError(spec, status, text),
    };
  }

  /** Sends `spec` under the retry loop; a 401 renews the token once. */
  #send(spec: CallSpec, authorization: () => Promise<string>): Promise<Answer> {
    return withRetry((n) => this.#attempt(spec, n, authorization), {
      what: `${spec.method} ${spec.path}`,
      runtime: this.#runtime,
      giveUp: (reason) => new ApiError(`Cannot ${spec.purpose}: ${reason}`, { status: 0 }),
      refresh: {
        max: 1,
        run: () => {
          this.#runtime.log.info("The API refused the token (HTTP 401); logging in again");
          this.#token = undefined;
          return Promise.resolve();
        },
        exhausted: () =>
          new AuthError(`Cannot ${spec.purpose}: the API refused a fresh token (HTTP 401)`),
      },
    });
  }

  /** An authenticated call answering JSON. */
  async #call(spec: CallSpec): Promise<unknown> {
    const answer = await this.#send(spec, async () => `Bearer ${await this.#bearer()}`);
    if (answer.status < 200 || answer.status > 299) {
      throw apiError(spec, answer.status, answer.text);
    }
    return parseJsonAnswer(spec, answer.text);
  }

  /** A valid token: the cached one, or a new login when it is near expiry. */
  async #bearer(): Promise<string> {
    const token = this.#token;
    if (token && this.#runtime.now() < token.renewAt) return token.value;
    if (token) this.#runtime.log.debug("Renewing the access token before it expires");
    this.#login ??= this.#logIn().finally(() => (this.#login = undefined));
    return await this.#login;
  }

  async #logIn(): Promise<string> {
    const { clientId, clientSecret } = this.#o;
    const bytes = new TextEncoder().encode(`${clientId}:${clientSecret}`);
    const basic = btoa(String.fromCharCode(...bytes));
    this.#runtime.secrets.add(basic);
    const spec: CallSpec = {
      endpoint: "login",
      method: "POST",
      path: "/ids/auth/login",
      body: "grant_type=client_credentials",
      contentType: "application/x-www-form-urlencoded",
      purpose: "log in",
    };
    const { status, text } = await this.#send(spec, () => Promise.resolve(`Basic ${basic}`));
    if (status === 400 || status === 401 || status === 403) {
      const details = parseErrorBody(status, text);
      throw new AuthError(
        `Cannot log in: the client id or secret was refused (HTTP ${status}: ${details.message})`,
      );
    }
    if (status < 200 || status > 299) throw apiError(spec, status, text);
    const token = parseToken(parseJsonAnswer(spec, text));
    this.#runtime.secrets.add(token.accessToken);
    this.#token = { value: token.accessToken, renewAt: this.#renewAt(token) };
    return token.accessToken;
  }

  /**
   * When to renew: 5 minutes before expiry, or a fifth of the lifetime for
   * short-lived tokens. Expiry is the answer's `expires_in` on our own clock,
   * or the JWT's `exp` when that is (slightly) sooner. An `exp` more than a
   * minute off is the server's clock, not the token's lifetime: a clock ahead
   * of the server's would otherwise find every token expired.
   */
  #renewAt(token: { accessToken: string; expiresIn: number }): number {
    const now = this.#runtime.now();
    const byLifetime = now + token.expiresIn * 1000;
    const exp = jwtExpiry(token.accessToken);
    const skew = exp === undefined ? 0 : exp * 1000 - byLifetime; // the server's clock minus ours
    if (Math.abs(skew) >= SKEW_NOTE_MS) this.#noteSkew(skew);
    const agree = exp !== undefined && Math.abs(skew) < SKEW_NOTE_MS;
    const expiresAt = agree ? Math.min(byLifetime, exp * 1000) : byLifetime;
    const lifetime = Math.max(0, expiresAt - now);
    this.#runtime.log.debug(`Logged in; token valid for ${Math.round(lifetime / 1000)} s`);
    return expiresAt - Math.min(300_000, lifetime / 5);
  }

  /** Says once that this machine's clock and the identity server's differ. */
  #noteSkew(skew: number): void {
    if (this.#skewNoted) return;
    this.#skewNoted = true;
    this.#runtime.log.warning(
      `This machine's clock is ${Math.round(Math.abs(skew) / 1000)} s ${
        skew < 0 ? "ahead of" : "behind"
      } the identity server's (the token's exp against its expires_in); tokens are renewed by expires_in`,
    );
  }
}

/** Reads an answer's body, capped: a 2xx answer above `MAX_ANSWER_BYTES` is a protocol error. */
async function readAnswer(spec: CallSpec, response: TimedResponse): Promise<Answer> {
  const ok = response.status >= 200 && response.status <= 299;
  const { bytes, truncated } = await readBody(response, ok ? MAX_ANSWER_BYTES : MAX_ERROR_BYTES);
  if (ok && truncated) {
    throw new SyntaxError(
      `Cannot ${spec.purpose}: the answer is larger than ${
        MAX_ANSWER_BYTES >> 20
      } MiB, far more than any DAP answer; not reading it`,
    );
  }
  return {
    status: response.status,
    text: new TextDecoder().decode(bytes),
    retryAfter: response.headers.get("retry-after"),
  };
}

function tablePath(namespace: string, table: string): string {
  return `/dap/query/${encodeURIComponent(namespace)}/table/${encodeURIComponent(table)}`;
}

function apiError(spec: CallSpec, status: number, text: string): ApiError {
  const details = parseErrorBody(status, text);
  return new ApiError(`Cannot ${spec.purpose}: ${details.message} (HTTP ${status})`, {
    status,
    type: details.type,
    uuid: details.uuid,
  });
}

function parseJsonAnswer(spec: CallSpec, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SyntaxError(`Cannot ${spec.purpose}: the answer is not JSON`);
  }
}

/** A short reason for a network failure: "connection refused", "dns error", ... */
export function networkReason(error: unknown): string {
  const text = error instanceof Error
    ? `${error.message} ${error.cause instanceof Error ? error.cause.message : ""}`
    : String(error);
  if (/refused/i.test(text)) return "connection refused";
  if (/dns|lookup|not known|ENOTFOUND|name resolution/i.test(text)) return "host name not found";
  if (/reset|closed|broken pipe|EOF/i.test(text)) return "connection reset";
  if (/timed? ?out/i.test(text)) return "timed out";
  if (/UnknownIssuer|self.signed|certificate/i.test(text)) {
    return "TLS error: the server's certificate is not trusted; set DENO_CERT to your CA bundle";
  }
  if (/tls|ssl|handshake/i.test(text)) return "TLS error";
  return printable(text.split("\n")[0]!, 200);
}
