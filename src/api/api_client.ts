/**
 * The only place that knows DAP URLs and wire shapes. It logs in, keeps the
 * token fresh (renewed before it expires and once after a 401), retries what
 * is retryable, and turns every other answer into a typed error carrying the
 * server's message and uuid. It never logs a secret: the logger redacts the
 * client secret and every token it is handed.
 */
import { withDefaults } from "../defaults.ts";
import { ApiError, AuthError, InterruptedError } from "../errors.ts";
import type { Logger } from "../report/logger.ts";
import {
  abortableSleep,
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  type RetryPolicy,
} from "../retry.ts";
import {
  type Job,
  parseErrorBody,
  parseJob,
  parseObjectUrls,
  parseSchema,
  parseTables,
  parseToken,
} from "./parse_answers.ts";

/** What the client needs; everything but the credentials has a default. */
export interface ApiClientOptions {
  baseUrl: URL;
  clientId: string;
  clientSecret: string;
  logger: Logger;
  /** sent as User-Agent @default "dap-deno" */
  userAgent?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default abortableSleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default Date.now */
  now?: () => number;
  /** @default Math.random */
  random?: () => number;
  /** aborts every call in flight and every wait */
  signal?: AbortSignal;
  /** @default DEFAULT_RETRY */
  retry?: RetryPolicy;
}

/** The body of a query (endpoint 3). */
export interface QueryBody {
  format: string;
  mode?: string;
  since?: string;
  until?: string;
}

/** Endpoint names used for rate-limit scheduling and logs. */
export type ApiEndpoint = "login" | "tables" | "schema" | "query" | "job" | "urls";

