/**
 * Reads `--connection-string` / `DAP_CONNECTION_STRING`: which engine, where,
 * as whom. The password is kept apart so that no message can carry it:
 * `display` is the string with the password replaced. Pure.
 */
import { UsageError } from "../errors.ts";

/** The engines dap keeps databases in. */
export type EngineName = "postgresql" | "mysql" | "sqlite";

/** A parsed connection string. */
export interface Connection {
  engine: EngineName;
  /** for messages and logs: the string without its password */
  display: string;
  /** server engines */
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** PostgreSQL `?ssl=`: disable, prefer, allow, require, verify-ca, verify-full */
  ssl?: string;
  /** SQLite: the database file */
  path?: string;
}

const SCHEMES: Record<string, EngineName> = {
  postgresql: "postgresql",
  postgres: "postgresql",
  mysql: "mysql",
  mariadb: "mysql",
  sqlite: "sqlite",
};
const SSL_MODES = ["disable", "prefer", "allow", "require", "verify-ca", "verify-full"];
const SUPPORTED = "postgresql://, mysql:// or sqlite:///path/file.db";

/** The connection string with its password masked (up to the last `@`, as a raw `@` may be in it). */
export function maskPassword(text: string): string {
  const start = text.indexOf("://");
  const at = text.lastIndexOf("@");
  if (start < 0 || at < start) return text;
  const colon = text.indexOf(":", start + 3);
  if (colon < 0 || colon > at) return text;
  return `${text.slice(0, colon + 1)}***${text.slice(at)}`;
}

/** Parses a connection string; throws UsageError naming what is wrong (never the password). */
export function parseConnectionString(text: string): Connection {
  const display = maskPassword(text.trim());
  const scheme = text.trim().match(/^([a-z][a-z0-9+.-]*):/i)?.[1]?.toLowerCase();
  if (scheme === "mssql" || scheme === "sqlserver") {
    throw new UsageError(
      `Cannot use ${display}: SQL Server is not supported yet; use ${SUPPORTED}`,
    );
  }
  const engine = scheme ? SCHEMES[scheme.replace(/\+.*$/, "")] : undefined;
  if (!engine) {
    throw new UsageError(
      `Cannot use connection string '${display}': unknown scheme; use ${SUPPORTED}`,
    );
  }
  if (engine === "sqlite") return { engine, display, path: sqlitePath(text.trim(), display) };
  return serverConnection(engine, text.trim(), display);
}

/** `sqlite:///relative.db`, `sqlite:////absolute.db` (SQLAlchemy's convention) or `sqlite:file.db`. */
function sqlitePath(text: string, display: string): string {
  const rest = text.replace(/^sqlite[^:]*:/i, "");
  const path = rest.startsWith("///")
    ? rest.slice(3)
    : rest.startsWith("//")
    ? rest.slice(2)
    : rest;
  const decoded = decodeOr(path.split("?")[0]!, path);
  if (decoded === "" || decoded.endsWith("/")) {
    throw new UsageError(
      `Cannot use ${display}: it names no database file (sqlite:///path/file.db)`,
    );
  }
  return decoded;
}

function serverConnection(engine: EngineName, text: string, display: string): Connection {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Cannot use connection string '${display}': it is not a valid URL`);
  }
  const database = decodeOr(url.pathname.replace(/^\//, ""), "");
  if (!url.hostname || !database) {
    throw new UsageError(
      `Cannot use ${display}: expected ${engine}://user:password@host:port/database`,
    );
  }
  const ssl = url.searchParams.get("ssl") ?? url.searchParams.get("sslmode") ?? undefined;
  if (ssl !== undefined && !SSL_MODES.includes(ssl)) {
    throw new UsageError(`Cannot use ${display}: ssl must be one of ${SSL_MODES.join(", ")}`);
  }
  return {
    engine,
    display,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : engine === "postgresql" ? 5432 : 3306,
    user: decodeOr(url.username, url.username) || undefined,
    password: url.password ? decodeOr(url.password, url.password) : undefined,
    database,
    ssl,
  };
}

function decodeOr(text: string, fallback: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fallback;
  }
}
