/**
 * The one runtime object: what long operations need from the world (network,
 * clock, randomness, cancellation, logging). `runCli` builds it once and
 * passes it down; tests build it with fakes. Nothing below `cli/` reads the
 * environment or creates its own clock.
 */
import { abortableSleep, DEFAULT_RETRY, RetryBudget, type RetryPolicy } from "./retry.ts";
import { type Deadlines, DEFAULT_DEADLINES } from "./fetch_with_deadlines.ts";
import { InterruptedError } from "./errors.ts";
import { DEFAULT_POLL, type PollSchedule } from "./job/poll_schedule.ts";

/** Structured fields of a log line (`table`, `job_id`, `file`, `attempt`, ...). */
export type LogFields = Record<string, unknown>;

/** The logger as its users see it; `report/Logger` is one implementation. */
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Waits `ms`, rejecting with the signal's reason when it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Values that must never be printed (secrets, tokens); the logger redacts them. */
export type Secrets = Set<string>;

/** Everything a long operation needs from the world. */
export interface Runtime {
  fetch: typeof fetch;
  sleep: Sleep;
  now: () => number;
  random: () => number;
  /** aborts with an InterruptedError on Ctrl-C */
  signal: AbortSignal;
  log: Log;
  /** secrets seen so far (credentials, tokens), redacted from every line */
  secrets: Secrets;
  retry: RetryPolicy;
  /** retries left for the whole run, shared by every request */
  retryBudget: RetryBudget;
  /** how long any one request may wait for its answer and between body bytes */
  deadlines: Deadlines;
  poll: PollSchedule;
}

/** A log that writes nothing. */
export const SILENT_LOG: Log = { debug() {}, info() {}, warning() {}, error() {} };

/**
 * A signal that aborts with an `InterruptedError` whenever `outer` aborts,
 * whatever reason `outer` was given, so every wait and fetch rejects with it.
 */
export function interruptSignal(outer?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort(new InterruptedError());
  if (outer?.aborted) abort();
  else outer?.addEventListener("abort", abort, { once: true });
  return controller.signal;
}

/** A runtime with real defaults for everything not given. */
export function createRuntime(options: Partial<Runtime> = {}): Runtime {
  return {
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    sleep: options.sleep ?? abortableSleep,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    signal: interruptSignal(options.signal),
    log: options.log ?? SILENT_LOG,
    secrets: options.secrets ?? new Set(),
    retry: options.retry ?? DEFAULT_RETRY,
    retryBudget: options.retryBudget ?? new RetryBudget(),
    deadlines: options.deadlines ?? DEFAULT_DEADLINES,
    poll: options.poll ?? DEFAULT_POLL,
  };
}
