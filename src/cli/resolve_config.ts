/**
 * Resolves flags over environment over defaults into one complete Config,
 * purely: nothing after this reads the environment.
 */
import { UsageError } from "../errors.ts";
import { type DataFormat, FORMATS } from "../output/data_format.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../report/logger.ts";

/** The default Query API host. */
export const DEFAULT_BASE_URL = "https://api-gateway.instructure.com";

/** The global flags as parsed (`global_options.ts` declares them). */
export interface GlobalFlags {
  baseUrl?: string;
  clientId?: string;
  clientSecret?: string;
  loglevel?: string;
  logfile?: string;
  logformat?: string;
  /** official 2.x: no status line */
  nonInteractive?: boolean;
  /** official 2.x: `--no-log-to-console` sets false */
  logToConsole?: boolean;
}

/** Logging settings, complete. */
export interface LoggingConfig {
  logLevel: LogLevel;
  logFormat: LogFormat;
  logFile?: string;
}

/** Connection and logging settings, complete. */
export interface Config extends LoggingConfig {
  baseUrl: URL;
  clientId: string;
  clientSecret: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Checks a base URL: well-formed, HTTP(S), and HTTPS unless it is loopback. */
export function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Cannot use base URL '${text}': it is not a valid URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Cannot use base URL '${text}': only https:// URLs are supported`);
  }
  if (url.username || url.password) {
    throw new UsageError(`Cannot use base URL '${url.host}': it must not contain credentials`);
  }
  if (url.search || url.hash || text.includes("?") || text.includes("#")) {
    throw new UsageError(
      `Cannot use base URL '${url.origin}${url.pathname}': it must not have a query or fragment (?…, #…)`,
    );
  }
  if (url.protocol === "http:" && !LOOPBACK.test(url.hostname)) {
    throw new UsageError(
      `Cannot use base URL '${text}': plain HTTP would send the client secret in clear; use https:// (http:// is allowed only for localhost)`,
    );
  }
  return url;
}

function pick(flag: string | undefined, env: string | undefined): string | undefined {
  if (flag !== undefined && flag !== "") return flag;
  return env !== undefined && env !== "" ? env : undefined;
}

/** Flags over `DAP_*` environment variables over defaults. */
export function resolveConfig(
  flags: GlobalFlags,
  env: Readonly<Record<string, string | undefined>>,
): Config {
  const baseUrl = parseBaseUrl(pick(flags.baseUrl, env.DAP_API_URL) ?? DEFAULT_BASE_URL);
  const clientId = pick(flags.clientId, env.DAP_CLIENT_ID);
  const clientSecret = pick(flags.clientSecret, env.DAP_CLIENT_SECRET);
  const missing = [
    ...(clientId ? [] : [["client id", "--client-id", "DAP_CLIENT_ID"]]),
    ...(clientSecret ? [] : [["client secret", "--client-secret", "DAP_CLIENT_SECRET"]]),
  ];
  if (missing.length > 0) {
    const what = missing.map((m) => `no ${m[0]}`).join(" and ");
    const flagsText = missing.map((m) => m[1]).join(" and ");
    const envText = missing.map((m) => m[2]).join(" and ");
    throw new UsageError(`Cannot authenticate: ${what}; pass ${flagsText} or set ${envText}`);
  }
  return {
    baseUrl,
    clientId: clientId!,
    clientSecret: clientSecret!,
    ...resolveLogging(flags),
  };
}

/** Logging settings alone, for commands that need no API credentials (dropdb). */
export function resolveLogging(flags: GlobalFlags): LoggingConfig {
  const logLevel = (flags.loglevel ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new UsageError(`Cannot log at level '${flags.loglevel}': use ${LOG_LEVELS.join(", ")}`);
  }
  const logFormat = (flags.logformat ?? "plain") as LogFormat;
  if (logFormat !== "plain" && logFormat !== "json") {
    throw new UsageError(`Cannot log in format '${flags.logformat}': use plain or json`);
  }
  return { logLevel, logFormat, logFile: flags.logfile };
}

/** Reads `--format` in any letter case. */
export function parseFormat(text: string): DataFormat {
  const format = text.toLowerCase() as DataFormat;
  if (!FORMATS.includes(format)) {
    throw new UsageError(`Cannot use format '${text}': use CSV, JSONL, Parquet or TSV`);
  }
  return format;
}

/** Reads `--table`: one name, a comma-separated list, or `all`. */
export function parseTables(text: string): string[] | "all" {
  const names = text.split(",").map((t) => t.trim()).filter((t) => t !== "");
  if (names.length === 0) throw new UsageError("Cannot read --table: no table name given");
  for (const name of names) checkName("--table", name);
  if (names.includes("all")) {
    if (names.length > 1) {
      throw new UsageError("Cannot read --table: 'all' cannot be combined with names");
    }
    return "all";
  }
  return [...new Set(names)];
}

/** C0 and C1 control characters. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Longest namespace or table name accepted (DAP's are short identifiers). */
const MAX_NAME_CHARS = 128;

/** Refuses a name that cannot be a DAP namespace or table: empty, a path, control characters, too long. */
function checkName(flag: string, name: string): void {
  const bad = name === ""
    ? "it is empty"
    : name === "." || name === ".." || /[\/\\]/.test(name)
    ? "it is not a name"
    : CONTROL.test(name)
    ? "it holds control characters"
    : name.length > MAX_NAME_CHARS
    ? `it is longer than ${MAX_NAME_CHARS} characters`
    : undefined;
  if (bad) {
    const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
    throw new UsageError(`Cannot use ${flag} ${shown}: ${bad}`);
  }
}

/** Reads `--namespace`: any name the server may know, but never empty or a path. */
export function parseNamespace(text: string): string {
  checkName("--namespace", text.trim());
  return text.trim();
}

/** Reads `--output-directory`: any path but the empty one (which would mean the current directory by accident). */
export function parseOutputDirectory(text: string): string {
  if (text.trim() === "") {
    throw new UsageError("Cannot use --output-directory '': give a directory (default: downloads)");
  }
  return text;
}

/** Reads a positive integer flag. */
export function parsePositiveInteger(name: string, text: string, max = 256): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > max) {
    throw new UsageError(`Cannot use ${name} '${text}': expected an integer from 1 to ${max}`);
  }
  return value;
}
