import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { ApiClient, jwtExpiry, networkReason } from "../../src/api/api_client.ts";
import { ApiError, AuthError } from "../../src/errors.ts";
import { Logger } from "../../src/report/logger.ts";
import { createRuntime } from "../../src/runtime.ts";
import { DEMO_CREDENTIAL, Emulator, type EmulatorOptions } from "../emulator/emulator.ts";
import { handlerFetch, recordingSleep } from "../support/handler_fetch.ts";

function setup(options: EmulatorOptions = {}, credential = DEMO_CREDENTIAL) {
  const clock = { now: Date.UTC(2026, 10, 26, 12) };
  const emulator = new Emulator({
    jobWaitingMs: 0,
    jobRunningMs: 0,
    now: () => clock.now,
    ...options,
  });
  const lines: string[] = [];
  const { sleep, waits } = recordingSleep();
  const client = new ApiClient({
    baseUrl: new URL("http://localhost"),
    clientId: credential.clientId,
    clientSecret: credential.clientSecret,
    runtime: createRuntime({
      log: new Logger({ level: "debug", write: (line) => lines.push(line), now: () => clock.now }),
      fetch: handlerFetch(emulator.handler),
      sleep,
      now: () => clock.now,
      random: () => 0.5,
    }),
  });
  return { emulator, client, clock, lines, waits };
}

Deno.test("ApiClient logs in once and reuses the token", async () => {
  const { emulator, client } = setup();
  assertEquals((await client.listTables("catalog")).length, 11);
  await client.getSchema("canvas", "courses");
  assertEquals(emulator.requests.map((r) => r.endpoint), ["login", "tables", "schema"]);
  assertEquals(emulator.requests[1]!.headers.authorization, "Bearer [redacted]");
  assertEquals(emulator.requests[1]!.headers["user-agent"], "dap-deno");
});

Deno.test("ApiClient renews the token before it expires", async () => {
  const { emulator, client, clock } = setup({ tokenLifetimeSeconds: 10 });
  await client.listTables("canvas");
  clock.now += 7_000; // 3 s left: under a fifth of 10 s is 2 s, so still valid
  await client.listTables("canvas");
  clock.now += 1_500; // 1.5 s left: renew first
  await client.listTables("canvas");
  assertEquals(emulator.requests.map((r) => `${r.endpoint}:${r.status}`), [
    "login:200",
    "tables:200",
    "tables:200",
    "login:200",
    "tables:200",
  ]);
});

Deno.test("ApiClient logs in again once after a 401, then gives up with AuthError", async () => {
  const { emulator, client } = setup({
    faults: [{ endpoint: "tables", attempts: [1], fault: { kind: "status", status: 401 } }],
  });
  await client.listTables("canvas");
  assertEquals(emulator.requests.map((r) => `${r.endpoint}:${r.status}`), [
    "login:200",
    "tables:401",
    "login:200",
    "tables:200",
  ]);
  const always = setup({
    faults: [{ endpoint: "tables", fault: { kind: "status", status: 401 } }],
  });
  await assertRejects(
    () => always.client.listTables("canvas"),
    AuthError,
    "Cannot list the tables of namespace 'canvas': the API refused a fresh token (HTTP 401)",
  );
});

Deno.test("ApiClient refuses bad credentials with AuthError and no retry", async () => {
  const { emulator, client } = setup({}, { clientId: "someone", clientSecret: "wrong-secret" });
  await assertRejects(
    () => client.listTables("canvas"),
    AuthError,
    "Cannot log in: the client id or secret was refused (HTTP 403: Invalid client credentials)",
  );
  assertEquals(emulator.requests.length, 1);
});

