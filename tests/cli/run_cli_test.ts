import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli } from "../../src/cli/run_cli.ts";
import { DEMO_CREDENTIAL, Emulator, type EmulatorOptions } from "../emulator/emulator.ts";
import { handlerFetch } from "../support/handler_fetch.ts";

/** Options of one in-process run: the emulator's, the terminal, extra flags and tables. */
interface RunOptions {
  isTerminal: boolean;
  /** global flags, before the command */
  extra?: string[];
  /** snapshot flags */
  flags?: string[];
  tables?: string;
  emulator?: EmulatorOptions;
  heartbeatMs?: number;
}

/** Runs `dap [extra] snapshot` of canvas tables in-process against an emulator handler. */
async function run(options: RunOptions) {
  const emulator = new Emulator({
    rows: 60,
    rowsPerObject: 20,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    ...options.emulator,
  });
  const out = await Deno.makeTempDir({ prefix: "dap-runcli-" });
  let stdout = "", stderr = "";
  const code = await runCli({
    args: [
      ...options.extra ?? [],
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      options.tables ?? "courses",
      "--output-directory",
      out,
      ...options.flags ?? [],
    ],
    env: {
      DAP_API_URL: "http://127.0.0.1:1",
      DAP_CLIENT_ID: DEMO_CREDENTIAL.clientId,
      DAP_CLIENT_SECRET: DEMO_CREDENTIAL.clientSecret,
    },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTerminal: options.isTerminal,
    heartbeatMs: options.heartbeatMs,
    fetch: handlerFetch(emulator.handler),
  });
  return { code, stdout, stderr };
}

Deno.test("runCli() on a terminal draws a status line and keeps info lines for --loglevel", async () => {
  const terminal = await run({ isTerminal: true });
  assertEquals([terminal.code, terminal.stdout], [0, ""]);
  assert(terminal.stderr.includes("\r\x1b[2Kcourses: "), "a status line");
  assert(!terminal.stderr.includes(" INFO "), "no info lines by default on a terminal");
  const lastLine = terminal.stderr.split("\r\x1b[2K").at(-1)!;
  assertMatch(lastLine, /^canvas\.courses: 3 files, .* -> .*\n$/);
  const verbose = await run({ isTerminal: true, extra: ["--loglevel", "info"] });
  assert(verbose.stderr.includes(" INFO "), "info lines when asked for");
});

Deno.test("runCli() elsewhere writes plain log lines and no escape codes", async () => {
  const plain = await run({ isTerminal: false });
  assertEquals(plain.code, 0);
  assert(!plain.stderr.includes("\x1b"), "no escape codes");
  assertMatch(plain.stderr, /INFO {4}canvas\.courses: job [0-9a-f-]{36} is complete\n/);
});

Deno.test("runCli() off a terminal logs a heartbeat while a job runs, so a CI log never looks stuck", async () => {
  const { code, stderr } = await run({
    isTerminal: false,
    emulator: { rows: 20, jobRunningMs: 2600 },
    heartbeatMs: 1000,
  });
  assertEquals(code, 0, stderr);
  const beats = stderr.split("\n").filter((l) => l.includes("still waiting after"));
  assert(beats.length >= 1 && beats.length <= 3, stderr);
  assertMatch(beats[0]!, /INFO {4}still waiting after \ds: courses: job running \ds$/);
});

Deno.test("runCli() says what a table waits for under the rate limit: the next job slot", async () => {
  const { code, stderr } = await run({
    isTerminal: false,
    flags: ["--rate-limits", "query=1/2s"],
    tables: "courses,users",
    emulator: { rows: 20 },
    heartbeatMs: 1000,
  });
  assertEquals(code, 0, stderr);
  assertMatch(
    stderr,
    /still waiting after \ds: (courses|users): starting \ds, rate limit: next job slot in \ds/,
  );
});
