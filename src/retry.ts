/**
 * The one retry loop, shared by API calls and downloads (as rclone's pacer
 * is): it owns attempts, backoff with jitter, the server's Retry-After,
 * refreshes and logging. Callers only classify each attempt: done, retry
 * (after N ms), refresh (a new URL or token, then again at once) or restart
 * (discard what the attempt kept, then retry).
 */
import { ApiError } from "./errors.ts";
import { printable } from "./printable.ts";
import type { Log, Sleep } from "./runtime.ts";

/** How many attempts and how long between them. */
export interface RetryPolicy {
  /** attempts in all, the first included @default 6 */
  maxAttempts: number;
  /** first backoff step (ms) @default 250 */
  baseDelayMs: number;
  /** longest wait between two attempts (ms) @default 20000 */
  maxDelayMs: number;
}

/** The default policy. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 20_000 };

/** The longest wait a server may ask for (Retry-After, a 429's pause): 5 minutes. */
export const MAX_SERVER_WAIT_MS = 300_000;

/** Retries a whole run may make, across every request, before it gives up @default 100 */
export const DEFAULT_RETRY_BUDGET = 100;

/** The run used up its retry budget: the API or the network keeps failing. */
export class RetryBudgetError extends ApiError {
  override name = "RetryBudgetError";
}

/**
 * Retries left for the whole run, shared by every request, so that a server
 * that fails everything slowly (or asks for long waits) cannot keep a run
 * busy for days. Refreshes (a new token or URL) are not retries.
 */
export class RetryBudget {
  readonly max: number;
  #used = 0;

  constructor(max: number = DEFAULT_RETRY_BUDGET) {
    if (!Number.isInteger(max) || max < 0) throw new RangeError("max must be an integer >= 0");
    this.max = max;
  }

  /** Retries made so far. */
  get used(): number {
    return this.#used;
  }

  /** Takes one retry of `what`; throws a RetryBudgetError once none is left. */
  spend(what: string, reason: string): void {
    if (this.#used >= this.max) {
      throw new RetryBudgetError(
        `Cannot go on: this run used all ${this.max} retries it may make (the last for ${
          printable(what)
        }: ${
          printable(reason)
        }); the API or the network keeps failing. Files complete so far are kept: rerun the same command later, or raise --retry-budget`,
        { status: 0 },
      );
    }
    this.#used++;
  }
}

/** 408, 429 and every 5xx are retryable; other statuses are answers. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Reads `Retry-After` (seconds or an HTTP date) as milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1). A server's
 * Retry-After wins, capped at `MAX_SERVER_WAIT_MS`; otherwise "equal jitter"
 * (half fixed, half random) over an exponentially growing window capped at `maxDelayMs`.
 */
export function retryDelay(
  attempt: number,
  options: { policy?: RetryPolicy; retryAfterMs?: number; random?: () => number } = {},
): number {
  const policy = options.policy ?? DEFAULT_RETRY;
  if (options.retryAfterMs !== undefined) {
    return Math.min(Math.max(0, options.retryAfterMs), MAX_SERVER_WAIT_MS);
  }
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(window / 2 + random() * window / 2);
}

/** Waits `ms`, or rejects with the signal's reason at once when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What one attempt came to. */
export type Attempt<T> =
  | { kind: "done"; value: T }
  /** try again after the backoff (or the server's wait); `error` is thrown when attempts run out */
  | { kind: "retry"; reason: string; retryAfterMs?: number; error?: Error }
  /** get a new URL or token, then try again at once; not counted as an attempt */
  | { kind: "refresh"; reason: string }
  /** discard what the attempt kept, then retry as above */
  | { kind: "restart"; reason: string; error?: Error };

/** What the loop needs from the runtime. */
export interface RetryRuntime {
  sleep: Sleep;
  random: () => number;
  signal: AbortSignal;
  log: Log;
  retry: RetryPolicy;
  /** the run's retries, shared by every request */
  retryBudget: RetryBudget;
}

/** How to retry one operation. */
export interface RetryOptions {
  /** what is retried, for log lines: `GET /dap/job/x`, `part-00000.csv.gz` */
  what: string;
  runtime: RetryRuntime;
  /** the error thrown when attempts run out */
  giveUp: (reason: string, attempts: number) => Error;
  /** gets a new URL or token; at most `max` times, then `exhausted()` is thrown */
  refresh?: { run: (reason: string) => Promise<void>; max: number; exhausted: () => Error };
  /** discards what a failed attempt kept (a partial file, say) */
  restart?: (reason: string) => Promise<void>;
  /** extra fields for retry log lines (`table`, `file`, ...) */
  fields?: Record<string, unknown>;
}

/** Runs `attempt` (given its 1-based number) until it is done, attempts run out, or the run stops. */
export async function withRetry<T>(
  attempt: (n: number) => Promise<Attempt<T>>,
  options: RetryOptions,
): Promise<T> {
  const { runtime, refresh } = options;
  const policy = runtime.retry;
  let refreshes = 0;
  for (let n = 1;;) {
    runtime.signal.throwIfAborted();
    const verdict = await attempt(n);
    if (verdict.kind === "done") return verdict.value;
    if (verdict.kind === "refresh") {
      if (!refresh || ++refreshes > refresh.max) {
        throw refresh?.exhausted() ?? options.giveUp(verdict.reason, n);
      }
      await refresh.run(verdict.reason);
      continue;
    }
    if (n >= policy.maxAttempts) throw verdict.error ?? options.giveUp(verdict.reason, n);
    runtime.retryBudget.spend(options.what, verdict.reason);
    if (verdict.kind === "restart") await options.restart?.(verdict.reason);
    const retryAfterMs = verdict.kind === "retry" ? verdict.retryAfterMs : undefined;
    const delay = retryDelay(n, { policy, retryAfterMs, random: runtime.random });
    runtime.log.warning(
      `Retrying ${options.what} in ${delay} ms (attempt ${
        n + 1
      } of ${policy.maxAttempts}): ${verdict.reason}${cappedNote(retryAfterMs)}`,
      { ...options.fields, attempt: n + 1 },
    );
    await runtime.sleep(delay, runtime.signal);
    n++;
  }
}

/** Says so when the server asked for a longer wait than it gets. */
export function cappedNote(retryAfterMs: number | undefined): string {
  if (retryAfterMs === undefined || retryAfterMs <= MAX_SERVER_WAIT_MS) return "";
  return ` (the server asked to wait ${Math.round(retryAfterMs / 1000)} s; waiting at most ${
    MAX_SERVER_WAIT_MS / 1000
  } s)`;
}
