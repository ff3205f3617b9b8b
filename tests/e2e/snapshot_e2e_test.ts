import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { DEMO_CREDENTIAL } from "../emulator/emulator.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { TABLE_NAMES } from "../emulator/table_names.ts";
import { assertJobMatches, demoEnv, listFiles, runDap, snapshotArgs } from "./run_dap.ts";
import denoJson from "../../deno.json" with { type: "json" };

const FAST = { rows: 120, rowsPerObject: 40, jobWaitingMs: 50, jobRunningMs: 100 };

function tempDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "dap-e2e-" });
}

async function jobDirs(out: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const entry of Deno.readDir(out)) {
    if (entry.isDirectory) dirs.push(join(out, entry.name));
  }
  return dirs.sort();
}

Deno.test("dap --version prints the version from deno.json; --help lists the commands", async () => {
  const version = await runDap(["--version"]);
  assertEquals([version.code, version.stdout, version.stderr], [0, `${denoJson.version}\n`, ""]);
  const help = await runDap(["--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "snapshot [options]");
  assertStringIncludes(help.stdout, "--base-url <url>");
  const snapshot = await runDap(["snapshot", "--help"]);
  assertEquals(snapshot.code, 0);
  for (
    const flag of [
      "--namespace",
      "--table",
      "--format",
      "--output-directory",
      "--concurrency",
      "--json",
    ]
  ) {
    assertStringIncludes(snapshot.stdout, flag);
  }
  const none = await runDap([]);
  assertEquals(none.code, 2);
  assertStringIncludes(none.stderr, "Usage: dap");
});

for (const format of ["JSONL", "csv", "Tsv", "parquet"]) {
  Deno.test(`dap snapshot --format ${format} writes the served objects byte for byte`, async () => {
    await using server = serveEmulator(FAST);
    const out = await tempDir();
    const run = await runDap(
      [
        "snapshot",
        "--namespace",
        "canvas",
        "--table",
        "courses",
        "--format",
        format,
        "--output-directory",
        out,
      ],
      demoEnv(server.url),
    );
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stdout, "");
    const [dir] = await jobDirs(out);
    const manifest = await assertJobMatches(server.emulator, dir!, {
      namespace: "canvas",
      table: "courses",
      format: format.toLowerCase(),
    });
    assertEquals((manifest.files as unknown[]).length, 3);
    assertEquals(manifest.at, "2026-11-20T08:00:00Z");
    const extension = {
      jsonl: ".json.gz",
      csv: ".csv.gz",
      tsv: ".tsv.gz",
      parquet: ".parquet",
    }[format.toLowerCase()]!;
    assert(
      (await listFiles(dir!)).every((f) => f.endsWith(extension) || f === ".dap-manifest.json"),
    );
    const lines = run.stderr.trim().split("\n");
    assertMatch(
      lines.at(-1)!,
      new RegExp(
        `^canvas\\.courses: 3 files, [\\d.]+ KiB in [\\d.]+s -> ${out}/job_${manifest.job_id}$`,
      ),
    );
    const queries = server.emulator.requests.filter((r) => r.endpoint === "query");
    assertEquals(queries.map((r) => r.body), [JSON.stringify({ format: format.toLowerCase() })]);
    assertEquals(server.emulator.requests.filter((r) => r.endpoint === "urls").length, 1);
  });
}

Deno.test("dap snapshot of a comma list writes one job directory per table", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  const run = await runDap(
    [
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      "users,pseudonyms",
      "--output-directory",
      out,
      "--json",
    ],
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assertEquals(summary.exit_code, 0);
  assertEquals(summary.tables.map((t: { table: string; status: string }) => [t.table, t.status]), [
    ["users", "ok"],
    ["pseudonyms", "ok"],
  ]);
  for (const table of summary.tables) {
    await assertJobMatches(server.emulator, table.directory, {
      namespace: "canvas",
      table: table.table,
      format: "jsonl",
    });
  }
  assertEquals((await jobDirs(out)).length, 2);
});

Deno.test("dap snapshot --table all lists the namespace and fetches every table", async () => {
  await using server = serveEmulator({
    rows: 20,
    rowsPerObject: 20,
    jobWaitingMs: 0,
    jobRunningMs: 0,
  });
  const out = await tempDir();
  const run = await runDap(
    [
      "snapshot",
      "--namespace",
      "catalog",
      "--table",
      "all",
      "--output-directory",
      out,
      "--format",
      "csv",
      "--json",
      "--rate-limits",
      "query=100/1s,tables=100/1s",
    ],
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assertEquals(summary.tables.map((t: { table: string }) => t.table), [...TABLE_NAMES.catalog!]);
  for (const table of summary.tables) {
    await assertJobMatches(server.emulator, table.directory, {
      namespace: "catalog",
      table: table.table,
      format: "csv",
    });
  }
  assertEquals(server.emulator.requests.filter((r) => r.endpoint === "tables").length, 1);
});

Deno.test("dap snapshot survives a token that expires mid-run", async () => {
  await using server = serveEmulator({
    ...FAST,
    tokenLifetimeSeconds: 2,
    jobWaitingMs: 1500,
    jobRunningMs: 1500,
  });
  const out = await tempDir();
  const run = await runDap(
    ["snapshot", "--namespace", "canvas", "--table", "accounts,courses", "--output-directory", out],
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  const logins = server.emulator.requests.filter((r) => r.endpoint === "login").length;
  // The run lasts over 3 s with a 2 s token: at least one renewal, and never a refused call.
  assert(logins >= 2, `expected a renewal, saw ${logins} logins`);
  assertEquals(server.emulator.countStatus(401), 0);
  for (const dir of await jobDirs(out)) {
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, ".dap-manifest.json")));
    await assertJobMatches(server.emulator, dir, {
      namespace: "canvas",
      table: manifest.table,
      format: "jsonl",
    });
  }
});

