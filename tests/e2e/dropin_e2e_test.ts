/**
 * A drop-in for official-client users (issue 12): the 2.x global flags, the
 * log file holding everything a run tells people, answers to mistakes, and a
 * CLI that explains itself.
 */
import { join } from "node:path";
import { assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { demoEnv, runDap } from "./run_dap.ts";

const FAST = { rows: 120, rowsPerObject: 40, jobWaitingMs: 0, jobRunningMs: 0 };

function tempDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "dap-dropin-" });
}

Deno.test("the official 2.x global flags are accepted, before or after the command", async () => {
  await using server = serveEmulator(FAST);
  const list = await runDap(
    [
      "--non-interactive",
      "--no-tracking",
      "--console-theme",
      "dark",
      "list",
      "--namespace",
      "catalog",
    ],
    demoEnv(server.url),
  );
  assertEquals([list.code, list.stdout.split("\n").length - 1], [0, 11], list.stderr);
  const out = await tempDir();
  const quiet = await runDap([
    "snapshot",
    "--namespace",
    "canvas",
    "--table",
    "users",
    "--output-directory",
    out,
    "--no-log-to-console",
    "--non-interactive",
  ], demoEnv(server.url));
  assertEquals(quiet.code, 0, quiet.stderr);
  assertMatch(quiet.stderr, /^canvas\.users: 3 files, [^\n]+\n$/, "no log lines: only the summary");
});

Deno.test("--logfile holds the failures and summaries too, with structured JSON fields", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  const logfile = join(out, "l.log");
  const run = await runDap([
    "--logfile",
    logfile,
    "--logformat",
    "json",
    "snapshot",
    "--namespace",
    "canvas",
    "--table",
    "nope,courses",
    "--output-directory",
    out,
  ], demoEnv(server.url));
  assertEquals(run.code, 4, run.stderr);
  const lines = (await Deno.readTextFile(logfile)).trim().split("\n").map((l) => JSON.parse(l));
  const failed = lines.find((l) => l.table === "nope" && l.status === "failed");
  assertEquals(
    [failed?.level, failed?.namespace, failed?.exit_code],
    ["error", "canvas", 4],
    JSON.stringify(lines),
  );
  assertMatch(failed.message, /^canvas\.nope: FAILED after [\d.]+s: Cannot start a query/);
  const done = lines.find((l) => l.table === "courses" && l.status === "ok");
  assertEquals([done?.level, typeof done?.job_id, done?.files], ["info", "string", 3]);
});

Deno.test("--logfile that cannot be written is a usage error before any request (exit 2)", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  const run = await runDap(
    ["--logfile", out, "list", "--namespace", "canvas"],
    demoEnv(server.url),
  );
  assertEquals(run.code, 2);
  assertMatch(run.stderr, new RegExp(`^error: Cannot write the log file ${out}: .+\\n$`));
  assertEquals(server.emulator.requests.length, 0);
});

Deno.test("mistakes get answers: unknown option first, close table names, impossible dates", async () => {
  await using server = serveEmulator(FAST);
  const out = await tempDir();
  const typo = await runDap(
    ["snapshot", "--namespace", "canvas", "--tabel", "courses"],
    demoEnv(server.url),
  );
  assertEquals([typo.code, typo.stderr], [
    2,
    "error: unknown option '--tabel' (did you mean --table?)\n",
  ]);
  const table = await runDap(
    ["snapshot", "--namespace", "canvas", "--table", "course", "--output-directory", out],
    demoEnv(server.url),
  );
  assertEquals(table.code, 4);
  assertStringIncludes(
    table.stderr,
    "hint: canvas.course: did you mean courses? — dap list --namespace canvas shows all\n",
  );
  const incremental = ["incremental", "--namespace", "canvas", "--table", "courses"];
  const impossible: [string, string, string[]][] = [
    ["--since", "2026-02-30T00:00:00Z", []],
    ["--until", "2026-04-31T00:00:00Z", ["--since", "2026-01-01T00:00:00Z"]],
  ];
  for (const [flag, value, others] of impossible) {
    const date = await runDap([...incremental, ...others, flag, value], demoEnv(server.url));
    assertEquals(date.code, 2, date.stderr);
    assertMatch(
      date.stderr,
      new RegExp(`^error: Cannot read ${flag} '${value}': expected an RFC 3339`),
    );
  }
  assertEquals(server.emulator.requests.filter((r) => r.endpoint === "query").length, 1);
});

Deno.test("help marks required flags, shows defaults and examples, and global options once", async () => {
  const main = await runDap(["--help"]);
  assertEquals(main.code, 0);
  assertStringIncludes(
    main.stdout.replace(/\s+/g, " "),
    "default: https://api-gateway.instructure.com",
  );
  assertEquals(main.stdout.split("Global options").length, 2, "one group of global options");
  assertStringIncludes(main.stdout, "$ dap initdb --namespace canvas --table courses");
  const snapshot = await runDap(["snapshot", "--help"]);
  const flat = snapshot.stdout.replace(/\s+/g, " ");
  assertStringIncludes(
    flat,
    "--table <table> table name, comma-separated list, or 'all' (required)",
  );
  assertStringIncludes(flat, '(default: "jsonl")');
  assertStringIncludes(
    snapshot.stdout,
    "Examples:\n  $ dap snapshot --namespace canvas --table courses\n",
  );
  for (
    const command of ["incremental", "list", "schema", "initdb", "syncdb", "dropdb", "completions"]
  ) {
    assertStringIncludes(
      (await runDap([command, "--help"])).stdout,
      `Examples:\n  $ dap ${command} `,
    );
  }
});

Deno.test("dap completions bash completes commands and flags in a real bash", async () => {
  const script = await runDap(["completions", "bash"]);
  assertEquals(script.code, 0, script.stderr);
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "dap.bash"), script.stdout);
  const complete = async (words: string[]) => {
    const line =
      `source ${join(dir, "dap.bash")}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
      `COMP_CWORD=${words.length - 1}; _dap_completions; echo "\${COMPREPLY[*]}"`;
    const output = await new Deno.Command("bash", { args: ["-c", line], stdout: "piped" }).output();
    return new TextDecoder().decode(output.stdout).trim();
  };
  assertEquals(await complete(["dap", "sn"]), "snapshot");
  assertEquals(await complete(["dap", "syncdb", "--rei"]), "--reinit");
  assertEquals(await complete(["dap", "--loglevel", "w"]), "warning");
  const bad = await runDap(["completions", "tcsh"]);
  assertEquals(bad.code, 2);
  assertEquals(
    bad.stderr,
    "error: argument 'tcsh' is invalid for <shell>; allowed choices are bash, zsh, fish\n",
  );
});