interface CallSpec {
  endpoint: ApiEndpoint;
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  /** what the call does, for messages: "start a query for canvas.courses" */
  purpose: string;
}

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
  readonly #o: Required<Omit<ApiClientOptions, "signal">> & { signal?: AbortSignal };
  #token?: { value: string; expiresAt: number; renewAt: number };
  #login?: Promise<string>;
  /** calls made, per endpoint, for run summaries and benchmarks */
  readonly calls = new Map<ApiEndpoint, number>();
  /** hook called before each call, e.g. a rate-limit scheduler */
  beforeCall?: (endpoint: ApiEndpoint) => Promise<void>;
  /** hook called when the server answers 429, with the wait it asked for (or ours) */
  onRateLimited?: (endpoint: ApiEndpoint, waitMs: number) => void;

  constructor(options: ApiClientOptions) {
    this.#o = withDefaults({
      userAgent: "dap-deno",
      fetch: globalThis.fetch.bind(globalThis),
      sleep: abortableSleep,
      now: Date.now,
      random: Math.random,
      retry: DEFAULT_RETRY,
    }, options);
    this.#o.logger.addSecret(options.clientSecret);
  }

  /** Logs in now (or reuses a valid token), so that refused credentials fail before any work. */
  async authenticate(): Promise<void> {
    await this.#bearer();
  }

  /** `GET /dap/query/{namespace}/table` */
  async listTables(namespace: string): Promise<string[]> {
    const path = `/dap/query/${encodeURIComponent(namespace)}/table`;
    const purpose = `list the tables of namespace '${namespace}'`;
    return parseTables(await this.#call({ endpoint: "tables", method: "GET", path, purpose }));
  }

  /** `GET /dap/query/{namespace}/table/{table}/schema` */
  async getSchema(
    namespace: string,
    table: string,
  ): Promise<{ schema: Record<string, unknown>; version: number }> {
    const path = `${this.#tablePath(namespace, table)}/schema`;
    const purpose = `get the schema of ${namespace}.${table}`;
    return parseSchema(await this.#call({ endpoint: "schema", method: "GET", path, purpose }));
  }

  /** `POST /dap/query/{namespace}/table/{table}/data`: starts (or finds) a job. */
  async startQuery(namespace: string, table: string, body: QueryBody): Promise<Job> {
    const path = `${this.#tablePath(namespace, table)}/data`;
    const purpose = `start a query for ${namespace}.${table}`;
    return parseJob(await this.#call({ endpoint: "query", method: "POST", path, body, purpose }));
  }

  /** `GET /dap/job/{id}` */
  async getJob(id: string): Promise<Job> {
    const path = `/dap/job/${encodeURIComponent(id)}`;
    return parseJob(
      await this.#call({ endpoint: "job", method: "GET", path, purpose: `get job ${id}` }),
    );
  }

  /** `POST /dap/object/url`: pre-signed URLs for objects, in one call. */
  async getObjectUrls(ids: readonly string[]): Promise<Map<string, string>> {
    const body = ids.map((id) => ({ id }));
    const purpose = `get download URLs for ${ids.length} object(s)`;
    const urls = parseObjectUrls(
      await this.#call({
        endpoint: "urls",
        method: "POST",
        path: "/dap/object/url",
        body,
        purpose,
      }),
    );
    const missing = ids.find((id) => !urls.has(id));
    if (missing) throw new SyntaxError(`Cannot ${purpose}: no URL for object ${missing}`);
    return urls;
  }

  #tablePath(namespace: string, table: string): string {
    return `/dap/query/${encodeURIComponent(namespace)}/table/${encodeURIComponent(table)}`;
  }

  #url(path: string): URL {
    const base = this.#o.baseUrl.href.replace(/\/+$/, "");
    return new URL(base + path);
  }

  #count(endpoint: ApiEndpoint): void {
    this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1);
  }

  /** Sends one request, retrying network errors and retryable statuses. */
  async #send(spec: CallSpec, headers: () => Promise<Record<string, string>>): Promise<Response> {
    const { retry, signal } = this.#o;
    for (let attempt = 1;; attempt++) {
      if (signal?.aborted) throw new InterruptedError();
      await this.beforeCall?.(spec.endpoint);
      this.#count(spec.endpoint);
      const requestHeaders = { "user-agent": this.#o.userAgent, ...(await headers()) };
      let response: Response;
      try {
        response = await this.#o.fetch(this.#url(spec.path), {
          method: spec.method,
          headers: requestHeaders,
          body: spec.body === undefined
            ? undefined
            : typeof spec.body === "string"
            ? spec.body
            : JSON.stringify(spec.body),
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw new InterruptedError();
        const reason = networkReason(error);
        // A refused or unresolvable host rarely heals in seconds: fewer attempts; TLS never does.
        if (attempt >= Math.min(3, retry.maxAttempts) || reason.startsWith("TLS")) {
          throw new ApiError(
            `Cannot ${spec.purpose}: cannot reach ${this.#o.baseUrl.origin} (${reason})`,
            { status: 0, cause: error },
          );
        }
        await this.#backoff(spec, attempt, reason);
        continue;
      }
      if (!isRetryableStatus(response.status) || attempt >= retry.maxAttempts) return response;
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.#o.now());
      if (response.status === 429) this.onRateLimited?.(spec.endpoint, retryAfterMs ?? 30_000);
      const details = parseErrorBody(response.status, await response.text());
      await this.#backoff(
        spec,
        attempt,
        `HTTP ${response.status} ${details.message}`,
        retryAfterMs,
      );
    }
  }

  async #backoff(spec: CallSpec, attempt: number, reason: string, retryAfterMs?: number) {
    const delay = retryDelay(attempt, {
      policy: this.#o.retry,
      retryAfterMs,
      random: this.#o.random,
    });
    this.#o.logger.warning(
      `Retrying ${spec.method} ${spec.path} in ${delay} ms (attempt ${
        attempt + 1
      } of ${this.#o.retry.maxAttempts}): ${reason}`,
    );
    try {
      await this.#o.sleep(delay, this.#o.signal);
    } catch {
      throw new InterruptedError();
    }
  }

  /** A valid token: the cached one, or a new login when it is near expiry. */
  async #bearer(): Promise<string> {
    const token = this.#token;
    if (token && this.#o.now() < token.renewAt) return token.value;
    if (token) this.#o.logger.debug("Renewing the access token before it expires");
    this.#login ??= this.#logIn().finally(() => (this.#login = undefined));
    return await this.#login;
  }

  async #logIn(): Promise<string> {
    const { clientId, clientSecret } = this.#o;
    const basic = btoa(
      String.fromCharCode(...new TextEncoder().encode(`${clientId}:${clientSecret}`)),
    );
    this.#o.logger.addSecret(basic);
    const spec: CallSpec = {
      endpoint: "login",
      method: "POST",
      path: "/ids/auth/login",
      body: "grant_type=client_credentials",
      purpose: "log in",
    };
    const response = await this.#send(spec, () =>
      Promise.resolve({
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
      }));
    const text = await response.text();
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      const details = parseErrorBody(response.status, text);
      throw new AuthError(
        `Cannot log in: the client id or secret was refused (HTTP ${response.status}: ${details.message})`,
      );
    }
    if (!response.ok) throw this.#apiError(spec, response.status, text);
    const token = parseToken(parseJsonAnswer(spec, text));
    this.#o.logger.addSecret(token.accessToken);
    const now = this.#o.now();
    const expiresAt = (jwtExpiry(token.accessToken) ?? now / 1000 + token.expiresIn) * 1000;
    const lifetime = Math.max(0, expiresAt - now);
    // Renew with 5 minutes to spare, or a fifth of the lifetime for short-lived tokens.
    const renewAt = expiresAt - Math.min(300_000, lifetime / 5);
    this.#token = { value: token.accessToken, expiresAt, renewAt };
    this.#o.logger.debug(`Logged in; token valid for ${Math.round(lifetime / 1000)} s`);
    return token.accessToken;
  }

  #apiError(spec: CallSpec, status: number, text: string): ApiError {
    const details = parseErrorBody(status, text);
    return new ApiError(`Cannot ${spec.purpose}: ${details.message} (HTTP ${status})`, {
      status,
      type: details.type,
      uuid: details.uuid,
    });
  }

  /** An authenticated call: renews the token once after a 401. */
  async #call(spec: CallSpec): Promise<unknown> {
    for (let renewed = false;; renewed = true) {
      const response = await this.#send(spec, async () => ({
        authorization: `Bearer ${await this.#bearer()}`,
        ...(spec.body === undefined ? {} : { "content-type": "application/json" }),
      }));
      const text = await response.text();
      if (response.status === 401 && !renewed) {
        this.#o.logger.info(`The API refused the token (HTTP 401); logging in again`);
        this.#token = undefined;
        continue;
      }
      if (response.status === 401) {
        throw new AuthError(`Cannot ${spec.purpose}: the API refused a fresh token (HTTP 401)`);
      }
      if (!response.ok) throw this.#apiError(spec, response.status, text);
      return parseJsonAnswer(spec, text);
    }
  }
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
  return text.split("\n")[0]!.slice(0, 200);
}
