/**
 * postgres.js errors as the one-line `DatabaseError`s users read: where the
 * server is and why it cannot be reached or refuses us, or what the server
 * said about a statement (message, position, SQLSTATE). The password is cut
 * from every message, whatever the driver put in it. Pure.
 */
import { DatabaseError } from "../errors.ts";
import { sanitize } from "./sync_row.ts";

/** What postgres.js and node:net put on their errors. */
interface DriverError {
  name?: string;
  code?: string;
  message?: string;
  /** PostgresError: where in the statement or the COPY data */
  where?: string;
  detail?: string;
  severity?: string;
}

/** The server and what must never be shown, for messages. */
export interface ErrorContext {
  host: string;
  port: number;
  /** texts never to show (the password) */
  secrets: readonly string[];
  /** `?ssl=`, for the hint when a server that will not encrypt hangs up */
  ssl?: string;
}

/** Errors the server sent (they carry a SQLSTATE and a severity). */
export function isServerError(error: unknown): boolean {
  return (error as DriverError | undefined)?.name === "PostgresError";
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the server running and listening there?)",
  ETIMEDOUT: "timed out",
  CONNECT_TIMEOUT: "timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found (DNS lookup failed)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "the server closed the connection",
  EPIPE: "the server closed the connection",
  CONNECTION_CLOSED: "the server closed the connection",
  CONNECTION_ENDED: "the connection was closed",
  CONNECTION_DESTROYED: "the connection was closed",
};

/** Whether the server ends the session with this error (FATAL, PANIC): the connection is gone. */
export function endsSession(error: unknown): boolean {
  const severity = (error as DriverError | undefined)?.severity;
  return isServerError(error) && (severity === "FATAL" || severity === "PANIC");
}

/** Errors that mean the connection is gone (or never came), rather than a statement refused. */
export function isConnectionError(error: unknown): boolean {
  const e = error as DriverError | undefined;
  if (isServerError(error)) return /^(08|28|3D|57P0)/.test(e?.code ?? "");
  return typeof e?.code === "string" &&
    (e.code in NETWORK_REASONS || /^(E[A-Z]+|ERR_TLS_.*|.*CERT.*)$/.test(e.code));
}

function describe(error: unknown, secrets: readonly string[]): string {
  const e = error as DriverError | undefined;
  const text = sanitize(e?.message ?? String(error), secrets);
  const where = e?.where ? ` (${sanitize(e.where, secrets)})` : "";
  return `${text}${where}${e?.code ? ` [${e.code}]` : ""}`;
}

/** Why a connection failed, for the line "Cannot connect to ...: <reason>". */
export function connectReason(error: unknown, secrets: readonly string[]): string {
  const code = (error as DriverError | undefined)?.code ?? "";
  const known = NETWORK_REASONS[code];
  return known ? `${known} [${code}]` : describe(error, secrets);
}

const HANG_UPS = new Set(["ECONNRESET", "EPIPE", "CONNECTION_CLOSED"]);

/** The one-line error for a server that cannot be reached or refuses us. */
export function connectError(context: ErrorContext, error: unknown): DatabaseError {
  const code = (error as DriverError | undefined)?.code ?? "";
  const encrypted = ["require", "verify-ca", "verify-full"].includes(context.ssl ?? "");
  const hint = encrypted && HANG_UPS.has(code)
    ? ` (with ?ssl=${context.ssl}: does the server accept SSL connections?)`
    : "";
  return new DatabaseError(
    `Cannot connect to the PostgreSQL server at ${context.host}:${context.port}: ${
      connectReason(error, context.secrets)
    }${hint}`,
  );
}

/** The one-line error for a statement that failed: what we were doing, and what the server said. */
export function statementError(context: ErrorContext, what: string, error: unknown): DatabaseError {
  if (!isServerError(error) && isConnectionError(error)) {
    return new DatabaseError(
      `Cannot ${what}: lost the connection to the PostgreSQL server at ${context.host}:${context.port}: ${
        connectReason(error, context.secrets)
      }`,
      { cause: error },
    );
  }
  return new DatabaseError(`Cannot ${what}: ${describe(error, context.secrets)}`, {
    cause: error,
  });
}

/** The server's SQLSTATE behind a `DatabaseError` (or a driver error), if any. */
export function sqlState(error: unknown): string | undefined {
  const cause = error instanceof DatabaseError ? error.cause : error;
  return isServerError(cause) ? (cause as DriverError).code : undefined;
}
