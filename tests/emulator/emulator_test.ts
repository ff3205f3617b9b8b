import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { createHash } from "node:crypto";
import { DEMO_CREDENTIAL, Emulator, type EmulatorOptions } from "./emulator.ts";
import { TABLE_NAMES } from "./table_names.ts";
import { BASE, call, download, login } from "../support/api_session.ts";

const START = Date.UTC(2026, 10, 26, 12, 0, 0);

function setup(options: EmulatorOptions = {}) {
  const clock = { now: START };
  const emulator = new Emulator({ rows: 40, rowsPerObject: 15, now: () => clock.now, ...options });
  return { emulator, handler: emulator.handler, clock };
}

async function completeJob(
  env: ReturnType<typeof setup>,
  token: string,
  body: unknown = { format: "jsonl" },
  table = "courses",
) {
  await call(env.handler, token, "POST", `/dap/query/canvas/table/${table}/data`, body);
  env.clock.now += 10_000;
  return await call(env.handler, token, "POST", `/dap/query/canvas/table/${table}/data`, body);
}

function keys(value: unknown): string[] {
  return Object.keys(value as object).sort();
}

Deno.test("login answers exactly the documented keys and a JWT with an integer exp", async () => {
  const { handler } = setup({ tokenLifetimeSeconds: 120 });
  const basic = btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`);
  const response = await handler(
    new Request(`${BASE}/ids/auth/login`, {
      method: "POST",
      headers: { authorization: `Basic ${basic}` },
      body: "grant_type=client_credentials",
    }),
  );
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "application/json");
  const body = await response.json();
  assertEquals(keys(body), ["access_token", "expires_in", "scope", "token_type"]);
  assertEquals(body.expires_in, 120);
  assertEquals(body.token_type, "bearer");
  const [head, payload, signature] = body.access_token.split(".");
  assertEquals(JSON.parse(atob(head)), { alg: "HS256", typ: "JWT" });
  const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
  assertEquals(claims.exp, START / 1000 + 120);
  assert(Number.isInteger(claims.exp));
  assertMatch(signature, /^[A-Za-z0-9_-]+$/);
});

Deno.test("login refuses unknown credentials with 403 and a malformed grant with 400", async () => {
  const { handler } = setup();
  const attempt = (authorization: string, body: string) =>
    handler(
      new Request(`${BASE}/ids/auth/login`, { method: "POST", headers: { authorization }, body }),
    );
  const wrong = await attempt(
    `Basic ${btoa(`${DEMO_CREDENTIAL.clientId}:nope`)}`,
    "grant_type=client_credentials",
  );
  assertEquals(wrong.status, 403);
  const error = (await wrong.json()).error;
  assertEquals(keys(error), ["message", "type", "uuid"]);
  assertEquals(error.type, "AuthenticationError");
  const grant = await attempt(`Basic ${btoa("a:b")}`, "grant_type=password");
  assertEquals(grant.status, 400);
  assertEquals((await grant.json()).error.type, "ValidationError");
});

Deno.test("an expired or unknown token gets 401; x-instauth is accepted", async () => {
  const env = setup({ tokenLifetimeSeconds: 30 });
  const token = await login(env.handler);
  assertEquals((await call(env.handler, token, "GET", "/dap/query/canvas/table")).status, 200);
  const legacy = await env.handler(
    new Request(`${BASE}/dap/query/canvas/table`, { headers: { "x-instauth": token } }),
  );
  assertEquals(legacy.status, 200);
  await legacy.body?.cancel();
  assertEquals(
    (await call(env.handler, token + "x", "GET", "/dap/query/canvas/table")).status,
    401,
  );
  env.clock.now += 31_000;
  const expired = await call(env.handler, token, "GET", "/dap/query/canvas/table");
  assertEquals(expired.status, 401);
  assertEquals((expired.json.error as { type: string }).type, "AuthenticationError");
});

Deno.test("tables lists every published table; unknown namespaces get a typed 404", async () => {
  const env = setup();
  const token = await login(env.handler);
  for (const namespace of ["canvas", "canvas_logs", "catalog"]) {
    const { status, json } = await call(env.handler, token, "GET", `/dap/query/${namespace}/table`);
    assertEquals(status, 200);
    assertEquals(json, { tables: [...TABLE_NAMES[namespace]!] });
  }
  assert(TABLE_NAMES.canvas!.length >= 90);
  const missing = await call(env.handler, token, "GET", "/dap/query/nope/table");
  assertEquals(missing.status, 404);
  const error = missing.json.error as Record<string, unknown>;
  assertEquals(keys(error), ["id", "kind", "message", "type", "uuid"]);
  assertEquals([error.type, error.id, error.kind], ["ObjectNotFound", "nope", "namespace"]);
});

Deno.test("schema answers {schema, version} with meta/key/value sections and required lists", async () => {
  const env = setup();
  const token = await login(env.handler);
  const { status, json } = await call(
    env.handler,
    token,
    "GET",
    "/dap/query/canvas/table/courses/schema",
  );
  assertEquals(status, 200);
  assertEquals(keys(json), ["schema", "version"]);
  const schema = json.schema as {
    properties: Record<string, { properties: Record<string, unknown>; required?: string[] }>;
  };
  assertEquals(keys(schema.properties), ["key", "meta", "value"]);
  assertEquals(schema.properties.key!.properties.id, { type: "integer", format: "int64" });
  const value = schema.properties.value!;
  assertEquals(Object.keys(value.properties).length, 49);
  assert(value.required!.includes("workflow_state"));
  assertEquals(
    (value.properties.workflow_state as { enum: string[] }).enum.at(-1),
    "__dap_unspecified__",
  );
  assertEquals(
    (await call(env.handler, token, "GET", "/dap/query/canvas/table/nope/schema")).status,
    404,
  );
  for (const table of TABLE_NAMES.canvas!) {
    const answer = await call(env.handler, token, "GET", `/dap/query/canvas/table/${table}/schema`);
    assertEquals(answer.status, 200, table);
  }
});

Deno.test("a job goes waiting -> running -> complete with exact key sets and 202 then 200", async () => {
  const env = setup({ jobWaitingMs: 100, jobRunningMs: 300, tokenLifetimeSeconds: 200_000 });
  const token = await login(env.handler);
  const first = await call(env.handler, token, "POST", "/dap/query/canvas/table/courses/data", {
    format: "jsonl",
  });
  assertEquals(first.status, 202);
  assertEquals(keys(first.json), ["expires_at", "id", "status"]);
  assertEquals(first.json.status, "waiting");
  assertEquals(first.json.expires_at, "2026-11-27T12:00:00Z");
  const id = first.json.id as string;
  env.clock.now += 150;
  const running = await call(env.handler, token, "GET", `/dap/job/${id}`);
  assertEquals([running.status, running.json.status], [202, "running"]);
  env.clock.now += 300;
  const done = await call(env.handler, token, "GET", `/dap/job/${id}`);
  assertEquals(done.status, 200);
  assertEquals(keys(done.json), ["at", "expires_at", "id", "objects", "schema_version", "status"]);
  assertEquals(done.json.at, "2026-11-20T08:00:00Z");
  const objects = done.json.objects as { id: string }[];
  assertEquals(objects.length, 3);
  for (const object of objects) assertEquals(keys(object), ["id"]);
  // De-duplication: the same query answers the same (complete) job.
  const again = await call(env.handler, token, "POST", "/dap/query/canvas/table/courses/data", {
    format: "jsonl",
  });
  assertEquals([again.status, again.json.id], [200, id]);
  const other = await call(env.handler, token, "POST", "/dap/query/canvas/table/courses/data", {
    format: "csv",
  });
  assertNotEquals(other.json.id, id);
  assertEquals((await call(env.handler, token, "GET", "/dap/job/unknown")).status, 404);
  env.clock.now += 25 * 3_600_000;
  assertEquals((await call(env.handler, token, "GET", `/dap/job/${id}`)).status, 404);
});

Deno.test("query validation: bad format, unknown field, zone-less since, until without since", async () => {
  const env = setup();
  const token = await login(env.handler);
  for (
    const body of [
      { format: "xml" },
      { format: "jsonl", extra: 1 },
      { format: "jsonl", since: "2026-11-19T00:00:00" },
      { format: "jsonl", until: "2026-11-19T00:00:00Z" },
    ]
  ) {
    const answer = await call(
      env.handler,
      token,
      "POST",
      "/dap/query/canvas/table/courses/data",
      body,
    );
    assertEquals(answer.status, 400, JSON.stringify(body));
    const error = answer.json.error as Record<string, unknown>;
    assertEquals(error.type, "ValidationError");
    assertEquals(keys(error.location), ["character", "column", "line"]);
  }
});

Deno.test("incremental: only rows changed in (since, until], deletes as D, out-of-range since is refused", async () => {
  const env = setup({ rows: 400, rowsPerObject: 1000 });
  const token = await login(env.handler);
  const since = "2026-11-10T00:00:00Z", until = "2026-11-15T00:00:00.000Z";
  const job = await completeJob(env, token, { format: "jsonl", since, until });
  assertEquals(keys(job.json), [
    "expires_at",
    "id",
    "objects",
    "schema_version",
    "since",
    "status",
    "until",
  ]);
  assertEquals([job.json.since, job.json.until], ["2026-11-10T00:00:00.000Z", until]);
  const id = (job.json.objects as { id: string }[])[0]!.id;
  const records = env.emulator.objectBytes(id);
  const { gunzipText } = await import("../support/gunzip.ts");
  const lines = gunzipText(records).trim().split("\n").map((l) => JSON.parse(l));
  assert(lines.length > 10);
  for (const record of lines) {
    const ts = Date.parse(record.meta.ts);
    assert(ts > Date.parse(since) && ts <= Date.parse(until), record.meta.ts);
    if (record.meta.action === "D") assertEquals(keys(record), ["key", "meta"]);
  }
  assert(lines.some((r) => r.meta.action === "D"), "some deletes");
  const old = await call(env.handler, token, "POST", "/dap/query/canvas/table/courses/data", {
    format: "jsonl",
    since: "2026-01-01T00:00:00Z",
  });
  assertEquals(old.status, 400);
  const error = old.json.error as Record<string, unknown>;
  assertEquals(keys(error), ["message", "since", "type", "until", "uuid"]);
  assertEquals([error.type, error.since, error.until], [
    "OutOfRangeError",
    "2026-10-21T08:00:00Z",
    null,
  ]);
});

Deno.test("object URLs: one call for many ids, pre-signed, no auth needed; unknown ids 404", async () => {
  const env = setup();
  const token = await login(env.handler);
  const job = await completeJob(env, token);
  const objects = job.json.objects as { id: string }[];
  const answer = await call(env.handler, token, "POST", "/dap/object/url", objects);
  assertEquals(answer.status, 200);
  assertEquals(keys(answer.json), ["urls"]);
  const urls = answer.json.urls as Record<string, { url: string }>;
  assertEquals(Object.keys(urls).sort(), objects.map((o) => o.id).sort());
  for (const [id, entry] of Object.entries(urls)) {
    assertEquals(keys(entry), ["url"]);
    const url = new URL(entry.url);
    assertEquals(url.origin, BASE);
    // As S3 writes it: the id as one encoded segment, then the part name with literal dots.
    assertEquals(url.pathname, `/objects/${encodeURIComponent(id)}/${id.split("/")[1]}`);
    assertMatch(entry.url, /\/part-0000\d-[0-9a-f-]{36}-c000\.json\.gz\?X-Amz-Algorithm=/);
    assert(url.searchParams.get("X-Amz-Signature"));
    assertEquals(url.searchParams.get("X-Amz-Expires"), "900");
    const got = await download(env.handler, entry.url);
    assertEquals(got.status, 200);
    assertEquals(got.bytes, env.emulator.objectBytes(id));
    assertEquals(got.headers.get("content-length"), String(got.bytes.length));
    assertEquals(got.headers.get("etag"), `"${createHash("md5").update(got.bytes).digest("hex")}"`);
    assertEquals(got.headers.get("content-encoding"), null);
  }
  const unknown = await call(env.handler, token, "POST", "/dap/object/url", [{
    id: "nope/part-0.json.gz",
  }]);
  assertEquals(unknown.status, 404);
  assertEquals((unknown.json.error as { kind: string }).kind, "object");
});

Deno.test("object URL names: literal by default, over-encoded on request, hostile names escaped", async () => {
  const urlsOf = async (options: EmulatorOptions) => {
    const env = setup({ rows: 10, rowsPerObject: 4, ...options });
    const token = await login(env.handler);
    const objects = (await completeJob(env, token)).json.objects as { id: string }[];
    const answer = await call(env.handler, token, "POST", "/dap/object/url", objects);
    const urls = answer.json.urls as Record<string, { url: string }>;
    const names = [];
    for (const { id } of objects) {
      const url = urls[id]!.url;
      assertEquals((await download(env.handler, url)).bytes, env.emulator.objectBytes(id));
      names.push(new URL(url).pathname.split("/").pop()!);
    }
    return { ids: objects.map((o) => o.id), names };
  };
  const plain = await urlsOf({});
  const run = plain.names[0]!.slice("part-00000-".length, -".json.gz".length);
  assertMatch(run, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}-c000$/);
  assertEquals(plain.names, [0, 1, 2].map((n) => `part-0000${n}-${run}.json.gz`));
  assertEquals(plain.ids.map((id) => id.split("/")[1]), plain.names);
  const encoded = await urlsOf({ encodeUrlNames: true });
  assertEquals(encoded.names, [0, 1, 2].map((n) => `part-0000${n}-${run}%2Ejson%2Egz`));
  const hostile = await urlsOf({
    objectFileName: (index) => ["a b/c(1)!.json.gz", "../x", "é~_.-"][index]!,
  });
  assertEquals(hostile.names, ["a%20b%2Fc%281%29%21.json.gz", "..%2Fx", "%C3%A9~_.-"]);
});

Deno.test("downloads: Range gives 206, expired URLs and bad signatures give S3 XML 403", async () => {
  const env = setup({ urlLifetimeSeconds: 60 });
  const token = await login(env.handler);
  const job = await completeJob(env, token);
  const id = (job.json.objects as { id: string }[])[0]!.id;
  const url =
    ((await call(env.handler, token, "POST", "/dap/object/url", [{ id }])).json.urls as Record<
      string,
      { url: string }
    >)[id]!.url;
  const whole = env.emulator.objectBytes(id);
  const part = await download(env.handler, url, { range: "bytes=100-" });
  assertEquals(part.status, 206);
  assertEquals(part.headers.get("content-range"), `bytes 100-${whole.length - 1}/${whole.length}`);
  assertEquals(part.bytes, whole.subarray(100));
  assertEquals((await download(env.handler, url, { range: `bytes=${whole.length}-` })).status, 416);
  const forged = await download(
    env.handler,
    url.replace(/X-Amz-Signature=\w/, "X-Amz-Signature=0"),
  );
  assertEquals(forged.status, 403);
  assertMatch(new TextDecoder().decode(forged.bytes), /<Code>SignatureDoesNotMatch<\/Code>/);
  env.clock.now += 61_000;
  const expired = await download(env.handler, url);
  assertEquals(expired.status, 403);
  assertEquals(expired.headers.get("content-type"), "application/xml");
  assertMatch(new TextDecoder().decode(expired.bytes), /<Code>AccessDenied<\/Code>/);
});

Deno.test("determinism: same seed, same job ids, names and bytes; another seed differs", async () => {
  const run = async (seed: number) => {
    const env = setup({ seed });
    const token = await login(env.handler);
    const job = await completeJob(env, token, { format: "csv" });
    const ids = (job.json.objects as { id: string }[]).map((o) => o.id);
    return { ids, bytes: ids.map((id) => env.emulator.objectBytes(id)) };
  };
  const [a, b, c] = [await run(7), await run(7), await run(8)];
  assertEquals(a, b);
  assertNotEquals(a.bytes[0], c.bytes[0]);
});

Deno.test("rate limits answer 429 with Retry-After once the window is full", async () => {
  const env = setup({ rateLimits: { tables: { limit: 2, windowMs: 60_000 } } });
  const token = await login(env.handler);
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    statuses.push(await call(env.handler, token, "GET", "/dap/query/canvas/table"));
  }
  assertEquals(statuses.map((s) => s.status), [200, 200, 429]);
  assertEquals(statuses[2]!.headers.get("retry-after"), "60");
  env.clock.now += 60_001;
  assertEquals((await call(env.handler, token, "GET", "/dap/query/canvas/table")).status, 200);
  assertEquals(env.emulator.countStatus(429), 1);
});

Deno.test("the request log redacts credentials, tokens and URL signatures", async () => {
  const env = setup();
  const token = await login(env.handler);
  const job = await completeJob(env, token);
  const id = (job.json.objects as { id: string }[])[0]!.id;
  const url =
    ((await call(env.handler, token, "POST", "/dap/object/url", [{ id }])).json.urls as Record<
      string,
      { url: string }
    >)[id]!.url;
  await download(env.handler, url);
  const log = JSON.stringify(env.emulator.requests);
  assert(!log.includes(token));
  assert(!log.includes(new URL(url).searchParams.get("X-Amz-Signature")!));
  assert(!log.includes(btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`)));
  assertEquals(env.emulator.requests[0]!.headers.authorization, "Basic [redacted]");
  assertEquals(env.emulator.requests.map((r) => r.endpoint), [
    "login",
    "query",
    "query",
    "urls",
    "object",
  ]);
});

