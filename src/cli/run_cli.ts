/**
 * Runs the CLI with every dependency injected (arguments, environment,
 * output, fetch, clock, signal) and returns the exit code. `main.ts` gives it
 * the real world; tests give it the emulator's handler and capture output.
 */
import { CommanderError } from "@commander-js/extra-typings";
import { ApiClient } from "../api/api_client.ts";
import { describeError, EXIT, exitCodeFor, InterruptedError } from "../errors.ts";
import { Logger } from "../report/logger.ts";
import { ProgressBoard } from "../report/progress.ts";
import { runExitCode, runSummaryJson, summaryLine } from "../report/run_summary.ts";
import type { PollSchedule } from "../job/poll_schedule.ts";
import type { RetryPolicy } from "../retry.ts";
import { USER_AGENT } from "../version.ts";
import { buildProgram, type SnapshotFlags } from "./build_program.ts";
import { checkOutputDirectory, exportTables, resolveTableNames } from "./export_tables.ts";
import {
  type Config,
  type GlobalFlags,
  parseFormat,
  parsePositiveInteger,
  parseTables,
  resolveConfig,
} from "./resolve_config.ts";

/** The world the CLI runs in. */
export interface CliDeps {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** data (e.g. `--json`) */
  stdout: (text: string) => void;
  /** everything for people */
  stderr: (text: string) => void;
  /** whether stderr is a terminal (progress line) @default false */
  isTerminal?: boolean;
  /** terminal width @default 100 */
  columns?: number;
  /** appends to the log file named by --logfile */
  appendLog?: (path: string, text: string) => void;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  poll?: PollSchedule;
}

function defaultAppendLog(path: string, text: string): void {
  Deno.writeTextFileSync(path, text, { append: true });
}

function makeLogger(config: Config, deps: CliDeps, board: ProgressBoard): Logger {
  const append = deps.appendLog ?? defaultAppendLog;
  const logFile = config.logFile;
  return new Logger({
    level: config.logLevel,
    format: config.logFormat,
    now: deps.now,
    write: logFile ? (line) => append(logFile, line) : (line) => board.print(line),
  });
}

async function snapshot(
  flags: SnapshotFlags,
  globals: GlobalFlags,
  deps: CliDeps,
): Promise<number> {
  const config = resolveConfig(globals, deps.env);
  const format = parseFormat(flags.format);
  const tables = parseTables(flags.table);
  const concurrency = parsePositiveInteger("--concurrency", flags.concurrency);
  const board = new ProgressBoard({
    write: deps.stderr,
    enabled: deps.isTerminal ?? false,
    columns: deps.columns,
    now: deps.now,
  });
  const logger = makeLogger(config, deps, board);
  const client = new ApiClient({
    baseUrl: config.baseUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    logger,
    userAgent: USER_AGENT,
    fetch: deps.fetch,
    sleep: deps.sleep,
    now: deps.now,
    random: deps.random,
    signal: deps.signal,
    retry: deps.retry,
  });
  await checkOutputDirectory(flags.outputDirectory);
  await client.authenticate();
  const request = {
    namespace: flags.namespace,
    tables,
    query: { format },
    outputDirectory: flags.outputDirectory,
    concurrency,
  };
  const names = await resolveTableNames(request, client);
  const results = await exportTables(request, names, {
    client,
    logger,
    board,
    fetch: deps.fetch,
    sleep: deps.sleep,
    now: deps.now,
    signal: deps.signal,
    poll: deps.poll,
  }).finally(() => board.stop());
  for (const result of results) deps.stderr(logger.redact(summaryLine(result)) + "\n");
  if (flags.json) deps.stdout(logger.redact(runSummaryJson(results)));
  logger.debug(`API calls: ${JSON.stringify(Object.fromEntries(client.calls))}`);
  return runExitCode(results);
}

/** Runs `dap` and returns its exit code; never throws. */
export async function runCli(deps: CliDeps): Promise<number> {
  let code: number = EXIT.OK;
  let secret: string | undefined;
  const program = buildProgram({
    snapshot: async (flags, globals) => {
      secret = globals.clientSecret ?? deps.env.DAP_CLIENT_SECRET;
      code = await snapshot(flags, globals, deps);
    },
  }, {
    writeOut: deps.stdout,
    writeErr: deps.stderr,
  });
  try {
    await program.parseAsync([...deps.args], { from: "user" });
    if (deps.args.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const interrupted = error instanceof InterruptedError || deps.signal?.aborted;
    const message = interrupted
      ? "Interrupted; files under their final names are complete. Rerun the same command to resume."
      : describeError(error);
    const redacted = secret && secret.length >= 4
      ? message.replaceAll(secret, "[redacted]")
      : message;
    deps.stderr(`error: ${redacted}\n`);
    if (error instanceof Error && !interrupted && exitCodeFor(error) === EXIT.INTERNAL) {
      deps.stderr(`${error.stack ?? ""}\n`);
    }
    return interrupted ? EXIT.INTERRUPTED : exitCodeFor(error);
  }
}
