/**
 * The local DAP API emulator: one `handler(Request) -> Response` that serves
 * the identity service, the five Query API endpoints and pre-signed object
 * downloads in the shapes of the contract (`shared/dap-api.md`). Tests use the
 * handler directly as an injected `fetch`, or serve it on 127.0.0.1.
 *
 * Everything observable is deterministic for a given seed and clock: job ids,
 * object names, object bytes, faults. Secrets never reach the request log.
 *
 * Data moves through time: the emulator serves every table as of `dataAt`
 * (move it with `configure({ dataAt })`), and rows are inserted, updated and
 * deleted between instants, so that snapshot(T1) + incremental (T1, T2] =
 * snapshot(T2) (`row_history.ts`). `schemaBumpAt` adds a column and a schema
 * version from an instant on (`table_at.ts`).
 *
 * This module owns the router, the shared state and the public class; the
 * answers live in `identity.ts`, `catalogue_answers.ts`, `jobs.ts`,
 * `objects.ts` and `responses.ts`; the data in `row_history.ts`, `rows.ts`,
 * `table_at.ts` and `encode.ts`.
 */
import { CatalogueAnswers } from "./catalogue_answers.ts";
import { type EmulatorOptions, type ResolvedOptions, resolveOptions } from "./emulator_options.ts";
import { chooseFault, type Fault } from "./faults.ts";
import { Identity } from "./identity.ts";
import { Jobs } from "./jobs.ts";
import { Objects } from "./objects.ts";
import { hashOf, Random } from "./random.ts";
import { RateWindows } from "./rate_windows.ts";
import { type RecordedRequest, recordRequest } from "./request_log.ts";
import { Responses } from "./responses.ts";
import { type Route, routeOf } from "./route.ts";
import type { SharedState } from "./shared_state.ts";

export {
  type Credential,
  DEMO_CREDENTIAL,
  DOCUMENTED_RATE_LIMITS,
  type EmulatorOptions,
  type RateLimit,
} from "./emulator_options.ts";
export type { ChaosOptions, Endpoint, Fault, FaultRule } from "./faults.ts";
export type { RecordedRequest } from "./request_log.ts";

type Handler = (request: Request) => Promise<Response>;

/** A DAP API emulator instance: its handler, its request log and its state. */
export class Emulator {
  readonly requests: RecordedRequest[] = [];
  /** every token and URL signature handed out, for tests that search output for leaks */
  readonly issuedSecrets: string[] = [];
  /** faults injected so far, by kind (status faults as `status <n>`) */
  readonly faultsInjected = new Map<string, number>();
  /** download body bytes handed to the transport so far (streamed bodies count chunk by chunk) */
  bytesServed = 0;
  readonly handler: Handler;
  readonly #o: ResolvedOptions;
  readonly #state: SharedState;
  readonly #identity: Identity;
  readonly #catalogue: CatalogueAnswers;
  readonly #jobs: Jobs;
  readonly #objects: Objects;
  readonly #rateWindows: RateWindows;
  readonly #attempts = new Map<string, number>();
  /** re-checks of pending `waitFor()` calls, run on every change tests can observe */
  readonly #waiters = new Set<() => void>();
  #counter = 0;