Deno.test("beta routes are served like the stable ones", async () => {
  const env = setup();
  const token = await login(env.handler);
  assertEquals(
    (await call(env.handler, token, "GET", "/dap/beta/query/catalog/table")).json.tables,
    [...TABLE_NAMES.catalog!],
  );
});

Deno.test("waitFor() resolves on the change that makes its predicate hold, checking only on changes", async () => {
  const env = setup();
  const seen: number[] = [];
  const waiting = env.emulator.waitFor((e) => {
    seen.push(e.requests.length);
    return e.requests.some((r) => r.endpoint === "tables" && r.status === 200);
  });
  let resolved = false;
  waiting.then(() => resolved = true);
  const token = await login(env.handler);
  // Checked once at once, then when the login was recorded and when it was answered.
  assertEquals(seen, [0, 1, 1]);
  await call(env.handler, token, "GET", "/dap/query/canvas/table");
  await waiting;
  assertEquals([resolved, seen], [true, [0, 1, 1, 2, 2]]);
  await call(env.handler, token, "GET", "/dap/query/canvas/table");
  assertEquals(seen.length, 5, "no checks once resolved");
});

Deno.test("waitFor() resolves at once when the predicate already holds; configure() re-checks", async () => {
  const env = setup();
  await env.emulator.waitFor((e) => e.requests.length === 0);
  const waiting = env.emulator.waitFor((e) => e.options.urlLifetimeSeconds === 5);
  env.emulator.configure({ urlLifetimeSeconds: 5 });
  await waiting;
});

