/**
 * The errors users must read, and the one mapping from error to exit code.
 * Programmer errors stay built-in (`TypeError`, `RangeError`); a server answer
 * of the wrong shape is a `SyntaxError`.
 */

/** Exit codes, as documented in README.md. */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  AUTH: 3,
  API: 4,
  PARTIAL: 5,
  DATABASE: 6,
  INTERRUPTED: 130,
} as const;

/** Bad flags, environment or configuration. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Login refused, or a token the API will not accept even after renewal. */
export class AuthError extends Error {
  override name = "AuthError";
}

/** An API answer that is an error, or an API that cannot be reached. */
export class ApiError extends Error {
  override name = "ApiError";
  /** HTTP status, 0 when no answer came */
  readonly status: number;
  /** the server's error `type`, when it gave one */
  readonly type?: string;
  /** the server's error `uuid`, which support needs */
  readonly uuid?: string;

  constructor(
    message: string,
    options: { status: number; type?: string; uuid?: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.type = options.type;
    this.uuid = options.uuid;
  }
}

/** A job that ended `failed` (or vanished) on the server. */
export class JobFailedError extends Error {
  override name = "JobFailedError";
}

/** Some objects could not be downloaded; the others are complete. */
export class DownloadError extends Error {
  override name = "DownloadError";
}

/** A local file that could not be written (a full disk, a read-only directory, a path in the way). */
export class WriteError extends Error {
  override name = "WriteError";
}

/** A database that cannot be reached, refuses us, or fails a statement. */
export class DatabaseError extends Error {
  override name = "DatabaseError";
}

/** The run was interrupted (Ctrl-C). */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(message = "Interrupted") {
    super(message);
  }
}

/** The exit code for an error; the only place that decides it. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof AuthError) return EXIT.AUTH;
  if (error instanceof ApiError || error instanceof JobFailedError) return EXIT.API;
  if (error instanceof SyntaxError) return EXIT.API;
  if (error instanceof DownloadError || error instanceof WriteError) return EXIT.PARTIAL;
  if (error instanceof DatabaseError) return EXIT.DATABASE;
  if (error instanceof InterruptedError) return EXIT.INTERRUPTED;
  if (error instanceof DOMException && error.name === "AbortError") return EXIT.INTERRUPTED;
  return EXIT.INTERNAL;
}

/** A file-system error's reason without Deno's `(os error N): open '...'` tail: "No space left on device". */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split(" (os error")[0]! : String(error);
}

/** The one line a user reads for an error, with the server's uuid when known. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof ApiError && error.uuid) return `${error.message} (error uuid ${error.uuid})`;
  return error.message;
}
