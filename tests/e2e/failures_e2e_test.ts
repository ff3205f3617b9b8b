import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import {
  assertFinalFilesWhole,
  assertJobMatches,
  demoEnv,
  listFiles,
  runDap,
  spawnDap,
} from "./run_dap.ts";

const FAST = { rows: 120, rowsPerObject: 40, jobWaitingMs: 0, jobRunningMs: 0 };
const SNAP = ["snapshot", "--namespace", "canvas", "--table", "courses"];

function tempDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "dap-e2e-" });
}

/** One line on stderr, that exact message, that exit code, nothing on stdout. */
function assertFailure(
  run: { code: number; stdout: string; stderr: string },
  code: number,
  message: string,
) {
  assertEquals({ code: run.code, stdout: run.stdout, stderr: run.stderr }, {
    code,
    stdout: "",
    stderr: `${message}\n`,
  });
}

Deno.test("missing credentials name both the flag and the variable (exit 2)", async () => {
  const out = await tempDir();
  assertFailure(
    await runDap([...SNAP, "--output-directory", out], { DAP_API_URL: "http://127.0.0.1:9" }),
    2,
    "error: Cannot authenticate: no client id and no client secret; pass --client-id and --client-secret or set DAP_CLIENT_ID and DAP_CLIENT_SECRET",
  );
  assertFailure(
    await runDap([...SNAP, "--output-directory", out], { DAP_CLIENT_ID: "x" }),
    2,
    "error: Cannot authenticate: no client secret; pass --client-secret or set DAP_CLIENT_SECRET",
  );
});

Deno.test("an unknown format or option is a usage error (exit 2)", async () => {
  const env = demoEnv("http://127.0.0.1:9");
  assertFailure(
    await runDap([...SNAP, "--format", "xml"], env),
    2,
    "error: Cannot use format 'xml': use CSV, JSONL, Parquet or TSV",
  );
  assertFailure(
    await runDap([...SNAP, "--frmat", "csv"], env),
    2,
    "error: unknown option '--frmat' (did you mean --format?)",
  );
  assertFailure(
    await runDap(["snapshot", "--table", "x"], env),
    2,
    "error: required option '--namespace <namespace>' not specified",
  );
  assertFailure(
    await runDap([...SNAP, "--concurrency", "0"], env),
    2,
    "error: Cannot use --concurrency '0': expected an integer from 1 to 256",
  );
});

Deno.test("bad base URLs: malformed, clear-text remote (exit 2), refused (exit 4)", async () => {
  const out = await tempDir();
  const env = { DAP_CLIENT_ID: "id", DAP_CLIENT_SECRET: "s3cr3t-value-1234" };
  assertFailure(
    await runDap([...SNAP, "--base-url", "ht!tp://x", "--output-directory", out], env),
    2,
    "error: Cannot use base URL 'ht!tp://x': it is not a valid URL",
  );
  assertFailure(
    await runDap([...SNAP, "--output-directory", out], {
      ...env,
      DAP_API_URL: "http://api.example.com",
    }),
    2,
    "error: Cannot use base URL 'http://api.example.com': plain HTTP would send the client secret in clear; use https:// (http:// is allowed only for localhost)",
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const refused = await runDap([...SNAP, "--output-directory", out], {
    ...env,
    DAP_API_URL: `http://127.0.0.1:${port}`,
  });
  assertEquals(refused.code, 4);
  assertMatch(
    refused.stderr.trim().split("\n").at(-1)!,
    new RegExp(
      `^error: Cannot log in: cannot reach http://127\\.0\\.0\\.1:${port} \\(connection refused\\)$`,
    ),
  );
});

Deno.test("refused credentials exit 3 with one clear line", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  assertFailure(
    await runDap([...SNAP, "--output-directory", out], {
      ...demoEnv(server.url),
      DAP_CLIENT_SECRET: "wrong",
    }),
    3,
    "error: Cannot log in: the client id or secret was refused (HTTP 403: Invalid client credentials)",
  );
});

