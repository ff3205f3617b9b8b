/** Waits for a job to reach a terminal state, polling on a backing-off schedule. */
import type { Job, JobStatus } from "../api/parse_answers.ts";
import { InterruptedError, JobFailedError } from "../errors.ts";
import { abortableSleep } from "../retry.ts";
import { DEFAULT_POLL, pollDelay, type PollSchedule } from "./poll_schedule.ts";

/** How to wait. */
export interface WaitOptions {
  /** reads the job again */
  getJob: (id: string) => Promise<Job>;
  /** called whenever the status changes */
  onStatus?: (status: JobStatus) => void;
  /** @default DEFAULT_POLL */
  schedule?: PollSchedule;
  /** @default abortableSleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** Resolves with the complete job; throws JobFailedError when it failed. */
export async function waitForJob(job: Job, options: WaitOptions): Promise<Job> {
  const sleep = options.sleep ?? abortableSleep;
  let current = job;
  options.onStatus?.(current.status);
  for (let poll = 1; current.status === "waiting" || current.status === "running"; poll++) {
    try {
      await sleep(pollDelay(poll, options.schedule ?? DEFAULT_POLL), options.signal);
    } catch {
      throw new InterruptedError();
    }
    const next = await options.getJob(current.id);
    if (next.status !== current.status) options.onStatus?.(next.status);
    current = next;
  }
  if (current.status === "failed") {
    const error = current.error ?? {};
    const uuid = error.uuid ? ` (error uuid ${error.uuid})` : "";
    throw new JobFailedError(
      `Job ${current.id} failed: ${error.type ?? "error"}: ${error.message ?? "no message"}${uuid}`,
    );
  }
  return current;
}
