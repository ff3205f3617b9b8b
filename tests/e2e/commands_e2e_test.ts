/** `incremental`, `list`, `schema`, and many tables at once under rate limits. */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { TABLE_NAMES } from "../emulator/table_names.ts";
import { findTable, schemaVersion } from "../emulator/catalogue.ts";
import { tableSchema } from "../emulator/columns.ts";
import { gunzipText } from "../support/gunzip.ts";
import { assertJobMatches, demoEnv, listFiles, runDap } from "./run_dap.ts";

const FAST = { rows: 400, rowsPerObject: 100, jobWaitingMs: 0, jobRunningMs: 0 };

async function manifests(out: string): Promise<Record<string, unknown>[]> {
  const found = [];
  for (const file of await listFiles(out)) {
    if (file.endsWith(".dap-manifest.json")) {
      found.push(JSON.parse(await Deno.readTextFile(join(out, file))));
    }
  }
  return found;
}

Deno.test("dap incremental writes only rows changed in (since, until], deletes as D", async () => {
  await using server = serveEmulator(FAST);
  const out = await Deno.makeTempDir({ prefix: "dap-inc-" });
  const since = "2026-11-10T00:00:00Z", until = "2026-11-15T00:00:00Z";
  const run = await runDap(
    [
      "incremental",
      "--namespace",
      "canvas",
      "--table",
      "courses",
      "--since",
      since,
      "--until",
      until,
      "--output-directory",
      out,
    ],
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  const [manifest] = await manifests(out);
  assertEquals([manifest!.since, manifest!.until, manifest!.at], [
    "2026-11-10T00:00:00.000Z",
    "2026-11-15T00:00:00.000Z",
    undefined,
  ]);
  const dir = join(out, `job_${manifest!.job_id}`);
  await assertJobMatches(server.emulator, dir, {
    namespace: "canvas",
    table: "courses",
    format: "jsonl",
  });
  const records = [];
  for (const file of manifest!.files as { name: string }[]) {
    records.push(
      ...gunzipText(await Deno.readFile(join(dir, file.name))).trim().split("\n").map((l) =>
        JSON.parse(l)
      ),
    );
  }
  assert(records.length > 20 && records.length < 200, `${records.length} records`);
  for (const record of records) {
    const ts = Date.parse(record.meta.ts);
    assert(ts > Date.parse(since) && ts <= Date.parse(until), record.meta.ts);
    assertEquals(record.meta.action === "D", record.value === undefined);
  }
  assert(records.some((r) => r.meta.action === "D"));
  const query = server.emulator.requests.find((r) => r.endpoint === "query")!;
  assertEquals(JSON.parse(query.body), { format: "jsonl", since, until });
});

Deno.test("dap incremental reads a zone-less --since as UTC with a note; refuses nonsense", async () => {
  await using server = serveEmulator(FAST);
  const out = await Deno.makeTempDir({ prefix: "dap-inc-" });
  const run = await runDap(
    [
      "incremental",
      "--namespace",
      "canvas",
      "--table",
      "users",
      "--since",
      "2026-11-18T06:30:00",
      "--output-directory",
      out,
    ],
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  assertEquals(
    run.stderr.split("\n")[0],
    "note: --since 2026-11-18T06:30:00 has no time zone; reading it as UTC: 2026-11-18T06:30:00Z",
  );
  assertEquals(
    JSON.parse(server.emulator.requests.find((r) => r.endpoint === "query")!.body).since,
    "2026-11-18T06:30:00Z",
  );
  const bad = await runDap([
    "incremental",
    "--namespace",
    "canvas",
    "--table",
    "users",
    "--since",
    "last tuesday",
  ], demoEnv(server.url));
  assertEquals([bad.code, bad.stderr], [
    2,
    "error: Cannot read --since 'last tuesday': expected an RFC 3339 timestamp such as 2026-11-19T08:00:00Z, a manifest file, or 'latest'\n",
  ]);
  const backwards = await runDap(
    [
      "incremental",
      "--namespace",
      "canvas",
      "--table",
      "users",
      "--since",
      "2026-11-18T00:00:00Z",
      "--until",
      "2026-11-17T00:00:00Z",
      "--output-directory",
      out,
    ],
    demoEnv(server.url),
  );
  assertEquals(backwards.code, 2);
  assertMatch(
    backwards.stderr,
    /^error: Cannot read --until '2026-11-17T00:00:00Z': it is not after --since/,
  );
});

Deno.test("dap incremental with a since older than the kept range exits 4 with the allowed range", async () => {
  await using server = serveEmulator(FAST);
  const out = await Deno.makeTempDir({ prefix: "dap-inc-" });
  const run = await runDap(
    [
      "incremental",
      "--namespace",
      "canvas",
      "--table",
      "courses",
      "--since",
      "2026-01-01T00:00:00Z",
      "--output-directory",
      out,
    ],
    demoEnv(server.url),
  );
  assertEquals(run.code, 4);
  assertMatch(
    run.stderr.trim(),
    /^canvas\.courses: FAILED after [\d.]+s: Cannot start a query for canvas\.courses: since is older than the changes kept \(allowed range: since 2026-10-21T08:00:00Z\) \(HTTP 400\) \(error uuid [0-9a-f-]{36}\)$/,
  );
  assertEquals(
    server.emulator.requests.filter((r) => r.endpoint === "query").length,
    1,
    "400 is not retried",
  );
});

Deno.test("snapshot -> incremental -> incremental chain through manifests without state kept by hand", async () => {
  await using server = serveEmulator(FAST);
  const out = await Deno.makeTempDir({ prefix: "dap-chain-" });
  const env = demoEnv(server.url);
  const base = ["--namespace", "canvas", "--table", "courses,users", "--output-directory", out];
  assertEquals((await runDap(["snapshot", ...base], env)).code, 0);
  // A day of new changes arrives at the source.
  server.emulator.configure({ dataAt: Date.UTC(2026, 10, 21, 8) });
  const first = await runDap(["incremental", ...base, "--since", "latest"], env);
  assertEquals(first.code, 0, first.stderr);
  assertMatch(
    first.stderr,
    /^note: canvas\.courses: starting from 2026-11-20T08:00:00Z \(.*\.dap-manifest\.json\)$/m,
  );
  server.emulator.configure({ dataAt: Date.UTC(2026, 10, 22, 8) });
  const second = await runDap(["incremental", ...base, "--since", "latest"], env);
  assertEquals(second.code, 0, second.stderr);
  const bodies = server.emulator.requests.filter((r) => r.endpoint === "query").map((r) =>
    JSON.parse(r.body)
  );
  assertEquals(bodies, [
    { format: "jsonl" },
    { format: "jsonl" },
    { format: "jsonl", since: "2026-11-20T08:00:00Z" },
    { format: "jsonl", since: "2026-11-20T08:00:00Z" },
    { format: "jsonl", since: "2026-11-21T08:00:00.000Z" },
    { format: "jsonl", since: "2026-11-21T08:00:00.000Z" },
  ]);
  const all = await manifests(out);
  assertEquals(all.length, 6);
  const latest = all.find((m) => m.table === "courses" && m.until === "2026-11-22T08:00:00.000Z")!;
  assert((latest.files as unknown[]).length > 0);
  const manifestPath = (await listFiles(out)).find((f) => f.startsWith(`job_${latest.job_id}/`))!;
  const fromFile = await runDap(
    [
      "incremental",
      "--namespace",
      "canvas",
      "--table",
      "courses",
      "--output-directory",
      out,
      "--since",
      join(out, manifestPath),
    ],
    env,
  );
  assertEquals(fromFile.code, 0, fromFile.stderr);
  assertEquals(
    JSON.parse(server.emulator.requests.findLast((r) => r.endpoint === "query")!.body).since,
    "2026-11-22T08:00:00.000Z",
  );
  const wrongTable = await runDap(
    [
      "incremental",
      "--namespace",
      "canvas",
      "--table",
      "users",
      "--output-directory",
      out,
      "--since",
      join(out, manifestPath),
    ],
    env,
  );
  assertEquals(wrongTable.code, 2);
  assertMatch(wrongTable.stderr, /that manifest is for canvas\.courses/);
});

Deno.test("dap incremental --since latest without any manifest is a usage error", async () => {
  await using server = serveEmulator(FAST);
  const out = await Deno.makeTempDir({ prefix: "dap-inc-" });
  const run = await runDap(
    [
      "incremental",
      "--namespace",
      "canvas",
      "--table",
      "courses",
      "--since",
      "latest",
      "--output-directory",
      out,
    ],
    demoEnv(server.url),
  );
  assertEquals([run.code, run.stderr], [
    2,
    `error: Cannot start canvas.courses from the latest manifest: none in ${out} (run a snapshot first)\n`,
  ]);
});

Deno.test("dap list prints the table names alone on stdout", async () => {
  await using server = serveEmulator(FAST);
  for (const namespace of ["canvas", "canvas_logs", "catalog"]) {
    const run = await runDap(["list", "--namespace", namespace], demoEnv(server.url));
    assertEquals([run.code, run.stdout, run.stderr], [
      0,
      TABLE_NAMES[namespace]!.map((t) => `${t}\n`).join(""),
      "",
    ]);
  }
  const unknown = await runDap(["list", "--namespace", "nope"], demoEnv(server.url));
  assertEquals(unknown.code, 4);
  assertEquals(unknown.stdout, "");
});

Deno.test("dap schema writes <table>_schema_version_<N>.json byte for byte", async () => {
  await using server = serveEmulator(FAST);
  const out = await Deno.makeTempDir({ prefix: "dap-schema-" });
  const run = await runDap(
    ["schema", "--namespace", "canvas", "--table", "courses,wiki_pages", "--output-directory", out],
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  assertEquals(await listFiles(out), [
    "courses_schema_version_3.json",
    "wiki_pages_schema_version_1.json",
  ]);
  for (const table of ["courses", "wiki_pages"]) {
    // The whole answer, as the official client writes it (issue 12).
    const answer = {
      schema: tableSchema(findTable("canvas", table)!),
      version: schemaVersion("canvas", table),
    };
    const expected = JSON.stringify(answer, null, 4) + "\n";
    const path = join(out, `${table}_schema_version_${schemaVersion("canvas", table)}.json`);
    assertEquals(await Deno.readTextFile(path), expected);
  }
  assertEquals(
    run.stderr,
    `canvas.courses: schema version 3 -> ${out}/courses_schema_version_3.json\ncanvas.wiki_pages: schema version 1 -> ${out}/wiki_pages_schema_version_1.json\n`,
  );
  const all = await runDap([
    "schema",
    "--namespace",
    "catalog",
    "--table",
    "all",
    "--output-directory",
    out,
  ], demoEnv(server.url));
  assertEquals(all.code, 0);
  assertEquals((await listFiles(out)).length, 2 + TABLE_NAMES.catalog!.length);
});

Deno.test("--table all over canvas runs jobs at once within scaled rate limits: zero 429s, overlapping jobs", async () => {
  const limits = {
    tables: { limit: 5, windowMs: 400 },
    query: { limit: 5, windowMs: 400 },
    job: { limit: 500, windowMs: 400 },
    urls: { limit: 200, windowMs: 400 },
  };
  await using server = serveEmulator({
    rows: 10,
    rowsPerObject: 10,
    jobWaitingMs: 300,
    jobRunningMs: 300,
    rateLimits: limits,
  });
  const out = await Deno.makeTempDir({ prefix: "dap-all-" });
  const started = performance.now();
  const run = await runDap(
    [
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      "all",
      "--output-directory",
      out,
      "--json",
      "--rate-limits",
      "tables=5/400ms,query=5/400ms,job=500/400ms,urls=200/400ms",
    ],
    demoEnv(server.url),
  );
  const seconds = (performance.now() - started) / 1000;
  assertEquals(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assertEquals(summary.tables.length, TABLE_NAMES.canvas!.length);
  assert(summary.tables.every((t: { status: string }) => t.status === "ok"));
  assertEquals(server.emulator.countStatus(429), 0);
  const requests = server.emulator.requests;
  const lastQuery = requests.findLast((r) => r.endpoint === "query")!.at;
  const firstDownload = requests.find((r) => r.endpoint === "object")!.at;
  assert(firstDownload < lastQuery, "downloads began while jobs were still being created");
  const minimum = (Math.ceil(TABLE_NAMES.canvas!.length / 5) - 1) * 0.4;
  assert(seconds >= minimum, `faster than the limits allow: ${seconds}s < ${minimum}s`);
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `all canvas tables (${summary.tables.length}) under 5 jobs/400 ms: ${
        seconds.toFixed(1)
      } s, 0 x 429\n`,
    ),
  );
});