Deno.test("global options work before and after the subcommand; JSON logs go to --logfile", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  const logfile = join(out, "dap.log");
  const env = {
    DAP_CLIENT_ID: DEMO_CREDENTIAL.clientId,
    DAP_CLIENT_SECRET: DEMO_CREDENTIAL.clientSecret,
  };
  const before = await runDap(
    [
      "--base-url",
      server.url,
      "--loglevel",
      "debug",
      "--logformat",
      "json",
      "--logfile",
      logfile,
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      "users",
      "--output-directory",
      out,
    ],
    env,
  );
  assertEquals(before.code, 0, before.stderr);
  assertMatch(before.stderr, /^canvas\.users: 3 files, .* -> /);
  const lines = (await Deno.readTextFile(logfile)).trim().split("\n").map((l) => JSON.parse(l));
  assert(lines.some((l) => l.level === "debug" && l.message.startsWith("Logged in")));
  assert(lines.every((l) => typeof l.time === "string" && typeof l.message === "string"));
  const after = await runDap(
    [
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      "users",
      "--output-directory",
      out,
      "--base-url",
      server.url,
      "--loglevel",
      "warning",
    ],
    env,
  );
  assertEquals(after.code, 0, after.stderr);
  assertEquals(
    after.stderr.split("\n").filter((l) => l).length,
    1,
    "warning level: only the summary",
  );
});

Deno.test("no secret appears in any output or log, at any level, in either format", async () => {
  await using server = serveEmulator({
    ...FAST,
    tokenLifetimeSeconds: 1,
    faults: [{ endpoint: "object", attempts: [1], fault: { kind: "expiredUrl" } }],
  });
  const out = await tempDir();
  const logfile = join(out, "json.log");
  const runs = [
    await runDap([
      "--loglevel",
      "debug",
      ...snapshotArgs(out),
      "--json",
    ], demoEnv(server.url)),
    await runDap([
      "--loglevel",
      "debug",
      "--logformat",
      "json",
      "--logfile",
      logfile,
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      "courses,nope",
      "--output-directory",
      out,
    ], demoEnv(server.url)),
    await runDap([
      "--client-secret",
      DEMO_CREDENTIAL.clientSecret + "x",
      "--base-url",
      server.url,
      "--client-id",
      "x",
      ...snapshotArgs(out),
    ]),
  ];
  const printed = runs.map((r) => r.stdout + r.stderr).join("\n") +
    await Deno.readTextFile(logfile);
  assert(server.emulator.issuedSecrets.length > 5);
  const basic = btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`);
  for (const secret of [DEMO_CREDENTIAL.clientSecret, basic, ...server.emulator.issuedSecrets]) {
    assert(!printed.includes(secret), `leaked: ${secret.slice(0, 12)}…`);
  }
  assertStringIncludes(printed, "asking for a new one");
});
