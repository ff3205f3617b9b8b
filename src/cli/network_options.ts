/**
 * The flags that bound a run's waits, resolved flags over env over
 * defaults: `--request-timeout`, `--idle-timeout` and `--retry-budget`
 * (global), `--job-timeout` (commands that run jobs). See
 * docs/hostile-servers.md.
 */
import { UsageError } from "../errors.ts";
import { type Deadlines, DEFAULT_DEADLINES } from "../fetch_with_deadlines.ts";
import { DEFAULT_POLL, type PollSchedule } from "../job/poll_schedule.ts";
import { DEFAULT_RETRY_BUDGET, RetryBudget } from "../retry.ts";

/** The flags as parsed. */
export interface NetworkFlags {
  requestTimeout?: string;
  idleTimeout?: string;
  retryBudget?: string;
  jobTimeout?: string;
}

/** What the runtime takes from them. */
export interface NetworkSettings {
  deadlines: Deadlines;
  retryBudget: RetryBudget;
  poll: PollSchedule;
}

/** Longest request or idle deadline accepted (s): a day. */
const MAX_DEADLINE_S = 86_400;
/** Longest job timeout accepted (s): jobs expire 24 h after they start; a week is plenty. */
const MAX_JOB_TIMEOUT_S = 604_800;

/** Reads `text` (from `name`) as seconds greater than 0 and at most `max`; returns ms. */
export function parseSeconds(name: string, text: string, max: number): number {
  const value = Number(text.trim());
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || value <= 0 || value > max) {
    throw new UsageError(
      `Cannot use ${name} '${text}': expected a number of seconds greater than 0 and at most ${max}`,
    );
  }
  return Math.round(value * 1000);
}

function pick(
  flag: string | undefined,
  env: string | undefined,
  names: [string, string],
): [string, string] | undefined {
  if (flag !== undefined && flag !== "") return [names[0], flag];
  return env !== undefined && env !== "" ? [names[1], env] : undefined;
}

function seconds(given: [string, string] | undefined, max: number): number | undefined {
  return given && parseSeconds(given[0], given[1], max);
}

/** Flags over `DAP_*` environment variables over the defaults. */
export function resolveNetwork(
  flags: NetworkFlags,
  deps: { env: Readonly<Record<string, string | undefined>>; poll?: PollSchedule },
): NetworkSettings {
  const { env } = deps;
  const request = pick(flags.requestTimeout, env.DAP_REQUEST_TIMEOUT, [
    "--request-timeout",
    "DAP_REQUEST_TIMEOUT",
  ]);
  const idle = pick(flags.idleTimeout, env.DAP_IDLE_TIMEOUT, [
    "--idle-timeout",
    "DAP_IDLE_TIMEOUT",
  ]);
  const job = pick(flags.jobTimeout, env.DAP_JOB_TIMEOUT, ["--job-timeout", "DAP_JOB_TIMEOUT"]);
  const budget = pick(flags.retryBudget, env.DAP_RETRY_BUDGET, [
    "--retry-budget",
    "DAP_RETRY_BUDGET",
  ]);
  const jobTimeoutMs = seconds(job, MAX_JOB_TIMEOUT_S);
  return {
    deadlines: {
      requestMs: seconds(request, MAX_DEADLINE_S) ?? DEFAULT_DEADLINES.requestMs,
      idleMs: seconds(idle, MAX_DEADLINE_S) ?? DEFAULT_DEADLINES.idleMs,
    },
    retryBudget: new RetryBudget(budget ? parseCount(budget[0], budget[1]) : DEFAULT_RETRY_BUDGET),
    poll: { ...(deps.poll ?? DEFAULT_POLL), ...(jobTimeoutMs ? { timeoutMs: jobTimeoutMs } : {}) },
  };
}

function parseCount(name: string, text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > 1_000_000) {
    throw new UsageError(`Cannot use ${name} '${text}': expected a whole number from 0 to 1000000`);
  }
  return Number(text);
}
