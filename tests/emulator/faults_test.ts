import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { assert, assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import { Emulator, type EmulatorOptions } from "./emulator.ts";
import { chooseFault } from "./faults.ts";
import { call, download, login } from "../support/api_session.ts";

function emulatorWith(options: EmulatorOptions) {
  return new Emulator({
    rows: 40,
    rowsPerObject: 20,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    ...options,
  });
}

async function oneUrl(emulator: Emulator): Promise<{ id: string; url: string }> {
  const token = await login(emulator.handler);
  const job = await call(emulator.handler, token, "POST", "/dap/query/canvas/table/courses/data", {
    format: "jsonl",
  });
  const id = (job.json.objects as { id: string }[])[0]!.id;
  const urls = await call(emulator.handler, token, "POST", "/dap/object/url", [{ id }]);
  return { id, url: (urls.json.urls as Record<string, { url: string }>)[id]!.url };
}

Deno.test("a status fault hits only the listed attempts, with Retry-After when asked", async () => {
  const emulator = emulatorWith({
    faults: [{
      endpoint: "tables",
      attempts: [1, 2],
      fault: { kind: "status", status: 503, retryAfter: "2" },
    }],
  });
  const token = await login(emulator.handler);
  const first = await call(emulator.handler, token, "GET", "/dap/query/canvas/table");
  assertEquals([first.status, first.headers.get("retry-after")], [503, "2"]);
  assertEquals(Object.keys(first.json.error as object).sort(), ["message", "type", "uuid"]);
  assertEquals((await call(emulator.handler, token, "GET", "/dap/query/canvas/table")).status, 503);
  assertEquals((await call(emulator.handler, token, "GET", "/dap/query/canvas/table")).status, 200);
});

Deno.test("a 504 answers the gateway's top-level message; a plain fault answers HTML", async () => {
  const emulator = emulatorWith({
    faults: [
      { endpoint: "tables", attempts: [1], fault: { kind: "status", status: 504 } },
      { endpoint: "schema", fault: { kind: "status", status: 502, plain: true } },
    ],
  });
  const token = await login(emulator.handler);
  const gateway = await call(emulator.handler, token, "GET", "/dap/query/canvas/table");
  assertEquals([gateway.status, gateway.json], [504, { message: "Endpoint request timed out" }]);
  const response = await emulator.handler(
    new Request("http://emulator.test/dap/query/canvas/table/courses/schema", {
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  assertEquals([response.status, response.headers.get("content-type")], [502, "text/html"]);
  assertMatch(await response.text(), /^<html>/);
});

Deno.test("a jobFailed fault ends the job failed with a ProcessingError, answered with 200", async () => {
  const emulator = emulatorWith({ faults: [{ endpoint: "query", fault: { kind: "jobFailed" } }] });
  const token = await login(emulator.handler);
  const job = await call(emulator.handler, token, "POST", "/dap/query/canvas/table/courses/data", {
    format: "jsonl",
  });
  assertEquals(job.status, 200);
  assertEquals(Object.keys(job.json).sort(), ["error", "expires_at", "id", "status"]);
  assertEquals(job.json.status, "failed");
  const error = job.json.error as Record<string, string>;
  assertEquals(Object.keys(error).sort(), ["message", "type", "uuid"]);
  assertEquals(error.type, "ProcessingError");
});

Deno.test("a cut download sends the full headers and then breaks after N bytes", async () => {
  const emulator = emulatorWith({
    faults: [{ endpoint: "object", attempts: [1], fault: { kind: "cut", afterBytes: 1000 } }],
  });
  const { id, url } = await oneUrl(emulator);
  const response = await emulator.handler(new Request(url));
  assertEquals(response.headers.get("content-length"), String(emulator.objectBytes(id).length));
  const reader = response.body!.getReader();
  let received = 0;
  await assertRejects(
    async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    },
    Error,
    "connection reset",
  );
  assertEquals(received, 1000);
  const retry = await download(emulator.handler, url, { range: "bytes=1000-" });
  assertEquals([retry.status, retry.bytes], [206, emulator.objectBytes(id).subarray(1000)]);
});

Deno.test("a truncated gzip keeps the true ETag, so the MD5 check catches it", async () => {
  const emulator = emulatorWith({
    faults: [{ endpoint: "object", attempts: [1], fault: { kind: "truncatedGzip" } }],
  });
  const { url } = await oneUrl(emulator);
  const bad = await download(emulator.handler, url);
  assertEquals(bad.headers.get("content-length"), String(bad.bytes.length));
  assert(bad.headers.get("etag") !== `"${createHash("md5").update(bad.bytes).digest("hex")}"`);
  let threw = false;
  try {
    gunzipSync(bad.bytes);
  } catch {
    threw = true;
  }
  assert(threw, "the truncated stream does not decompress");
  const good = await download(emulator.handler, url);
  assertEquals(good.headers.get("etag"), `"${createHash("md5").update(good.bytes).digest("hex")}"`);
});

Deno.test("expiredUrl answers S3's 403; ignoreRange answers 200 with the whole object", async () => {
  const emulator = emulatorWith({
    faults: [
      { endpoint: "object", attempts: [1], fault: { kind: "expiredUrl" } },
      { endpoint: "object", attempts: [2], fault: { kind: "ignoreRange" } },
    ],
  });
  const { id, url } = await oneUrl(emulator);
  const denied = await download(emulator.handler, url);
  assertEquals(denied.status, 403);
  assertMatch(new TextDecoder().decode(denied.bytes), /<Code>AccessDenied<\/Code>/);
  const whole = await download(emulator.handler, url, { range: "bytes=10-" });
  assertEquals([whole.status, whole.bytes], [200, emulator.objectBytes(id)]);
});

Deno.test("a slow body arrives in small chunks with pauses", async () => {
  const pauses: number[] = [];
  const emulator = emulatorWith({
    faults: [{ endpoint: "object", fault: { kind: "slow", chunkBytes: 4096, delayMs: 7 } }],
    sleep: (ms) => {
      pauses.push(ms);
      return Promise.resolve();
    },
  });
  const { id, url } = await oneUrl(emulator);
  const got = await download(emulator.handler, url);
  assertEquals(got.bytes, emulator.objectBytes(id));
  assertEquals(pauses.length, Math.ceil(got.bytes.length / 4096) - 1);
  assert(pauses.every((ms) => ms === 7));
});

Deno.test("chaos faults are deterministic by seed, path and attempt", () => {
  const pick = (attempt: number) =>
    chooseFault({ endpoint: "job", path: "/dap/job/x", attempt }, [], {
      seed: 3,
      apiErrorRate: 0.5,
    });
  assertEquals(pick(1), pick(1));
  const outcomes = Array.from(
    { length: 200 },
    (_, i) =>
      chooseFault({ endpoint: "job", path: `/dap/job/${i}`, attempt: 1 }, [], {
        seed: 3,
        apiErrorRate: 0.2,
      }),
  );
  const faults = outcomes.filter((f) => f !== undefined).length;
  assert(faults > 20 && faults < 60, `about 20% of 200, got ${faults}`);
  const cut = chooseFault({ endpoint: "object", path: "/objects/a", attempt: 1, size: 1000 }, [], {
    seed: 1,
    cutRate: 1,
  });
  assertEquals(cut?.kind, "cut");
});
