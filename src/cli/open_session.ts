/**
 * Turns the global flags into what a command runs with: a complete config,
 * the logger and progress board, the one runtime object, and (for commands
 * that talk to the API) a rate-limited API client.
 */
import { ApiClient } from "../api/api_client.ts";
import { DOCUMENTED_LIMITS, parseRateLimits, RateLimiter } from "../api/rate_limiter.ts";
import { Logger } from "../report/logger.ts";
import { ProgressBoard } from "../report/progress.ts";
import { createRuntime, type Runtime } from "../runtime.ts";
import { USER_AGENT } from "../version.ts";
import type { CliDeps } from "./cli_deps.ts";
import {
  type Config,
  type GlobalFlags,
  type LoggingConfig,
  resolveConfig,
} from "./resolve_config.ts";

/** Everything a command needs to talk to the API and to people. */
export interface Session {
  config: Config;
  runtime: Runtime;
  logger: Logger;
  board: ProgressBoard;
  client: ApiClient;
}

function defaultAppendLog(path: string, text: string): void {
  Deno.writeTextFileSync(path, text, { append: true });
}

/** Logging, progress and the runtime for a run with these global flags. */
export function openRuntime(
  config: LoggingConfig,
  flags: GlobalFlags,
  deps: CliDeps,
): { board: ProgressBoard; logger: Logger; runtime: Runtime } {
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
    secrets: deps.secrets,
    write: logFile ? (line) => append(logFile, line) : (line) => board.print(line),
  });
  const runtime = createRuntime({ ...deps, log: logger, secrets: deps.secrets });
  return { board, logger, runtime };
}

/** A session for a command that talks to the API. */
export function openSession(flags: GlobalFlags & { rateLimits?: string }, deps: CliDeps): Session {
  const config = resolveConfig(flags, deps.env);
  const limits = flags.rateLimits === undefined
    ? DOCUMENTED_LIMITS
    : parseRateLimits(flags.rateLimits);
  const { board, logger, runtime } = openRuntime(config, flags, deps);
  const limiter = new RateLimiter(limits, runtime);
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
  return { config, runtime, logger, board, client };
}