Deno.test("waitFor() rejects with a clear error on timeout or when its predicate throws", async () => {
  const env = setup();
  await login(env.handler);
  const error = await assertRejects(
    () =>
      env.emulator.waitFor((e) => e.requests.length > 5, {
        timeoutMs: 20,
        description: "six requests",
      }),
    Error,
  );
  assertEquals(
    error.message,
    "Cannot wait for the emulator: six requests did not happen within 20 ms " +
      "(1 requests recorded, 0 download bytes served)",
  );
  // Without a description the predicate's source names the condition.
  await assertRejects(
    () => env.emulator.waitFor((e) => e.requests.length > 5, { timeoutMs: 1 }),
    Error,
    "e.requests.length > 5 did not happen within 1 ms",
  );
  await assertRejects(
    () =>
      env.emulator.waitFor(() => {
        throw new TypeError("broken predicate");
      }),
    TypeError,
    "broken predicate",
  );
  assertThrows(
    () => env.emulator.waitFor(() => false, { timeoutMs: -1 }),
    RangeError,
    "Cannot wait for the emulator: timeoutMs must be >= 0, got -1",
  );
});

Deno.test("bytesServed counts download bytes as they go out, and waitFor() sees each chunk", async () => {
  const env = setup({
    faults: [{
      endpoint: "object",
      attempts: [2],
      fault: { kind: "slow", chunkBytes: 1000, delayMs: 0 },
    }],
    sleep: () => Promise.resolve(),
  });
  const token = await login(env.handler);
  const job = await completeJob(env, token);
  const id = (job.json.objects as { id: string }[])[0]!.id;
  const urls = (await call(env.handler, token, "POST", "/dap/object/url", [{ id }])).json;
  const url = (urls.urls as Record<string, { url: string }>)[id]!.url;
  const size = env.emulator.objectBytes(id).length;
  await download(env.handler, url);
  assertEquals(env.emulator.bytesServed, size);
  const response = await env.handler(new Request(url));
  const reader = response.body!.getReader();
  const twoChunks = env.emulator.waitFor((e) => e.bytesServed >= size + 2000);
  assertEquals((await reader.read()).value!.length, 1000);
  assertEquals(env.emulator.bytesServed, size + 1000);
  assertEquals((await reader.read()).value!.length, 1000);
  await twoChunks;
  await reader.cancel();
});
