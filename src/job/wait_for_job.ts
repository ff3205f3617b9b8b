/** Waits for a job to reach a terminal state, polling on a backing-off schedule. */
import type { Job, JobStatus } from "../api/parse_answers.ts";
import { JobFailedError } from "../errors.ts";
import type { Runtime } from "../runtime.ts";
import { pollDelay } from "./poll_schedule.ts";

/** How to wait. */
export interface WaitOptions {
  /** reads the job again */
  getJob: (id: string) => Promise<Job>;
  /** called with the first status and whenever it changes */
  onStatus?: (status: JobStatus) => void;
  runtime: Pick<Runtime, "sleep" | "signal" | "poll">;
}

/** Resolves with the complete job; throws JobFailedError when it failed. */
export async function waitForJob(job: Job, options: WaitOptions): Promise<Job> {
  const { runtime } = options;
  let current = job;
  options.onStatus?.(current.status);
  for (let poll = 1; current.status === "waiting" || current.status === "running"; poll++) {
    await runtime.sleep(pollDelay(poll, runtime.poll), runtime.signal);
    const next = await options.getJob(current.id);
    if (next.status !== current.status) options.onStatus?.(next.status);
    current = next;
  }
  if (current.status === "failed") throw jobFailure(current);
  return current;
}

function jobFailure(job: Job): JobFailedError {
  const error = job.error ?? {};
  const uuid = error.uuid ? ` (error uuid ${error.uuid})` : "";
  return new JobFailedError(
    `Job ${job.id} failed: ${error.type ?? "error"}: ${error.message ?? "no message"}${uuid}`,
  );
}
