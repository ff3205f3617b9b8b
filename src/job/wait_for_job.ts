/**
 * Waits for a job to reach a terminal state, polling on a backing-off
 * schedule. Real jobs can run for hours, so by default it waits as long as
 * the job runs; each poll of a job still at work is reported (`onWaiting`),
 * and a `timeoutMs` in the poll schedule ends the wait with a JobFailedError.
 */
import type { Job, JobStatus } from "../api/parse_answers.ts";
import { JobFailedError } from "../errors.ts";
import { printable } from "../printable.ts";
import type { Runtime } from "../runtime.ts";
import { pollDelay } from "./poll_schedule.ts";

/** A job still at work, as each poll finds it. */
export interface JobWait {
  job: Job;
  /** since the wait began (ms) */
  waitedMs: number;
  polls: number;
}

/** How to wait. */
export interface WaitOptions {
  /** reads the job again */
  getJob: (id: string) => Promise<Job>;
  /** called with the first status and whenever it changes */
  onStatus?: (status: JobStatus) => void;
  /** called after every poll that finds the job still waiting or running */
  onWaiting?: (wait: JobWait) => void;
  runtime: Pick<Runtime, "sleep" | "signal" | "poll" | "now">;
}

/** Resolves with the complete job; throws JobFailedError when it failed or outlived the timeout. */
export async function waitForJob(job: Job, options: WaitOptions): Promise<Job> {
  const { runtime } = options;
  const start = runtime.now();
  let current = job;
  options.onStatus?.(current.status);
  for (let poll = 1; isAtWork(current); poll++) {
    const waitedMs = runtime.now() - start;
    const timeoutMs = runtime.poll.timeoutMs;
    if (timeoutMs !== undefined && waitedMs >= timeoutMs) throw jobTimeout(current, timeoutMs);
    const delay = pollDelay(poll, runtime.poll);
    const left = (timeoutMs ?? Infinity) - waitedMs;
    await runtime.sleep(Math.min(delay, left), runtime.signal);
    const next = await options.getJob(current.id);
    if (next.status !== current.status) options.onStatus?.(next.status);
    current = next;
    if (isAtWork(current)) {
      options.onWaiting?.({ job: current, waitedMs: runtime.now() - start, polls: poll });
    }
  }
  if (current.status === "failed") throw jobFailure(current);
  return current;
}

function isAtWork(job: Job): boolean {
  return job.status === "waiting" || job.status === "running";
}

function jobFailure(job: Job): JobFailedError {
  const error = job.error ?? {};
  const uuid = error.uuid ? ` (error uuid ${printable(error.uuid)})` : "";
  return new JobFailedError(
    `Job ${printable(job.id)} failed: ${printable(error.type ?? "error")}: ${
      printable(error.message ?? "no message")
    }${uuid}`,
  );
}

function jobTimeout(job: Job, timeoutMs: number): JobFailedError {
  return new JobFailedError(
    `Job ${printable(job.id)} is still ${job.status} after ${
      formatDuration(timeoutMs)
    } (--job-timeout); it goes on on the server: rerun the same command later to pick it up`,
  );
}

/** A duration in words: "45 s", "2 min 5 s", "3 h 0 min". */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  if (h > 0) return `${h} h ${m} min`;
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}
