/**
 * The API client against a hostile server (tests/support/hostile_server.ts)
 * over real sockets: silent servers meet deadlines, server-chosen waits are
 * capped, the run's retries are budgeted, answers are size-capped, broken job
 * answers and forbidden object URLs are protocol errors, clock skew does not
 * cause a login per call, and server text prints inert.
 */
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { ApiClient, MAX_ANSWER_BYTES } from "../../src/api/api_client.ts";
import { RateLimiter } from "../../src/api/rate_limiter.ts";
import { ApiError } from "../../src/errors.ts";
import { Logger } from "../../src/report/logger.ts";
import { RetryBudget, RetryBudgetError } from "../../src/retry.ts";
import { createRuntime } from "../../src/runtime.ts";
import { HostileServer, json, someBytes, within } from "../support/hostile_server.ts";
import { recordingSleep } from "../support/handler_fetch.ts";

function setup(server: HostileServer, options: { budget?: number; now?: () => number } = {}) {
  const lines: string[] = [];
  const { sleep, waits } = recordingSleep();
  const runtime = createRuntime({
    log: new Logger({ level: "debug", write: (line) => lines.push(line) }),
    sleep,
    random: () => 0.5,
    now: options.now,
    deadlines: { requestMs: 300, idleMs: 300 },
    retryBudget: new RetryBudget(options.budget ?? 100),
  });
  const paused: number[] = [];
  const client = new ApiClient({
    baseUrl: new URL(server.url),
    clientId: "client",
    clientSecret: "secret-value",
    runtime,
    onRateLimited: (_endpoint, ms) => paused.push(ms),
  });
  return { client, lines, waits, paused, runtime };
}

const TABLES = { courses: { objects: [{ id: "a/part-1.json.gz", bytes: someBytes(10) }] } };

Deno.test("ApiClient: a login that never answers meets the request deadline and is retried", async () => {
  await using server = new HostileServer(TABLES);
  server.script = (r) => r.route === "login" && r.attempt === 1 ? { kind: "silent" } : undefined;
  const t = setup(server);
  assertEquals(await within(5000, t.client.listTables("canvas"), "listTables"), ["courses"]);
  assertEquals(server.seen("login").length, 2);
  assert(
    t.lines.some((l) =>
      l.includes("Retrying POST /ids/auth/login") && l.includes("no answer within 0.3 s")
    ),
    t.lines.join("\n"),
  );
});

Deno.test("ApiClient: a connection accepted and never read, and a body that stops mid-way, are retried", async () => {
  await using server = new HostileServer(TABLES);
  const t = setup(server);
  await t.client.authenticate();
  server.ignoreConnections = 1;
  assertEquals(await within(5000, t.client.listTables("canvas"), "listTables"), ["courses"]);
  server.script = (r) =>
    r.route === "job" && r.attempt === 1
      ? { ...json(200, server.jobAnswer("courses", 1)), stallAfter: 10 }
      : undefined;
  const job = await within(5000, t.client.getJob("job-courses"), "getJob");
  assertEquals(job.objects, ["a/part-1.json.gz"]);
  assert(
    t.lines.some((l) => l.includes("GET /dap/job/job-courses") && l.includes("no data for 0.3 s")),
  );
});

Deno.test("ApiClient: a silent server fails after the last attempt with one clear line", async () => {
  await using server = new HostileServer(TABLES);
  const t = setup(server);
  await t.client.authenticate();
  server.script = (r) => r.route === "schema" ? { kind: "silent" } : undefined;
  const error = await within(
    10_000,
    assertRejects(() => t.client.getSchema("canvas", "courses"), ApiError),
    "getSchema",
  );
  assertEquals(
    error.message,
    `Cannot get the schema of canvas.courses: ${server.url} did not answer in time (no answer within 0.3 s)`,
  );
  assertEquals(server.seen("schema").length, 6);
});

Deno.test("ApiClient: Retry-After 999999 waits (and pauses the endpoint) 5 minutes at most, and says so", async () => {
  await using server = new HostileServer(TABLES);
  server.script = (r) =>
    r.route === "query" && r.attempt === 1
      ? json(429, { error: { type: "RateLimited", uuid: "u", message: "slow down" } }, {
        "retry-after": "999999",
      })
      : undefined;
  const t = setup(server);
  await t.client.startQuery("canvas", "courses", { format: "jsonl" });
  assertEquals(t.paused, [300_000]);
  assertEquals(t.waits, [300_000]);
  assert(
    t.lines.some((l) => l.includes("the server asked to wait 999999 s; waiting at most 300 s")),
    t.lines.join("\n"),
  );
});

