/**
 * Runs the CLI with every dependency injected (arguments, environment,
 * output, fetch, clock, signal) and returns the exit code. `main.ts` gives it
 * the real world; tests give it the emulator's handler and capture output.
 */
import { CommanderError } from "@commander-js/extra-typings";
import { ApiClient } from "../api/api_client.ts";
import { DOCUMENTED_LIMITS, parseRateLimits, RateLimiter } from "../api/rate_limiter.ts";
import { describeError, EXIT, exitCodeFor, InterruptedError, UsageError } from "../errors.ts";
import type { PollSchedule } from "../job/poll_schedule.ts";
import { findLatestManifest, manifestEnd, readManifest } from "../output/find_manifest.ts";
import { writeSchemaFile } from "../output/write_schema_file.ts";
import { type Codec, CODECS } from "../output/parquet_sink.ts";
import { Logger, redact } from "../report/logger.ts";
import { ProgressBoard } from "../report/progress.ts";
import { runExitCode, runSummaryJson, summaryLine } from "../report/run_summary.ts";
import type { RetryPolicy } from "../retry.ts";
import { USER_AGENT } from "../version.ts";
import type { QueryBody } from "../api/api_client.ts";
import {
  buildProgram,
  type ExportFlags,
  type IncrementalFlags,
  type ListFlags,
  type SchemaFlags,
} from "./build_program.ts";
import {
  checkOutputDirectory,
  type ExportRequest,
  exportTables,
  resolveTableNames,
} from "./export_tables.ts";
import { parseTimestamp } from "./parse_timestamp.ts";
import {
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
  /** data (`list`, `--json`) */
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

/** Everything a command needs to talk to the API and to people. */
interface Session {
  client: ApiClient;
  logger: Logger;
  board: ProgressBoard;
}

function openSession(flags: GlobalFlags & { rateLimits?: string }, deps: CliDeps): Session {
  const config = resolveConfig(flags, deps.env);
  const limits = flags.rateLimits === undefined
    ? DOCUMENTED_LIMITS
    : parseRateLimits(flags.rateLimits);
  const board = new ProgressBoard({
    write: deps.stderr,
    enabled: deps.isTerminal ?? false,
    columns: deps.columns,
    now: deps.now,
  });
  const append = deps.appendLog ?? defaultAppendLog;
  const logFile = config.logFile;
  // On a terminal the progress line tells the story: info lines only when asked for.
  const quiet = flags.loglevel === undefined && deps.isTerminal === true && !logFile;
  const logger = new Logger({
    level: quiet ? "warning" : config.logLevel,
    format: config.logFormat,
    now: deps.now,
    write: logFile ? (line) => append(logFile, line) : (line) => board.print(line),
  });
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
  const limiter = new RateLimiter(limits, {
    now: deps.now,
    sleep: deps.sleep,
    signal: deps.signal,
  });
  client.beforeCall = (endpoint) => limiter.acquire(endpoint);
  client.onRateLimited = (endpoint, ms) => {
    logger.warning(`The API rate-limited ${endpoint} calls (HTTP 429); pausing them for ${ms} ms`);
    limiter.pause(endpoint, ms);
  };
  return { client, logger, board };
}

async function runExport(
  flags: ExportFlags & GlobalFlags,
  deps: CliDeps,
  queryFor: (session: Session, tables: string[]) => Promise<(table: string) => QueryBody>,
): Promise<number> {
  const tables = parseTables(flags.table);
  const concurrency = parsePositiveInteger("--concurrency", flags.concurrency);
  const session = openSession(flags, deps);
  const { client, logger, board } = session;
  await checkOutputDirectory(flags.outputDirectory);
  await client.authenticate();
  const merge = flags.merge ? parseMerge(flags) : undefined;
  const request: ExportRequest = {
    namespace: flags.namespace,
    tables,
    queryFor: () => ({ format: "jsonl" }),
    outputDirectory: flags.outputDirectory,
    concurrency,
    merge,
  };
  const names = await resolveTableNames(request, client);
  const bodyFor = await queryFor(session, names);
  // A merge asks for JSONL, which is lossless and carries the full structure, and converts locally.
  request.queryFor = merge ? (table) => ({ ...bodyFor(table), format: "jsonl" }) : bodyFor;
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

/** Reads --format, --mode and --codec for a merged run. */
function parseMerge(flags: ExportFlags): NonNullable<ExportRequest["merge"]> {
  const format = parseFormat(flags.format);
  if (flags.mode !== "expanded" && flags.mode !== "condensed") {
    throw new UsageError(`Cannot use --mode '${flags.mode}': use expanded or condensed`);
  }
  const codec = flags.codec.toLowerCase() as Codec;
  if (!CODECS.includes(codec)) {
    throw new UsageError(`Cannot use --codec '${flags.codec}': use ${CODECS.join(", ")}`);
  }
  return { format, mode: flags.mode, codec };
}

function snapshot(flags: ExportFlags & GlobalFlags, deps: CliDeps): Promise<number> {
  const format = parseFormat(flags.format);
  return runExport(flags, deps, () => Promise.resolve(() => ({ format })));
}

/** Resolves `--since` per table: a timestamp, a manifest file, or `latest`. */
async function sinceByTable(
  flags: IncrementalFlags,
  tables: string[],
  note: (text: string) => void,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const since = flags.since.trim();
  if (since === "latest") {
    for (const table of tables) {
      const found = await findLatestManifest(flags.outputDirectory, flags.namespace, table);
      if (!found) {
        throw new UsageError(
          `Cannot start ${flags.namespace}.${table} from the latest manifest: none in ${flags.outputDirectory} (run a snapshot first)`,
        );
      }
      note(
        `${flags.namespace}.${table}: starting from ${manifestEnd(found.manifest)} (${found.path})`,
      );
      out.set(table, manifestEnd(found.manifest)!);
    }
    return out;
  }
  if (/\.json$/i.test(since)) {
    const manifest = await readManifest(since);
    const stray = tables.find((t) => t !== manifest.table);
    if (stray || manifest.namespace !== flags.namespace) {
      throw new UsageError(
        `Cannot start ${flags.namespace}.${
          stray ?? tables[0]
        } from ${since}: that manifest is for ${manifest.namespace}.${manifest.table}`,
      );
    }
    for (const table of tables) out.set(table, manifestEnd(manifest)!);
    return out;
  }
  const parsed = parseTimestamp("--since", since);
  if (parsed.assumedUtc) {
    note(`--since ${since} has no time zone; reading it as UTC: ${parsed.iso}`);
  }
  for (const table of tables) out.set(table, parsed.iso);
  return out;
}

function incremental(flags: IncrementalFlags & GlobalFlags, deps: CliDeps): Promise<number> {
  const format = parseFormat(flags.format);
  const note = (text: string) => deps.stderr(`note: ${text}\n`);
  const until = flags.until === undefined ? undefined : parseTimestamp("--until", flags.until);
  if (until?.assumedUtc) {
    note(`--until ${flags.until} has no time zone; reading it as UTC: ${until.iso}`);
  }
  if (!/\.json$/i.test(flags.since.trim()) && flags.since.trim() !== "latest") {
    parseTimestamp("--since", flags.since); // refuse a bad --since before logging in
  }
  return runExport(flags, deps, async (_session, tables) => {
    const since = await sinceByTable(flags, tables, note);
    for (const [table, start] of since) {
      if (until && Date.parse(until.iso) <= Date.parse(start)) {
        throw new UsageError(
          `Cannot read --until '${flags.until}': it is not after --since (${start}) for ${table}`,
        );
      }
    }
    return (table) => ({
      format,
      since: since.get(table)!,
      ...(until ? { until: until.iso } : {}),
    });
  });
}

async function list(flags: ListFlags & GlobalFlags, deps: CliDeps): Promise<number> {
  const { client } = openSession(flags, deps);
  const tables = await client.listTables(flags.namespace);
  deps.stdout(tables.map((t) => `${t}\n`).join(""));
  return EXIT.OK;
}

async function schema(flags: SchemaFlags & GlobalFlags, deps: CliDeps): Promise<number> {
  const tables = parseTables(flags.table);
  const { client, logger } = openSession(flags, deps);
  await checkOutputDirectory(flags.outputDirectory);
  const names = tables === "all" ? await client.listTables(flags.namespace) : tables;
  for (const table of names) {
    const answer = await client.getSchema(flags.namespace, table);
    const path = await writeSchemaFile(flags.outputDirectory, table, answer);
    deps.stderr(
      logger.redact(`${flags.namespace}.${table}: schema version ${answer.version} -> ${path}`) +
        "\n",
    );
  }
  return EXIT.OK;
}

/** Runs `dap` and returns its exit code; never throws. */
export async function runCli(deps: CliDeps): Promise<number> {
  let code: number = EXIT.OK;
  let secret: string | undefined;
  const run =
    <F extends GlobalFlags>(command: (flags: F, deps: CliDeps) => Promise<number>) =>
    async (flags: F) => {
      secret = flags.clientSecret ?? deps.env.DAP_CLIENT_SECRET;
      code = await command(flags, deps);
    };
  const program = buildProgram({
    snapshot: run(snapshot),
    incremental: run(incremental),
    list: run(list),
    schema: run(schema),
  }, { writeOut: deps.stdout, writeErr: deps.stderr });
  try {
    await program.parseAsync([...deps.args], { from: "user" });
    if (deps.args.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    const interrupted = error instanceof InterruptedError || deps.signal?.aborted;
    const message = interrupted
      ? "Interrupted; files under their final names are complete. Rerun the same command to resume."
      : describeError(error);
    deps.stderr(`error: ${redact(message, secret ? [secret] : [])}\n`);
    const debug = deps.args.some((a, i) =>
      a === "--loglevel=debug" || (a === "--loglevel" && deps.args[i + 1] === "debug")
    );
    if (error instanceof Error && !interrupted && exitCodeFor(error) === EXIT.INTERNAL) {
      deps.stderr(
        debug
          ? `${error.stack ?? ""}\n`
          : "This is a bug; rerun with --loglevel debug for details and report it.\n",
      );
    }
    return interrupted ? EXIT.INTERRUPTED : exitCodeFor(error);
  }
}
