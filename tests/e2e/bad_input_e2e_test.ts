/**
 * Bad input is a usage error (exit 2) naming the flag, before any request,
 * and nothing typed on the command line leaks into the messages (issue 13).
 */
import { assertEquals } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { demoEnv, runDap } from "./run_dap.ts";

Deno.test("names and directories that cannot be right are refused, naming the flag", async () => {
  await using server = serveEmulator({ rows: 20, rowsPerObject: 20 });
  const env = demoEnv(server.url);
  const snapshot = ["snapshot", "--namespace", "canvas", "--table", "courses"];
  const cases: [string[], string][] = [
    [
      ["snapshot", "--namespace", "", "--table", "courses"],
      'Cannot use --namespace "": it is empty',
    ],
    [["list", "--namespace", ".."], 'Cannot use --namespace "..": it is not a name'],
    [
      ["snapshot", "--namespace", "canvas", "--table", "."],
      'Cannot use --table ".": it is not a name',
    ],
    [
      ["snapshot", "--namespace", "canvas", "--table", "courses,.."],
      'Cannot use --table "..": it is not a name',
    ],
    [
      ["schema", "--namespace", "canvas", "--table", "a/b"],
      'Cannot use --table "a/b": it is not a name',
    ],
    [
      ["snapshot", "--namespace", "canvas", "--table", "x".repeat(100_000)],
      `Cannot use --table "${"x".repeat(40)}…": it is longer than 128 characters`,
    ],
    [
      [...snapshot, "--output-directory", ""],
      "Cannot use --output-directory '': give a directory (default: downloads)",
    ],
    [
      ["--base-url", `${server.url}/?tenant=1`, ...snapshot],
      `Cannot use base URL '${server.url}/': it must not have a query or fragment (?…, #…)`,
    ],
    [
      ["--base-url", `${server.url}#x`, ...snapshot],
      `Cannot use base URL '${server.url}/': it must not have a query or fragment (?…, #…)`,
    ],
  ];
  for (const [args, message] of cases) {
    const run = await runDap(args, env);
    assertEquals([run.code, run.stderr], [2, `error: ${message}\n`], args.join(" ").slice(0, 80));
  }
  assertEquals(server.emulator.requests.length, 0, "no request was made");
});

Deno.test("a mistyped flag's value is never echoed", async () => {
  const run = await runDap([
    "snapshot",
    "--namespace",
    "canvas",
    "--table",
    "courses",
    "--client-secet=hunter2-secret-value",
  ]);
  assertEquals([run.code, run.stderr], [
    2,
    "error: unknown option '--client-secet=[redacted]' (did you mean --client-secret?)\n",
  ]);
});