Deno.test("an unknown namespace or table is the server's 404, reported plainly (exit 4)", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  const namespace = await runDap([
    "snapshot",
    "--namespace",
    "nope",
    "--table",
    "all",
    "--output-directory",
    out,
  ], demoEnv(server.url));
  assertEquals(namespace.code, 4);
  assertMatch(
    namespace.stderr,
    /^error: Cannot list the tables of namespace 'nope': The namespace 'nope' does not exist \(HTTP 404\) \(error uuid [0-9a-f-]{36}\)\n$/,
  );
  const table = await runDap([
    "snapshot",
    "--namespace",
    "canvas",
    "--table",
    "nope,users",
    "--output-directory",
    out,
  ], demoEnv(server.url));
  assertEquals(table.code, 4);
  const lines = table.stderr.trim().split("\n");
  assertMatch(
    lines.at(-2)!,
    /^canvas\.nope: FAILED after [\d.]+s: Cannot start a query for canvas\.nope: The table 'nope' does not exist \(HTTP 404\) \(error uuid [0-9a-f-]{36}\)$/,
  );
  assertMatch(lines.at(-1)!, /^canvas\.users: 3 files, /);
});

Deno.test("an unwritable output directory is refused before any job starts (exit 2)", async () => {
  await using server = serveEmulator(FAST);
  const base = await tempDir();
  const file = join(base, "a-file");
  await Deno.writeTextFile(file, "");
  const run = await runDap([...SNAP, "--output-directory", join(file, "sub")], demoEnv(server.url));
  assertEquals(run.code, 2);
  assertMatch(
    run.stderr,
    new RegExp(`^error: Cannot create output directory ${join(file, "sub")}: .+\\n$`),
  );
  assertEquals(server.emulator.requests.length, 0);
  if (Deno.uid() !== 0) {
    const readOnly = join(base, "ro");
    await Deno.mkdir(readOnly, { mode: 0o555 });
    const denied = await runDap([...SNAP, "--output-directory", readOnly], demoEnv(server.url));
    assertEquals(denied.code, 2);
    assertMatch(denied.stderr, /^error: Cannot write to output directory .*: Permission denied/);
  }
});

Deno.test("a failed job exits 4 with the server's error type, message and uuid", async () => {
  await using server = serveEmulator({
    ...FAST,
    faults: [{ endpoint: "query", fault: { kind: "jobFailed" } }],
  });
  const out = await tempDir();
  const run = await runDap([...SNAP, "--output-directory", out], demoEnv(server.url));
  assertEquals(run.code, 4);
  assertMatch(
    run.stderr.trim().split("\n").at(-1)!,
    /^canvas\.courses: FAILED after [\d.]+s: Job [0-9a-f-]{36} failed: ProcessingError: The query failed while processing \(error uuid [0-9a-f-]{36}\)$/,
  );
  assertEquals(await listFiles(out), []);
});

Deno.test("a partial download exits 5, keeps the complete files and writes no manifest; a rerun finishes", async () => {
  await using server = serveEmulator({
    ...FAST,
    faults: [{
      endpoint: "object",
      pathIncludes: "part-00001",
      fault: { kind: "status", status: 500 },
    }],
  });
  const out = await tempDir();
  const first = await runDap([...SNAP, "--output-directory", out], demoEnv(server.url));
  assertEquals(first.code, 5, first.stderr);
  assertMatch(
    first.stderr.trim().split("\n").at(-1)!,
    /^canvas\.courses: FAILED after [\d.]+s: 1 of 3 file\(s\) could not be downloaded; rerun the same command to finish$/,
  );
  const files = await listFiles(out);
  assertEquals(files.length, 2);
  assert(files.every((f) => /part-0000[02]-.*\.json\.gz$/.test(f)), files.join());
  server.emulator.configure({ faults: [] });
  const second = await runDap([...SNAP, "--output-directory", out], demoEnv(server.url));
  assertEquals(second.code, 0, second.stderr);
  assertMatch(second.stderr, /canvas\.courses: 3 files \(2 already complete\), /);
  const [dir] = files[0]!.split("/");
  await assertJobMatches(server.emulator, join(out, dir!), {
    namespace: "canvas",
    table: "courses",
    format: "jsonl",
  });
});