Deno.test("RateLimiter.pause() holds an endpoint for 5 minutes at most", async () => {
  let clock = 0;
  const waits: number[] = [];
  const limiter = new RateLimiter({ job: { limit: 10, windowMs: 1000 } }, {
    now: () => clock,
    sleep: (ms) => {
      waits.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  });
  limiter.pause("job", 999_999_000);
  await limiter.acquire("job");
  assertEquals(waits, [300_000]);
});

Deno.test("ApiClient: the run's retry budget ends a run that keeps failing, with a clear message", async () => {
  await using server = new HostileServer(TABLES);
  server.script = (r) =>
    r.route === "tables"
      ? json(503, { error: { type: "Unavailable", uuid: "u", message: "down" } })
      : undefined;
  const t = setup(server, { budget: 2 });
  const error = await assertRejects(() => t.client.listTables("canvas"), RetryBudgetError);
  assertEquals(
    error.message,
    "Cannot go on: this run used all 2 retries it may make (the last for GET /dap/query/canvas/table: HTTP 503 down); the API or the network keeps failing. Files complete so far are kept: rerun the same command later, or raise --retry-budget",
  );
  assertEquals(server.seen("tables").length, 3);
  assertEquals(t.runtime.retryBudget.used, 2);
});

Deno.test("ApiClient: an answer over 8 MiB is a protocol error, read no further; a huge error body is cut short", async () => {
  await using server = new HostileServer(TABLES);
  const huge = (prefix: string) =>
    async function* () {
      yield new TextEncoder().encode(prefix);
      const block = new Uint8Array(1 << 20).fill(0x61);
      for (let i = 0; i < 64; i++) yield block; // 64 MiB if anyone read it all
    };
  server.script = (r) => {
    if (r.route === "tables") return { kind: "answer", status: 200, body: huge('{"tables":["') };
    if (r.route === "schema") return { kind: "answer", status: 500, body: huge("<html>") };
    return undefined;
  };
  const t = setup(server);
  await assertRejects(
    () => t.client.listTables("canvas"),
    SyntaxError,
    `Cannot list the tables of namespace 'canvas': the answer is larger than ${
      MAX_ANSWER_BYTES >> 20
    } MiB, far more than any DAP answer; not reading it`,
  );
  assertEquals(server.seen("tables").length, 1);
  await assertRejects(
    () => t.client.getSchema("canvas", "courses"),
    ApiError,
    "Cannot get the schema of canvas.courses: HTTP 500 with a non-JSON body (HTTP 500)",
  );
});

Deno.test("ApiClient: a complete job without objects is a protocol error, never an empty result", async () => {
  await using server = new HostileServer(TABLES);
  server.script = (r) =>
    r.route === "query"
      ? json(200, { id: "j1", status: "complete", expires_at: null, schema_version: 1 })
      : undefined;
  const t = setup(server);
  await assertRejects(
    () => t.client.startQuery("canvas", "courses", { format: "jsonl" }),
    SyntaxError,
    "Cannot read job j1: it is complete but its objects are missing",
  );
});

Deno.test("ApiClient: object URLs other than https:// or http:// to loopback are protocol errors naming the object", async () => {
  await using server = new HostileServer(TABLES);
  const t = setup(server);
  for (
    const [url, problem] of [
      ["file:///etc/passwd", "its scheme is file:"],
      ["data:application/gzip;base64,AAAA", "its scheme is data:"],
      ["http://203.0.113.9/objects/x", "it is plain http:// to another host"],
      ["ftp://example.com/x", "its scheme is ftp:"],
    ]
  ) {
    server.script = (r) =>
      r.route === "urls" ? json(200, { urls: { "a/part-1.json.gz": { url } } }) : undefined;
    await assertRejects(
      () => t.client.getObjectUrls(["a/part-1.json.gz"]),
      SyntaxError,
      `Cannot download object a/part-1.json.gz: ${problem}`,
    );
  }
  server.script = undefined;
  const ok = await t.client.getObjectUrls(["a/part-1.json.gz"]);
  assert(ok.get("a/part-1.json.gz")!.startsWith("http://127.0.0.1:"));
});

Deno.test("ApiClient: a client clock 2 hours ahead logs in once, not before every call, and says so once", async () => {
  await using server = new HostileServer(TABLES);
  const serverNow = Math.floor(Date.now() / 1000);
  server.nowSeconds = () => serverNow;
  const t = setup(server, { now: () => serverNow * 1000 + 7_200_000 });
  for (let i = 0; i < 3; i++) await t.client.listTables("canvas");
  await t.client.getSchema("canvas", "courses");
  assertEquals(server.seen("login").length, 1);
  const skew = t.lines.filter((l) => l.includes("clock is"));
  assertEquals(skew.length, 1);
  assert(
    skew[0]!.includes("This machine's clock is 7200 s ahead of the identity server's"),
    skew[0],
  );
});

Deno.test("ApiClient: control characters in server text are escaped in every message", async () => {
  await using server = new HostileServer(TABLES);
  server.script = (r) =>
    r.route === "schema"
      ? json(404, {
        error: {
          type: "Not\x1bFound",
          uuid: "u\x1b]0;pwned\x07",
          message: "gone\x1b[2J\r\nerror: FAKE LINE\u009b31m",
        },
      })
      : undefined;
  const t = setup(server);
  const error = await assertRejects(() => t.client.getSchema("canvas", "courses"), ApiError);
  assertEquals(
    error.message,
    "Cannot get the schema of canvas.courses: gone\\x1b[2J\\r\\nerror: FAKE LINE\\x9b31m (HTTP 404)",
  );
  assertEquals([error.type, error.uuid], ["Not\\x1bFound", "u\\x1b]0;pwned\\x07"]);
});
