/**
 * Runs one table's job: start (or find) it, wait for it, and start it again
 * once when it vanishes (404: expired) or when a reused job is about to
 * expire (its objects would vanish mid-download).
 */
import type { ApiClient, QueryBody } from "../api/api_client.ts";
import type { Job, JobStatus } from "../api/parse_answers.ts";
import { ApiError } from "../errors.ts";
import { printable } from "../printable.ts";
import type { Runtime } from "../runtime.ts";
import { formatDuration, type JobWait, waitForJob } from "./wait_for_job.ts";

/** A reused job this close to expiry is waited out and asked for again. */
const EXPIRY_MARGIN_MS = 60_000;
/** At most one "still running" line per job this often (ms). */
export const JOB_HEARTBEAT_MS = 30_000;

/** Which job to run. */
export interface JobRequest {
  namespace: string;
  table: string;
  query: QueryBody;
}

/** Collaborators of a job run. */
export interface JobDeps {
  client: Pick<ApiClient, "startQuery" | "getJob">;
  runtime: Runtime;
  /** called when the job is being started, and with each status it reaches */
  onStatus?: (status: JobStatus | "starting") => void;
  /** called after every poll that finds the job still at work (a run-wide heartbeat can use it) */
  onWaiting?: (wait: JobWait) => void;
  /** log "still running" at most this often (ms) @default 30000 */
  heartbeatMs?: number;
}

/** Resolves with the complete job; throws JobFailedError or ApiError. */
export async function runJob(request: JobRequest, deps: JobDeps): Promise<Job> {
  const { runtime } = deps;
  const name = printable(`${request.namespace}.${request.table}`);
  for (let restarts = 0;; restarts++) {
    const started = await startJob(request, deps);
    const id = printable(started.id);
    const left = started.expiresAt ? Date.parse(started.expiresAt) - runtime.now() : Infinity;
    if (restarts === 0 && left < EXPIRY_MARGIN_MS) {
      const seconds = Math.max(0, Math.round(left / 1000));
      runtime.log.info(`${name}: job ${id} expires in ${seconds} s; waiting for a new one`);
      await runtime.sleep(Math.max(0, left) + 1000, runtime.signal);
      continue;
    }
    try {
      return await waitForJob(started, {
        getJob: (jobId) => deps.client.getJob(jobId),
        onStatus: (status) => {
          deps.onStatus?.(status);
          if (status !== started.status) runtime.log.info(`${name}: job ${id} is ${status}`);
        },
        onWaiting: heartbeat(name, deps),
        runtime,
      });
    } catch (error) {
      if (restarts > 0 || !(error instanceof ApiError) || error.status !== 404) throw error;
      runtime.log.warning(`${name}: job ${id} is gone (expired?); starting the query again`);
    }
  }
}

/** Logs "still running" at most every `heartbeatMs`, and passes every poll on to `onWaiting`. */
function heartbeat(name: string, deps: JobDeps): (wait: JobWait) => void {
  const every = deps.heartbeatMs ?? JOB_HEARTBEAT_MS;
  let logged = 0;
  return (wait) => {
    deps.onWaiting?.(wait);
    if (wait.waitedMs - logged < every) return;
    logged = wait.waitedMs;
    deps.runtime.log.info(
      `${name}: job ${printable(wait.job.id)} is still ${wait.job.status} after ${
        formatDuration(wait.waitedMs)
      }`,
      { job_id: printable(wait.job.id), waited_ms: wait.waitedMs },
    );
  };
}

async function startJob(request: JobRequest, deps: JobDeps): Promise<Job> {
  deps.onStatus?.("starting");
  const job = await deps.client.startQuery(request.namespace, request.table, request.query);
  deps.runtime.log.info(
    `${printable(`${request.namespace}.${request.table}`)}: job ${
      printable(job.id)
    } is ${job.status}`,
  );
  return job;
}