Deno.test("Ctrl-C stops within a second, exits 130, leaves no incomplete final file; the rerun completes", async () => {
  await using server = serveEmulator({
    rows: 400,
    rowsPerObject: 50,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    faults: [{
      endpoint: "object",
      pathIncludes: "part-0000",
      fault: { kind: "slow", chunkBytes: 2048, delayMs: 40 },
    }],
  });
  const out = await tempDir();
  const child = spawnDap([...SNAP, "--output-directory", out], demoEnv(server.url));
  // Mid-download: four downloads started and a dozen slow chunks (>= 80 ms of each) sent.
  await server.emulator.waitFor(
    (e) =>
      e.requests.filter((r) => r.endpoint === "object").length >= 4 &&
      e.bytesServed >= 12 * 2048,
    { description: "four downloads under way" },
  );
  const sentAt = performance.now();
  child.kill("SIGINT");
  const output = await child.output();
  const elapsed = performance.now() - sentAt;
  assertEquals(output.code, 130);
  assert(elapsed < 1000, `stopped after ${Math.round(elapsed)} ms`);
  assertEquals(
    new TextDecoder().decode(output.stderr).trim().split("\n").at(-1),
    "error: Interrupted; files under their final names are complete. Rerun the same command to resume.",
  );
  const files = await listFiles(out);
  assert(files.some((f) => f.endsWith(".partial")), files.join());
  assert(!files.some((f) => f.endsWith(".dap-manifest.json")));
  await assertFinalFilesWhole(out, server.emulator);
  server.emulator.configure({ faults: [] });
  const rerun = await runDap([...SNAP, "--output-directory", out], demoEnv(server.url));
  assertEquals(rerun.code, 0, rerun.stderr);
  const dir = join(out, files[0]!.split("/")[0]!);
  await assertJobMatches(server.emulator, dir, {
    namespace: "canvas",
    table: "courses",
    format: "jsonl",
  });
  assertEquals(
    server.emulator.requests.filter((r) => r.endpoint === "query" && r.status === 202).length,
    0,
  );
});

Deno.test("a 403 account error fails fast with its message and uuid (exit 4)", async () => {
  await using server = serveEmulator({
    ...FAST,
    faults: [{
      endpoint: "query",
      fault: {
        kind: "status",
        status: 403,
        type: "AccountDisabled",
        message: "The account is disabled",
      },
    }],
  });
  const out = await tempDir();
  const run = await runDap([...SNAP, "--output-directory", out], demoEnv(server.url));
  assertEquals(run.code, 4);
  assertMatch(
    run.stderr.trim().split("\n").at(-1)!,
    /^canvas\.courses: FAILED after [\d.]+s: Cannot start a query for canvas\.courses: The account is disabled \(HTTP 403\) \(error uuid [0-9a-f-]{36}\)$/,
  );
  assertEquals(server.emulator.requests.filter((r) => r.endpoint === "query").length, 1);
});

Deno.test("a manifest that cannot be written: exit 5, one line naming it, no manifest left behind", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  const args = ["snapshot", "--namespace", "canvas", "--table", "users", "--output-directory", out];
  const first = await runDap(args, demoEnv(server.url));
  assertEquals(first.code, 0, first.stderr);
  const [jobDir] = (await Array.fromAsync(Deno.readDir(out))).map((e) => join(out, e.name));
  await Deno.remove(join(jobDir!, ".dap-manifest.json"));
  // Something in the way of the manifest's .partial: a directory that is not empty.
  await Deno.mkdir(join(jobDir!, ".dap-manifest.json.partial", "in-the-way"), { recursive: true });
  const run = await runDap(args, demoEnv(server.url));
  assertEquals(run.code, 5, run.stderr);
  assertMatch(
    run.stderr.trim().split("\n").at(-1)!,
    new RegExp(
      `^canvas\\.users: FAILED after [\\d.]+s: Cannot write ${jobDir}/\\.dap-manifest\\.json\\.partial: Directory not empty$`,
    ),
  );
  assertEquals(run.stderr.includes("This is a bug"), false);
  await Deno.stat(join(jobDir!, ".dap-manifest.json")).then(
    () => assert(false, "no manifest"),
    (error) => assert(error instanceof Deno.errors.NotFound),
  );
});
