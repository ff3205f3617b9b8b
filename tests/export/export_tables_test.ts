/**
 * The export pipeline against a hostile server: two tables never share a
 * job folder, a table named twice runs once, an object listed twice is
 * downloaded once, and a run out of retries stops.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { ApiClient } from "../../src/api/api_client.ts";
import { exportTables } from "../../src/export/export_tables.ts";
import { partsDestination } from "../../src/output/parts_destination.ts";
import { Logger } from "../../src/report/logger.ts";
import { RetryBudget, RetryBudgetError } from "../../src/retry.ts";
import { createRuntime } from "../../src/runtime.ts";
import { recordingSleep } from "../support/handler_fetch.ts";
import { HostileServer, json, someBytes } from "../support/hostile_server.ts";
import { listFiles } from "../e2e/run_dap.ts";

async function run(server: HostileServer, tables: string[], budget = 100) {
  const out = await Deno.makeTempDir({ prefix: "dap-hostile-export-" });
  const lines: string[] = [];
  const runtime = createRuntime({
    log: new Logger({ level: "debug", write: (line) => lines.push(line) }),
    sleep: recordingSleep().sleep,
    random: () => 0,
    deadlines: { requestMs: 2000, idleMs: 2000 },
    retryBudget: new RetryBudget(budget),
  });
  const client = new ApiClient({
    baseUrl: new URL(server.url),
    clientId: "client",
    clientSecret: "secret",
    runtime,
  });
  const results = exportTables({
    namespace: "canvas",
    tables,
    destination: partsDestination({ kind: "parts", format: "jsonl", outputDirectory: out }),
    concurrency: 4,
  }, { client, runtime, fsync: false });
  return { out, lines, results };
}

function part(name: string, seed: number) {
  return { id: `${name}/part-00000.json.gz`, bytes: someBytes(300, seed) };
}

Deno.test("exportTables(): one job id answered for two tables fails the later table; the other's files stay whole", async () => {
  await using server = new HostileServer({
    accounts: { jobId: "same", objects: [part("a", 1)] },
    courses: { jobId: "same", objects: [part("c", 2)] },
  });
  const { out, results } = await run(server, ["accounts", "courses"]);
  const done = await results;
  assertEquals(done.filter((r) => r.ok).length, 1);
  const failed = done.find((r) => !r.ok)!;
  const winner = done.find((r) => r.ok)!;
  assert(failed.error instanceof SyntaxError, String(failed.error));
  assertEquals(
    failed.error.message,
    `Cannot export canvas.${failed.table}: the API answered job same, which table canvas.${winner.table} already uses in this run; two tables never share a folder`,
  );
  const served = server.tables[winner.table]!.objects[0]!;
  assertEquals(await listFiles(out), [
    "job_same/.dap-manifest.json",
    "job_same/part-00000.json.gz",
  ]);
  assertEquals(await Deno.readFile(join(out, "job_same/part-00000.json.gz")), served.bytes);
});

Deno.test("exportTables(): job ids that sanitise to one folder name fail the later table", async () => {
  await using server = new HostileServer({
    accounts: { jobId: "x/1", objects: [part("a", 1)] },
    courses: { jobId: "X:1", objects: [part("c", 2)] },
  });
  const { results } = await run(server, ["accounts", "courses"]);
  const done = await results;
  assertEquals(done.filter((r) => r.ok).length, 1);
  const failed = done.find((r) => !r.ok)!;
  assert(failed.error instanceof SyntaxError);
  assert(
    /^Cannot export canvas\.\w+: the API answered job (x\/1|X:1), whose folder .*job_(x_1|X_1), which table canvas\.\w+ already uses in this run; two tables never share a folder$/
      .test(failed.error.message),
    failed.error.message,
  );
});

Deno.test("exportTables(): a table named twice runs once; an object listed twice is downloaded once", async () => {
  await using server = new HostileServer({ courses: { objects: [part("c", 2)] } });
  const object = server.tables.courses!.objects[0]!;
  server.script = (r) =>
    r.route === "query"
      ? json(200, {
        ...server.jobAnswer("courses", 0),
        objects: [{ id: object.id }, { id: object.id }],
      })
      : undefined;
  const { out, results } = await run(server, ["courses", "courses"]);
  const done = await results;
  assertEquals(done.map((r) => [r.table, r.ok, r.files]), [["courses", true, 1]]);
  assertEquals(server.seen("query").length, 1);
  assertEquals(server.seen("object").length, 1);
  assertEquals(await listFiles(out), [
    "job_job-courses/.dap-manifest.json",
    "job_job-courses/part-00000.json.gz",
  ]);
});

Deno.test("exportTables(): downloads that use up the run's retry budget stop the run", async () => {
  await using server = new HostileServer({
    accounts: { objects: [part("a", 1)] },
    courses: { objects: [part("c", 2)] },
  });
  server.script = (r) => r.route === "object" ? { kind: "answer", status: 503 } : undefined;
  const { results } = await run(server, ["accounts", "courses"], 3);
  const error = await assertRejects(() => results, RetryBudgetError);
  assert(error.message.startsWith("Cannot go on: this run used all 3 retries it may make"));
});
