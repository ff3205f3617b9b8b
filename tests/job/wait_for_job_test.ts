import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import type { Job } from "../../src/api/parse_answers.ts";
import { JobFailedError } from "../../src/errors.ts";
import { runJob } from "../../src/job/run_job.ts";
import { type JobWait, waitForJob } from "../../src/job/wait_for_job.ts";
import { Logger } from "../../src/report/logger.ts";
import { createRuntime } from "../../src/runtime.ts";

/** A clock that only sleeping moves, and a job that stays `running`. */
function world(timeoutMs?: number) {
  const clock = { now: 0 };
  const lines: string[] = [];
  const runtime = createRuntime({
    now: () => clock.now,
    sleep: (ms) => {
      clock.now += ms;
      return Promise.resolve();
    },
    log: new Logger({ level: "info", write: (line) => lines.push(line), now: () => clock.now }),
    poll: { firstMs: 250, factor: 1.5, maxMs: 4000, ...(timeoutMs ? { timeoutMs } : {}) },
  });
  const running: Job = { id: "j\x1b[2J", status: "running", objects: [] };
  let polls = 0;
  const client = {
    startQuery: () => Promise.resolve(running),
    getJob: () => {
      polls++;
      return Promise.resolve(
        clock.now < 3_600_000 ? running : { ...running, status: "complete" as const },
      );
    },
  };
  return { clock, lines, runtime, client, polls: () => polls };
}

Deno.test("runJob() keeps polling a job that runs for an hour, with a heartbeat line at most every 30 s", async () => {
  const w = world();
  const waits: JobWait[] = [];
  const job = await runJob(
    { namespace: "canvas", table: "courses", query: { format: "jsonl" } },
    { client: w.client, runtime: w.runtime, onWaiting: (wait) => waits.push(wait) },
  );
  assertEquals(job.status, "complete");
  const beats = w.lines.filter((l) => l.includes("is still running"));
  // About one line per 30 s over an hour, each at least 30 s after the one before.
  assert(beats.length >= 110 && beats.length <= 120, `${beats.length} heartbeat lines`);
  assert(/canvas\.courses: job j\\x1b\[2J is still running after 3\d s/.test(beats[0]!), beats[0]);
  assert(beats.some((l) => / is still running after 30 min \d+ s/.test(l)));
  assert(w.lines.every((l) => !l.includes("\x1b")), "no raw escape from the server's job id");
  assertEquals(waits.length, w.polls() - 1, "every poll of a running job is reported");
  assert(waits.every((wait, i) => i === 0 || wait.waitedMs > waits[i - 1]!.waitedMs));
});

Deno.test("waitForJob() gives up after the poll schedule's timeoutMs with a JobFailedError (exit 4)", async () => {
  const w = world(90_000);
  const running: Job = { id: "j1", status: "running", objects: [] };
  const error = await assertRejects(
    () => waitForJob(running, { getJob: () => Promise.resolve(running), runtime: w.runtime }),
    JobFailedError,
  );
  assertEquals(
    error.message,
    "Job j1 is still running after 1 min 30 s (--job-timeout); it goes on on the server: rerun the same command later to pick it up",
  );
  assertEquals(w.clock.now, 90_000, "the last wait ends at the timeout, not a poll later");
});
