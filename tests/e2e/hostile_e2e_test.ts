/**
 * The real CLI against a hostile DAP server (tests/support/hostile_server.ts):
 * every wait is bounded (request, idle, job, retry budget, server-chosen
 * waits), nothing is written outside the rules (symlinks, object URLs, shared
 * folders), a broken answer is never taken for an empty one, and server text
 * reaches the terminal inert. Exact messages and exit codes.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli } from "../../src/cli/run_cli.ts";
import { HostileServer, json, someBytes } from "../support/hostile_server.ts";
import { listFiles, runDap, snapshotArgs, spawnDap } from "./run_dap.ts";

const ENV = { DAP_CLIENT_ID: "client", DAP_CLIENT_SECRET: "hostile-secret" };
const PART = "job/part-00000-x-c000.json.gz";

function courses(bytes = someBytes(4000, 3)) {
  return { courses: { objects: [{ id: PART, bytes }] } };
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "dap-hostile-e2e-" });
}

Deno.test("a silent login and a stalled download meet --request-timeout and --idle-timeout, and the run completes", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) => {
    if (r.route === "login" && r.attempt === 1) return { kind: "silent" };
    if (r.route === "object" && r.attempt === 1) {
      return { ...server.objectReply(r), stallAfter: 1000 };
    }
    return undefined;
  };
  const out = await tempDir();
  const run = await runDap(snapshotArgs(out, "--request-timeout", "0.5", "--idle-timeout", "0.5"), {
    ...ENV,
    DAP_API_URL: server.url,
  });
  assertEquals(run.code, 0, run.stderr);
  assertMatch(
    run.stderr,
    /Retrying POST \/ids\/auth\/login in \d+ ms \(attempt 2 of 6\): no answer within 0\.5 s/,
  );
  assertMatch(run.stderr, /the body broke off at byte 1000 \(no data for 0\.5 s\)/);
  assertEquals(
    await Deno.readFile(join(out, "job_job-courses", "part-00000-x-c000.json.gz")),
    server.object(PART)!.bytes,
  );
  assertEquals(server.seen("object").map((r) => r.headers.range ?? null), [null, "bytes=1000-"]);
});

Deno.test("the deadlines come from DAP_REQUEST_TIMEOUT and DAP_IDLE_TIMEOUT too; bad values are usage errors", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) =>
    r.route === "job" || (r.route === "query" && r.attempt === 1) ? { kind: "silent" } : undefined;
  const out = await tempDir();
  const run = await runDap(snapshotArgs(out), {
    ...ENV,
    DAP_API_URL: server.url,
    DAP_REQUEST_TIMEOUT: "0.5",
    DAP_IDLE_TIMEOUT: "0.5",
  });
  assertEquals(run.code, 0, run.stderr);
  assertMatch(
    run.stderr,
    /Retrying POST \/dap\/query\/canvas\/table\/courses\/data in \d+ ms \(attempt 2 of 6\): no answer within 0\.5 s/,
  );
  const bad = await runDap(snapshotArgs(out, "--request-timeout", "soon"), {
    ...ENV,
    DAP_API_URL: server.url,
  });
  assertEquals(bad.code, 2);
  assertEquals(
    bad.stderr,
    "error: Cannot use --request-timeout 'soon': expected a number of seconds greater than 0 and at most 86400\n",
  );
  const badEnv = await runDap(snapshotArgs(out), {
    ...ENV,
    DAP_API_URL: server.url,
    DAP_RETRY_BUDGET: "-1",
  });
  assertEquals(badEnv.code, 2);
  assertEquals(
    badEnv.stderr,
    "error: Cannot use DAP_RETRY_BUDGET '-1': expected a whole number from 0 to 1000000\n",
  );
});

Deno.test("Ctrl-C stops within a second while a request waits on a silent server", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) => r.route === "login" ? { kind: "silent" } : undefined;
  const child = spawnDap(snapshotArgs(await tempDir()), { ...ENV, DAP_API_URL: server.url });
  const started = Date.now();
  while (server.seen("login").length === 0) {
    if (Date.now() - started > 10_000) throw new Error("no login request");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const sentAt = performance.now();
  child.kill("SIGINT");
  const output = await child.output();
  assertEquals(output.code, 130);
  assert(performance.now() - sentAt < 1000, "stopped within a second");
});

Deno.test("a job that stays running meets --job-timeout (exit 4); the job goes on on the server", async () => {
  await using server = new HostileServer({
    courses: { objects: [{ id: PART, bytes: someBytes(10) }], statuses: ["running"] },
  });
  const out = await tempDir();
  const run = await runDap(snapshotArgs(out, "--job-timeout", "1"), {
    ...ENV,
    DAP_API_URL: server.url,
  });
  assertEquals(run.code, 4, run.stderr);
  assertMatch(
    run.stderr,
    /canvas\.courses: FAILED after [\d.]+s: Job job-courses is still running after 1 s \(--job-timeout\); it goes on on the server: rerun the same command later to pick it up\n/,
  );
  assert(server.seen("job").length >= 2);
});

Deno.test("a server that fails everything ends the run when the retry budget is spent (exit 4)", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) =>
    r.route === "query"
      ? json(503, { error: { type: "Unavailable", uuid: "u-503", message: "try later" } })
      : undefined;
  const run = await runDap(snapshotArgs(await tempDir(), "--retry-budget", "2"), {
    ...ENV,
    DAP_API_URL: server.url,
  });
  assertEquals(run.code, 4, run.stderr);
  assert(
    run.stderr.endsWith(
      "error: Cannot go on: this run used all 2 retries it may make (the last for POST /dap/query/canvas/table/courses/data: HTTP 503 try later); the API or the network keeps failing. Files complete so far are kept: rerun the same command later, or raise --retry-budget\n",
    ),
    run.stderr,
  );
  assertEquals(server.seen("query").length, 3);
});

Deno.test("runCli(): a 429 asking for 999999 s waits (and pauses its endpoint) 5 minutes at most, and says so", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) =>
    r.route === "query" && r.attempt === 1
      ? json(429, { error: { type: "TooMany", uuid: "u", message: "slow down" } }, {
        "retry-after": "999999",
      })
      : undefined;
  let clock = Date.now();
  const waits: number[] = [];
  let stderr = "";
  const code = await runCli({
    args: snapshotArgs(await tempDir()),
    env: { ...ENV, DAP_API_URL: server.url },
    stdout: () => {},
    stderr: (text) => (stderr += text),
    now: () => clock,
    sleep: (ms) => {
      waits.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  });
  assertEquals(code, 0, stderr);
  assert(waits.includes(300_000), JSON.stringify(waits));
  assert(waits.every((ms) => ms <= 300_000), JSON.stringify(waits));
  assertMatch(stderr, /pausing them for 300000 ms/);
  assertMatch(
    stderr,
    /Retrying POST \/dap\/query\/canvas\/table\/courses\/data in 300000 ms \(attempt 2 of 6\): HTTP 429 slow down \(the server asked to wait 999999 s; waiting at most 300 s\)/,
  );
});

Deno.test("object URLs that are not https:// (or http:// to loopback) are refused naming the object (exit 4)", async () => {
  const secret = join(await tempDir(), "local-secret.txt");
  await Deno.writeTextFile(secret, "do not copy me");
  for (
    const [url, problem] of [
      [`file://${secret}`, "its scheme is file:"],
      ["data:application/gzip;base64,H4sIAAAAAAAAAwMAAAAAAAAAAAA=", "its scheme is data:"],
      ["http://198.51.100.7/objects/x", "it is plain http:// to another host"],
    ]
  ) {
    await using server = new HostileServer(courses());
    server.script = (r) =>
      r.route === "urls" ? json(200, { urls: { [PART]: { url } } }) : undefined;
    const out = await tempDir();
    const run = await runDap(snapshotArgs(out), { ...ENV, DAP_API_URL: server.url });
    assertEquals(run.code, 4, run.stderr);
    assert(
      run.stderr.includes(
        `canvas.courses: FAILED after`,
      ) && run.stderr.includes(`Cannot download object ${PART}: ${problem}`),
      run.stderr,
    );
    assertEquals((await listFiles(out)).filter((f) => !f.endsWith("/")), []);
  }
});

Deno.test("symlinks in the job folder are never followed: .partial, manifest .partial, and a final name to /dev/zero", async () => {
  await using server = new HostileServer(courses());
  const out = await tempDir();
  const folder = join(out, "job_job-courses");
  await Deno.mkdir(folder, { recursive: true });
  const outside = join(await tempDir(), "precious.txt");
  await Deno.writeTextFile(outside, "precious");
  await Deno.symlink(outside, join(folder, "part-00000-x-c000.json.gz.partial"));
  await Deno.symlink(outside, join(folder, ".dap-manifest.json.partial"));
  const run = await runDap(snapshotArgs(out), { ...ENV, DAP_API_URL: server.url });
  assertEquals(run.code, 0, run.stderr);
  assertEquals(await Deno.readTextFile(outside), "precious");
  assertEquals(await listFiles(out), [
    "job_job-courses/.dap-manifest.json",
    "job_job-courses/part-00000-x-c000.json.gz",
  ]);
  assertEquals(
    await Deno.readFile(join(folder, "part-00000-x-c000.json.gz")),
    server.object(PART)!.bytes,
  );
  // A final name that is a symlink to /dev/zero: an error naming it, at once, not a hash forever.
  const final = join(folder, "part-00000-x-c000.json.gz");
  await Deno.remove(final);
  await Deno.symlink("/dev/zero", final);
  const started = performance.now();
  const rerun = await runDap(snapshotArgs(out), { ...ENV, DAP_API_URL: server.url });
  assertEquals(rerun.code, 5, rerun.stderr);
  assert(performance.now() - started < 10_000);
  assert(
    rerun.stderr.includes(
      `part-00000-x-c000.json.gz: Cannot use ${final}: it is a symbolic link, not a regular file; dap never follows links in its output directory. Move it away and rerun`,
    ),
    rerun.stderr,
  );
  assertEquals(await Deno.readLink(final), "/dev/zero");
});

Deno.test("a complete job without objects is a protocol error (exit 4), never an empty snapshot", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) =>
    r.route === "query"
      ? json(200, {
        id: "j-empty",
        status: "complete",
        expires_at: null,
        schema_version: 1,
        at: "2026-01-01T00:00:00Z",
      })
      : undefined;
  const out = await tempDir();
  const run = await runDap(snapshotArgs(out), { ...ENV, DAP_API_URL: server.url });
  assertEquals(run.code, 4, run.stderr);
  assertMatch(
    run.stderr,
    /canvas\.courses: FAILED after [\d.]+s: Cannot read job j-empty: it is complete but its objects are missing\n/,
  );
  assertEquals(await listFiles(out), []);
});

Deno.test("two tables never share a job folder: a table named twice runs once; one job id for two tables fails the later (exit 4)", async () => {
  await using server = new HostileServer({
    accounts: { jobId: "shared", objects: [{ id: "a/part-1.json.gz", bytes: someBytes(100, 1) }] },
    courses: { jobId: "shared", objects: [{ id: "c/part-1.json.gz", bytes: someBytes(100, 2) }] },
  });
  const out = await tempDir();
  const twice = await runDap(
    ["snapshot", "--namespace", "canvas", "--table", "courses,courses", "--output-directory", out],
    { ...ENV, DAP_API_URL: server.url },
  );
  assertEquals(twice.code, 0, twice.stderr);
  assertEquals(server.seen("query").length, 1);
  const both = await runDap(
    ["snapshot", "--namespace", "canvas", "--table", "accounts,courses", "--output-directory", out],
    { ...ENV, DAP_API_URL: server.url },
  );
  assertEquals(both.code, 4, both.stderr);
  assertMatch(
    both.stderr,
    /canvas\.(accounts|courses): FAILED after [\d.]+s: Cannot export canvas\.\1: the API answered job shared, which table canvas\.(accounts|courses) already uses in this run; two tables never share a folder\n/,
  );
});

Deno.test("server text reaches the terminal inert: control characters in a failed job's error are escaped", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) =>
    r.route === "query"
      ? json(200, {
        id: "j\x1b]0;owned\x07",
        status: "failed",
        expires_at: null,
        error: {
          type: "Processing\x1b[2JError",
          uuid: "u\r\nerror: forged",
          message: "boom\x1b[31m\u009b1m",
        },
      })
      : undefined;
  const run = await runDap(snapshotArgs(await tempDir()), { ...ENV, DAP_API_URL: server.url });
  assertEquals(run.code, 4, run.stderr);
  const controls = [...run.stderr].filter((c) =>
    c !== "\n" && (c < " " || (c >= "\x7f" && c <= "\x9f"))
  );
  assertEquals(controls, [], JSON.stringify(run.stderr));
  assert(
    run.stderr.includes(
      "Job j\\x1b]0;owned\\x07 failed: Processing\\x1b[2JError: boom\\x1b[31m\\x9b1m (error uuid u\\r\\nerror: forged)",
    ),
    run.stderr,
  );
});

Deno.test("a download served with Content-Encoding: gzip is stored as the object's bytes", async () => {
  const { gzipSync } = await import("node:zlib");
  const gzipped = new Uint8Array(
    gzipSync(new TextEncoder().encode('{"key":{"id":1}}\n'.repeat(100))),
  );
  await using server = new HostileServer(courses(gzipped));
  server.script = (r) => {
    if (r.route !== "object") return undefined;
    const reply = server.objectReply(r);
    if (reply.kind === "answer") reply.headers = { ...reply.headers, "content-encoding": "gzip" };
    return reply;
  };
  const out = await tempDir();
  const run = await runDap(snapshotArgs(out), { ...ENV, DAP_API_URL: server.url });
  assertEquals(run.code, 0, run.stderr);
  assertEquals(
    await Deno.readFile(join(out, "job_job-courses", "part-00000-x-c000.json.gz")),
    gzipped,
  );
});

Deno.test("dap list prints server table names inert, one per line, whatever they hold", async () => {
  await using server = new HostileServer(courses());
  server.script = (r) =>
    r.route === "tables"
      ? json(200, { tables: ["courses", "evil\nforged_table", "\x1b[2Jclear", "right\u202eleft"] })
      : undefined;
  const run = await runDap(["list", "--namespace", "canvas"], { ...ENV, DAP_API_URL: server.url });
  assertEquals(run.code, 0, run.stderr);
  assertEquals(run.stdout, "courses\nevil\\nforged_table\n\\x1b[2Jclear\nright\\u202eleft\n");
});