Deno.test("ApiClient retries 5xx and 429 with backoff, honouring Retry-After, and logs each retry", async () => {
  const { emulator, client, waits, lines } = setup({
    faults: [
      { endpoint: "query", attempts: [1], fault: { kind: "status", status: 503 } },
      { endpoint: "query", attempts: [2], fault: { kind: "status", status: 429, retryAfter: "3" } },
      { endpoint: "query", attempts: [3], fault: { kind: "status", status: 504 } },
      { endpoint: "query", attempts: [4], fault: { kind: "status", status: 502, plain: true } },
    ],
  });
  const job = await client.startQuery("canvas", "courses", { format: "jsonl" });
  assertEquals(job.status, "complete");
  assertEquals(emulator.requests.filter((r) => r.endpoint === "query").map((r) => r.status), [
    503,
    429,
    504,
    502,
    200,
  ]);
  assertEquals(waits, [188, 3000, 750, 1500]);
  const retries = lines.filter((l) => l.includes("Retrying"));
  assertEquals(retries.length, 4);
  assert(
    retries[1]!.includes("HTTP 429 Rate limit") ||
      retries[1]!.includes("HTTP 429 Injected fault 429"),
    retries[1],
  );
  assert(retries[3]!.includes("HTTP 502 HTTP 502 with a non-JSON body"), retries[3]);
  assertEquals(JSON.parse(emulator.requests.find((r) => r.endpoint === "query")!.body), {
    format: "jsonl",
  });
});

Deno.test("ApiClient gives up after the last attempt with the server's message and uuid", async () => {
  const { client } = setup({
    faults: [{ endpoint: "job", fault: { kind: "status", status: 500 } }],
  });
  const error = await assertRejects(
    () => client.getJob("x"),
    ApiError,
    "Cannot get job x: Injected fault 500 (HTTP 500)",
  );
  assertEquals(error.status, 500);
  assert(/^[0-9a-f-]{36}$/.test(error.uuid!));
});

Deno.test("ApiClient reports 404s plainly with their uuid and does not retry them", async () => {
  const { emulator, client } = setup();
  const error = await assertRejects(
    () => client.startQuery("canvas", "nope", { format: "csv" }),
    ApiError,
    "Cannot start a query for canvas.nope: The table 'nope' does not exist (HTTP 404)",
  );
  assertEquals([error.status, error.type], [404, "ObjectNotFound"]);
  assertEquals(emulator.requests.filter((r) => r.endpoint === "query").length, 1);
});

Deno.test("ApiClient turns unreachable hosts into ApiError with a short reason", async () => {
  const { sleep } = recordingSleep();
  const client = new ApiClient({
    baseUrl: new URL("http://127.0.0.1:9"),
    clientId: "a",
    clientSecret: "secret-value",
    runtime: createRuntime({
      log: new Logger({ write: () => {} }),
      fetch: () =>
        Promise.reject(new TypeError("error sending request: Connection refused (os error 111)")),
      sleep,
    }),
  });
  const error = await assertRejects(
    () => client.listTables("canvas"),
    ApiError,
    "Cannot log in: cannot reach http://127.0.0.1:9 (connection refused)",
  );
  assertEquals(error.status, 0);
});

Deno.test("ApiClient trades all objects for URLs in one call", async () => {
  const { emulator, client } = setup({ rows: 100, rowsPerObject: 10 });
  const job = await client.startQuery("canvas", "users", { format: "csv" });
  assertEquals(job.objects.length, 10);
  const urls = await client.getObjectUrls(job.objects);
  assertEquals([...urls.keys()], job.objects);
  assertEquals(emulator.requests.filter((r) => r.endpoint === "urls").length, 1);
});

Deno.test("jwtExpiry() and networkReason() read what they can", () => {
  const payload = btoa(JSON.stringify({ exp: 1234 })).replace(/=+$/, "");
  assertEquals(jwtExpiry(`x.${payload}.y`), 1234);
  assertEquals(jwtExpiry("not-a-jwt"), undefined);
  assertEquals(
    networkReason(new TypeError("dns error: failed to lookup address")),
    "host name not found",
  );
  assertEquals(networkReason(new TypeError("connection reset by peer")), "connection reset");
});
