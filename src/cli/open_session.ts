/**
 * Turns the global flags into what a command runs with: a complete config,
 * the logger and progress board, the one runtime object, and (for commands
 * that talk to the API) a rate-limited API client.
 */
import { ApiClient } from "../api/api_client.ts";
import { DOCUMENTED_LIMITS, parseRateLimits, RateLimiter } from "../api/rate_limiter.ts";
import { Logger, type LogLevel } from "../report/logger.ts";
import { reasonOf, UsageError } from "../errors.ts";
import { formatElapsed } from "../report/format_units.ts";
import { ProgressBoard } from "../report/progress.ts";
import { createRuntime, type LogFields, type Runtime } from "../runtime.ts";
import { USER_AGENT } from "../version.ts";
import type { CliDeps } from "./cli_deps.ts";
import { type NetworkFlags, resolveNetwork } from "./network_options.ts";
import {
  type Config,
  type GlobalFlags,
  type LoggingConfig,
  resolveConfig,
} from "./resolve_config.ts";

/** Everything a command needs to talk to the API and to people. */
export interface Session extends RunOutput {
  config: Config;
  client: ApiClient;
}

function defaultAppendLog(path: string, text: string): void {
  Deno.writeTextFileSync(path, text, { append: true });
}

/** Off a terminal, a "still waiting" line at most this often, so a CI log never looks stuck. */
const HEARTBEAT_MS = 30_000;

/** Checks that the log file can be written, before any request. */
function checkLogFile(path: string, append: (path: string, text: string) => void): void {
  try {
    append(path, "");
  } catch (error) {
    throw new UsageError(`Cannot write the log file ${path}: ${reasonOf(error)}`);
  }
}

/** Where people read a run: log lines, the status line, and lines told to them. */
export interface RunOutput {
  board: ProgressBoard;
  logger: Logger;
  runtime: Runtime;
  /** a line for people (a summary, a note): stderr, and the log file too when one is set */
  tell: (text: string, level?: LogLevel, fields?: LogFields) => void;
}

/** Logging, progress and the runtime for a run with these global flags. */
export function openRuntime(
  config: LoggingConfig,
  flags: GlobalFlags & NetworkFlags,
  deps: CliDeps,
): RunOutput {
  const network = resolveNetwork(flags, deps);
  const interactive = (deps.isTerminal ?? false) && !flags.nonInteractive;
  const late: { logger?: Logger } = {};
  const board = new ProgressBoard({
    write: deps.stderr,
    enabled: interactive,
    columns: deps.columns,
    now: deps.now,
    heartbeat: interactive ? undefined : {
      everyMs: deps.heartbeatMs ?? HEARTBEAT_MS,
      write: (line) => late.logger?.info(line),
    },
  });
  const append = deps.appendLog ?? defaultAppendLog;
  const logFile = config.logFile;
  if (logFile !== undefined) checkLogFile(logFile, append);
  // On a terminal the progress line tells the story: info lines only when asked for.
  const quiet = flags.loglevel === undefined && interactive && !logFile;
  const toConsole = flags.logToConsole === false ? () => {} : (line: string) => board.print(line);
  const logger = late.logger = new Logger({
    level: quiet ? "warning" : config.logLevel,
    format: config.logFormat,
    now: deps.now,
    secrets: deps.secrets,
    write: logFile ? (line) => append(logFile, line) : toConsole,
  });
  if (logFile && deps.runLog) deps.runLog.file = logger;
  const runtime = createRuntime({ ...deps, ...network, log: logger, secrets: deps.secrets });
  const tell = (text: string, level: LogLevel = "info", fields?: LogFields) => {
    board.print(logger.redact(text) + "\n");
    if (logFile) logger.log(level, text, fields);
  };
  return { board, logger, runtime, tell };
}

/** A session for a command that talks to the API. */
export function openSession(flags: GlobalFlags & { rateLimits?: string }, deps: CliDeps): Session {
  const config = resolveConfig(flags, deps.env);
  const limits = flags.rateLimits === undefined
    ? DOCUMENTED_LIMITS
    : parseRateLimits(flags.rateLimits);
  const output = openRuntime(config, flags, deps);
  const { logger, runtime } = output;
  const limiter = new RateLimiter(limits, runtime);
  output.board.explainWaits((_table, state) => {
    const slot = state === "starting" ? limiter.nextSlotAt("query") : undefined;
    return slot === undefined
      ? undefined
      : `rate limit: next job slot in ${formatElapsed(slot - runtime.now())}`;
  });
  const client = new ApiClient({
    baseUrl: config.baseUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    runtime,
    userAgent: USER_AGENT,
    beforeCall: (endpoint) => limiter.acquire(endpoint),
    onRateLimited: (endpoint, ms) => {
      logger.warning(
        `The API rate-limited ${endpoint} calls (HTTP 429); pausing them for ${ms} ms`,
      );
      limiter.pause(endpoint, ms);
    },
  });
  return { ...output, config, client };
}
