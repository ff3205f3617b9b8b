/**
 * Driver errors as the one-line `DatabaseError`s users read: where the
 * server is and why it cannot be reached, or what the server said about a
 * statement. The password never appears: it is cut from every message. Pure.
 */
import { DatabaseError } from "../errors.ts";
import { sanitize } from "./sync_row.ts";

/** What the driver puts on its errors. */
interface DriverError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  sqlState?: string;
  message?: string;
  fatal?: boolean;
}

/** Whether an error comes from the driver or the network (rather than from the data we sent). */
export function isDriverError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as DriverError;
  return e.fatal !== undefined || e.sqlState !== undefined || typeof e.code === "string";
}

/** Server errors that mean "LOAD DATA LOCAL INFILE is off here": use the INSERT fallback. */
const INFILE_REFUSED = new Set([1148, 3948, 4166]);

/** Whether the server refused `LOAD DATA LOCAL INFILE` (local_infile off on its side). */
export function isInfileRefused(error: unknown): boolean {
  const errno = (error as DriverError | undefined)?.errno;
  return errno !== undefined && INFILE_REFUSED.has(errno);
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the server running and listening there?)",
  ETIMEDOUT: "timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found (DNS lookup failed)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "the server closed the connection",
  PROTOCOL_CONNECTION_LOST: "the server closed the connection",
};

function driverText(error: unknown): string {
  const e = error as DriverError | undefined;
  return e?.sqlMessage ?? e?.message ?? String(error);
}

/** Why a connection failed, for the line "Cannot connect to ...: <reason>". */
export function connectReason(error: unknown, secrets: readonly string[]): string {
  const code = (error as DriverError | undefined)?.code ?? "";
  const known = NETWORK_REASONS[code];
  if (known) return `${known} [${code}]`;
  const text = sanitize(driverText(error), secrets, 400);
  return code && /^ER_/.test(code) ? `${text} [${code}]` : text;
}

/** The one-line error for a server that cannot be reached or refuses us. */
export function connectError(
  where: { host: string; port: number },
  error: unknown,
  secrets: readonly string[],
): DatabaseError {
  return new DatabaseError(
    `Cannot connect to the MySQL server at ${where.host}:${where.port}: ${
      connectReason(error, secrets)
    }`,
  );
}

/** Whether a driver error means the connection is gone (rather than a statement refused). */
export function isConnectionLost(error: unknown): boolean {
  const e = error as DriverError | undefined;
  return e?.fatal === true || /^(?:PROTOCOL_|E[A-Z]+$)/.test(e?.code ?? "") ||
    e?.code === "ER_SERVER_SHUTDOWN";
}

/** The one-line error for a statement the server refused: what we were doing, and what it said. */
export function statementError(
  what: string,
  error: unknown,
  secrets: readonly string[],
): DatabaseError {
  const code = (error as DriverError | undefined)?.code;
  const text = sanitize(driverText(error), secrets, 400);
  return new DatabaseError(`Cannot ${what}: ${text}${code ? ` [${code}]` : ""}`, { cause: error });
}