  constructor(options: EmulatorOptions = {}) {
    this.#o = resolveOptions(options);
    const uuid = (salt: string) =>
      new Random(hashOf(this.#o.seed, `${salt}#${++this.#counter}`)).uuid();
    this.#state = {
      options: this.#o,
      signingKey: `emulator-signing-key-${this.#o.seed}`,
      issuedSecrets: this.issuedSecrets,
      respond: new Responses(uuid),
      uuid,
      countFault: (fault) => this.#countFault(fault),
      countServed: (bytes) => {
        this.bytesServed += bytes;
        this.#changed();
      },
    };
    this.#identity = new Identity(this.#state);
    this.#catalogue = new CatalogueAnswers(this.#state);
    this.#jobs = new Jobs(this.#state);
    this.#objects = new Objects(this.#state, this.#jobs);
    this.#rateWindows = new RateWindows(this.#state);
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
    this.#changed();
  }

  /**
   * Resolves as soon as `predicate(this)` holds: at once, or when a request is
   * recorded or answered, download bytes go out, or settings change (no
   * polling). Rejects after `timeoutMs` (@default 10000), or when the
   * predicate throws. `description` names the condition in the timeout error
   * (@default the predicate's source text).
   */
  waitFor(
    predicate: (emulator: Emulator) => boolean,
    options: { timeoutMs?: number; description?: string } = {},
  ): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!(timeoutMs >= 0)) {
      throw new RangeError(
        `Cannot wait for the emulator: timeoutMs must be >= 0, got ${timeoutMs}`,
      );
    }
    return new Promise((resolve, reject) => {
      const finish = () => {
        this.#waiters.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        try {
          if (!predicate(this)) return;
        } catch (error) {
          finish();
          return reject(error);
        }
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(this.#timeoutError(options.description ?? String(predicate), timeoutMs));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  #timeoutError(description: string, timeoutMs: number): Error {
    const text = description.replace(/\s+/g, " ");
    const shown = text.length > 160 ? `${text.slice(0, 157)}...` : text;
    return new Error(
      `Cannot wait for the emulator: ${shown} did not happen within ${timeoutMs} ms ` +
        `(${this.requests.length} requests recorded, ${this.bytesServed} download bytes served)`,
    );
  }

  #changed(): void {
    for (const check of [...this.#waiters]) check();
  }

  /** The bytes of an object as served, for tests comparing files on disk. */
  objectBytes(id: string): Uint8Array {
    return this.#objects.bytes(id);
  }

  #countFault(fault: Fault): void {
    const name = fault.kind === "status" ? `status ${fault.status}` : fault.kind;
    this.faultsInjected.set(name, (this.faultsInjected.get(name) ?? 0) + 1);
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const route = routeOf(request.method, url.pathname.replace(/^\/dap\/beta\//, "/dap/"));
    const record = recordRequest(request, {
      at: this.#o.now(),
      url,
      body,
      endpoint: route?.endpoint,
    });
    this.requests.push(record);
    this.#changed();
    const response = route ? this.#answer(route, request, url, body) : this.#state.respond.error(
      404,
      "ObjectNotFound",
      `No route for ${request.method} ${url.pathname}`,
      { id: url.pathname, kind: "route" },
    );
    record.status = response.status;
    this.#changed();
    return response;
  }

  #answer(route: Route, request: Request, url: URL, body: string): Response {
    const attemptKey = `${request.method} ${url.pathname} ${body}`;
    const attempt = (this.#attempts.get(attemptKey) ?? 0) + 1;
    this.#attempts.set(attemptKey, attempt);
    const [a = "", b = ""] = route.params;
    if (route.endpoint === "object") return this.#objects.download(a, request, url, attempt);
    const limited = this.#rateWindows.check(route.endpoint);
    if (limited) return limited;
    const fault = chooseFault(
      { endpoint: route.endpoint, path: url.pathname + body, attempt },
      this.#o.faults,
      this.#o.chaos,
    );
    if (fault) this.#countFault(fault);
    if (fault?.kind === "status") return this.#state.respond.faultStatus(fault);
    if (route.endpoint === "login") return this.#identity.login(request, body);
    const refused = this.#identity.authenticate(request);
    if (refused) return refused;
    switch (route.endpoint) {
      case "tables":
        return this.#catalogue.tables(a);
      case "schema":
        return this.#catalogue.schema(a, b);
      case "query":
        return this.#jobs.query(a, b, body, fault?.kind === "jobFailed");
      case "job":
        return this.#jobs.status(a);
      default:
        return this.#objects.urls(body, url.origin);
    }
  }
}
