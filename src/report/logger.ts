/**
 * Leveled logging for people, plain or JSON lines, with secrets redacted.
 * Every line passes through `redact()` before it is written anywhere.
 */

/** Log levels, in increasing severity, as the official client names them. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** One log level. */
export type LogLevel = typeof LOG_LEVELS[number];
/** Log line formats. */
export type LogFormat = "plain" | "json";

/** Where log lines go and which ones. */
export interface LoggerOptions {
  /** lowest level written @default "info" */
  level?: LogLevel;
  /** @default "plain" */
  format?: LogFormat;
  /** writes one finished line (with its newline) */
  write: (line: string) => void;
  /** clock for timestamps @default Date.now */
  now?: () => number;
  /** values never to write, shared with whoever discovers them (the API client) @default a new set */
  secrets?: Set<string>;
}

const PATTERNS: RegExp[] = [
  /(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi,
  /([?&]X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi,
  // other object stores' signed URLs: S3 SigV2, Google Cloud Storage, Azure SAS
  /([?&](?:Signature|X-Goog-Signature|X-Goog-Credential|sig)=)[^&\s"']+/gi,
  // a password in any URL: scheme://user:password@host (up to the last @ before the path)
  // (a password already masked as *** stays so)
  /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)(?!\*\*\*@)[^\s"']*(?=@[^\s@"']*(?:[\s"']|$))/gi,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
  /((?:client_secret|access_token)["']?\s*[:=]\s*["']?)[^"'&\s,}]+/gi,
];

/** Replaces secrets and secret-shaped text (tokens, signatures, auth headers) by `[redacted]`. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.replaceAll(secret, "[redacted]");
  }
  for (const pattern of PATTERNS) {
    out = out.replace(
      pattern,
      (match, prefix) =>
        typeof prefix === "string" && match.startsWith(prefix)
          ? `${prefix}[redacted]`
          : "[redacted]",
    );
  }
  return out;
}

/** A leveled logger that never writes a known secret; implements the runtime's `Log`. */
export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  readonly #secrets: Set<string>;

  constructor(options: LoggerOptions) {
    this.level = options.level ?? "info";
    this.format = options.format ?? "plain";
    this.#write = options.write;
    this.#now = options.now ?? Date.now;
    this.#secrets = options.secrets ?? new Set();
  }

  /** Registers a value that must never appear in output (a secret or token). */
  addSecret(secret: string): void {
    if (secret) this.#secrets.add(secret);
  }

  /** Removes known secrets from a text meant for people. */
  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  /** Whether lines of this level are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log("info", message, fields);
  }
  warning(message: string, fields?: Record<string, unknown>): void {
    this.log("warning", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log("error", message, fields);
  }

  /** Writes one line when `level` is enabled; texts are redacted before JSON escapes them. */
  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    const time = new Date(this.#now()).toISOString();
    const text = this.redact(message);
    const clean = Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k, typeof v === "string" ? this.redact(v) : v]),
    );
    const line = this.format === "json"
      ? JSON.stringify({ time, level, message: text, ...clean })
      : `${time} ${level.toUpperCase().padEnd(7)} ${text}${
        Object.keys(clean).length ? " " + JSON.stringify(clean) : ""
      }`;
    this.#write(this.redact(line) + "\n");
  }
}
