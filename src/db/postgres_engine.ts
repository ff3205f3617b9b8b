/**
 * PostgreSQL, on the npm `postgres` driver (postgres.js): the layout the
 * official client makes (schema `instructure_dap`, data tables
 * `"<namespace>"."<table>"`, enum types `"<namespace>"."<table>__<column>"`),
 * one reserved connection per table at a time (at most `poolSize`, plus one
 * for short statements outside the sessions), loading by `COPY ... FROM
 * STDIN`. What a session does and why it stays atomic: `postgres_session.ts`.
 * Ctrl-C stops the statements in flight (a COPY fails from our side, a query
 * is cancelled on the server) so that their sessions roll back at once.
 */
import postgres from "postgres";
import net from "node:net";
import { DatabaseError } from "../errors.ts";
import type { Connection } from "./connection_string.ts";
import type { Engine, EngineOptions, SessionMode, SyncRow, TableSession } from "./engine.ts";
import {
  connectError,
  type ErrorContext,
  isConnectionError,
  sqlState,
  statementError,
} from "./postgres_errors.ts";
import { ConnectionWatch, PostgresLink } from "./postgres_link.ts";
import { PostgresSession, toSyncRow } from "./postgres_session.ts";
import {
  CREATE_SYNC_TABLE,
  CREATE_VERSION_TABLE,
  INSERT_VERSION,
  LOCK_DDL_SQL,
  LOCK_TABLE_SQL,
  META_SCHEMA,
  quoteIdent,
  SELECT_SYNC_ROWS,
  SYNC_TABLE,
  VERSION_TABLE,
} from "./postgres_sql.ts";

/** The engine's options: the seam's, and how long to wait for another run's lock on a table. */
export interface PostgresEngineOptions extends EngineOptions {
  /** how long a session waits for the lock another run holds on its table @default 30000 */
  lockWaitMs?: number;
  /** how long connecting may take @default 10000 */
  connectTimeoutMs?: number;
}

/** The oldest server dap works with (identity columns, hashtextextended). */
const MIN_SERVER_VERSION = 110000;

/**
 * `?ssl=` as postgres.js options, libpq's meaning: disable never encrypts;
 * allow and prefer (the default) encrypt when the server offers it; require
 * encrypts without checking the certificate; verify-ca checks the chain,
 * verify-full the host name too (against the roots Deno trusts).
 */
export function sslOption(mode: string | undefined, host: string): postgres.Options<never>["ssl"] {
  switch (mode) {
    case "disable":
      return false;
    case "require":
      return "require";
    case "verify-ca":
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case "verify-full":
      return { rejectUnauthorized: true, host, servername: net.isIP(host) ? undefined : host };
    default:
      return "prefer";
  }
}

/**
 * A TCP connection with Nagle's algorithm off: postgres.js writes a COPY's
 * last data and its CopyDone as separate small packets, and with Nagle on
 * each COPY waited for a delayed ACK (about 90 ms).
 */
function openSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: "ETIMEDOUT" }),
      );
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function driverOptions(
  connection: Connection,
  settings: {
    max: number;
    connectTimeoutMs: number;
    watch: ConnectionWatch;
    onClose: (id: number) => void;
  },
): postgres.Options<never> {
  const { max, connectTimeoutMs, watch, onClose } = settings;
  const host = connection.host ?? "localhost";
  const port = connection.port ?? 5432;
  return {
    host,
    port,
    user: connection.user ?? "postgres",
    password: connection.password,
    database: connection.database,
    ssl: sslOption(connection.ssl, host),
    max,
    prepare: false,
    // Left on: with it off, postgres.js 3.4.9 never hands a new connection to reserve().
    fetch_types: true,
    idle_timeout: undefined,
    max_lifetime: 0,
    connect_timeout: Math.ceil(connectTimeoutMs / 1000),
    onnotice: () => {},
    connection: { application_name: "dap" },
    socket: () => openSocket(host, port, connectTimeoutMs),
    debug: (id: number, text: string) => watch.seen(id, text),
    onclose: (id: number) => {
      watch.closed(id);
      onClose(id);
    },
  } as postgres.Options<never>;
}

/** At most `permits` sessions at once; a wait ends with the signal's reason on Ctrl-C. */
class Gate {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(permits: number) {
    this.#free = permits;
  }

  enter(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(signal.reason);
      };
      this.#waiting.push(grant);
      signal.addEventListener("abort", abort, { once: true });
    });
  }

  leave(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/**
 * The driver's pool, renewed when one of its connections dies under a
 * statement: postgres.js 3.4.9 keeps that statement's error on the dead
 * connection and hands it to the first statement the connection runs after
 * reconnecting. Sessions on the old pool finish there; new work goes to the
 * new one; close() ends them all.
 */
class Pools {
  readonly #make: (onClose: (id: number) => void) => postgres.Sql;
  readonly #all: postgres.Sql[] = [];
  #current!: postgres.Sql;
  #closing = false;

  constructor(make: (onClose: (id: number) => void) => postgres.Sql) {
    this.#make = make;
    this.#renew();
  }

  get current(): postgres.Sql {
    return this.#current;
  }

  /** A connection of pool `sql` closed: while the engine runs, that is not ours to expect. */
  closed(sql: postgres.Sql): void {
    if (!this.#closing && sql === this.#current) this.#renew();
  }

  #renew(): void {
    // The driver calls onclose long after it is made: `sql` is assigned by then.
    const sql: postgres.Sql = this.#make(() => this.closed(sql));
    this.#current = sql;
    this.#all.push(sql);
  }

  async end(): Promise<void> {
    this.#closing = true;
    // A retired pool keeps its dead connection's statement, which never ends: no grace for it.
    await Promise.all(
      this.#all.map((sql) => sql.end({ timeout: sql === this.#current ? 5 : 0 })),
    );
  }
}

/** Connects (one line naming host, port and reason when it cannot) and returns the engine. */
export async function createPostgresEngine(
  connection: Connection,
  options: PostgresEngineOptions,
): Promise<Engine> {
  const poolSize = options.poolSize ?? 4;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new RangeError("Cannot open the PostgreSQL engine: poolSize must be a positive integer");
  }
  const watch = new ConnectionWatch();
  const pools = new Pools((onClose) =>
    postgres(driverOptions(connection, {
      max: poolSize + 1,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      watch,
      onClose,
    }))
  );
  const engine = new PostgresEngine(pools, options, { poolSize, watch }, {
    host: connection.host ?? "localhost",
    port: connection.port ?? 5432,
    secrets: connection.password ? [connection.password] : [],
    ssl: connection.ssl,
  });
  try {
    await engine.inspect();
  } catch (error) {
    await engine.close().catch(() => {});
    throw error;
  }
  return engine;
}

/** The engine; sessions come from `begin()`. */
class PostgresEngine implements Engine {
  readonly name = "postgresql" as const;
  readonly #pools: Pools;
  readonly #options: PostgresEngineOptions;
  readonly #context: ErrorContext;
  readonly #gate: Gate;
  readonly #watch: ConnectionWatch;
  readonly #sessions = new Set<PostgresSession>();
  readonly #onAbort = () => this.#interrupt();

  constructor(
    pools: Pools,
    options: PostgresEngineOptions,
    pool: { poolSize: number; watch: ConnectionWatch },
    context: ErrorContext,
  ) {
    this.#pools = pools;
    this.#options = options;
    this.#context = context;
    this.#gate = new Gate(pool.poolSize);
    this.#watch = pool.watch;
    options.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Runs work outside the sessions; failures become one-line errors. */
  async #side<T>(what: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    try {
      return await work(this.#pools.current);
    } catch (error) {
      if (this.#options.signal.aborted) throw this.#options.signal.reason;
      if (isConnectionError(error)) throw connectError(this.#context, error);
      throw statementError(this.#context, what, error);
    }
  }

  /** Connects once and checks the server's version. */
  async inspect(): Promise<void> {
    const [row] = await this.#side("read the server's version", (sql) =>
      sql.unsafe(
        "SELECT current_setting('server_version_num')::int AS version, current_setting('server_version') AS name",
      ));
    if (Number(row?.version) < MIN_SERVER_VERSION) {
      throw new DatabaseError(
        `Cannot use the PostgreSQL server at ${this.#context.host}:${this.#context.port}: it runs ${row?.name}; dap needs PostgreSQL 11 or newer`,
      );
    }
  }

  prepare(): Promise<void> {
    return this.#side("create the metadata tables", (sql) =>
      sql.begin(async (tx) => {
        await tx.unsafe(LOCK_DDL_SQL);
        const [found] = await tx.unsafe(
          "SELECT to_regnamespace($1) IS NOT NULL AS schema, to_regclass($2) IS NOT NULL AS version, " +
            "to_regclass($3) IS NOT NULL AS sync",
          [quoteIdent(META_SCHEMA), VERSION_TABLE, SYNC_TABLE],
        );
        if (!found?.schema) await tx.unsafe(`CREATE SCHEMA ${quoteIdent(META_SCHEMA)}`);
        if (!found?.version) await tx.unsafe(CREATE_VERSION_TABLE);
        if (!found?.sync) await tx.unsafe(CREATE_SYNC_TABLE);
        const [versions] = await tx.unsafe(`SELECT count(*)::int AS n FROM ${VERSION_TABLE}`);
        if (versions?.n === 0) await tx.unsafe(INSERT_VERSION);
      }));
  }

  /** Creates a namespace schema when missing, committed at once (every table of it shares it). */
  ensureSchema(namespace: string): Promise<void> {
    return this.#side(`create the schema ${namespace}`, (sql) =>
      sql.begin(async (tx) => {
        await tx.unsafe(LOCK_DDL_SQL);
        const [found] = await tx.unsafe("SELECT to_regnamespace($1) IS NOT NULL AS found", [
          quoteIdent(namespace),
        ]);
        if (!found?.found) await tx.unsafe(`CREATE SCHEMA ${quoteIdent(namespace)}`);
      }));
  }

  /** Adds enum values, each committed at once; a type that is not there is left alone. */
  async addEnumValues(statements: string[]): Promise<void> {
    for (const statement of statements) {
      await this.#side("add enum values", (sql) => sql.unsafe(statement)).catch((error) => {
        if (sqlState(error) !== "42704") throw error; // undefined_object: no such type here
        this.#options.log.debug(`Skipped (no such type): ${statement}`);
      });
    }
  }

  syncedTables(namespace: string): Promise<SyncRow[]> {
    return this.#side(`list the tables of ${namespace}`, async (sql) => {
      const rows = await sql.unsafe(SELECT_SYNC_ROWS, [namespace]);
      const seen = new Set<string>();
      return rows.map(toSyncRow).filter((r) => !seen.has(r.table) && seen.add(r.table));
    });
  }

  async begin(namespace: string, table: string, mode: SessionMode): Promise<TableSession> {
    const { signal, log } = this.#options;
    await this.#gate.enter(signal);
    let link: PostgresLink | undefined;
    try {
      link = await this.#open(`${namespace}.${table}`);
    } catch (error) {
      this.#gate.leave();
      throw error;
    }
    const session: PostgresSession = new PostgresSession({
      link,
      namespace,
      table,
      mode,
      log,
      signal,
      side: this,
      onEnd: () => {
        this.#sessions.delete(session);
        this.#gate.leave();
      },
    });
    this.#sessions.add(session);
    return session;
  }

  /** A reserved connection in a transaction that holds the table's lock. */
  async #open(label: string): Promise<PostgresLink> {
    const reserved = await this.#side(`connect for ${label}`, (sql) => sql.reserve());
    const link = new PostgresLink(
      reserved,
      { ...this.#context, signal: this.#options.signal },
      this.#watch,
    );
    try {
      // ROLLBACK first: whatever a failed session may have left on this connection ends here.
      // The transaction waits on downloads between parts, and a COPY or merge may be long:
      // server-wide timeouts meant for interactive sessions must not cut it.
      await link.run(
        `start a transaction for ${label}`,
        `${link.marker()} ROLLBACK; BEGIN; ` +
          "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0",
      );
      await this.#lock(link, label);
    } catch (error) {
      await link.run("roll back", "ROLLBACK").catch(() => {});
      link.release();
      throw error;
    }
    return link;
  }

  /** Takes the table's advisory lock: another dap run on the same table waits, then is refused. */
  async #lock(link: PostgresLink, label: string): Promise<void> {
    const ms = this.#options.lockWaitMs ?? 30_000;
    await link.run(`lock ${label}`, `SET LOCAL lock_timeout = ${Math.max(1, Math.round(ms))}`);
    try {
      await link.rows(`lock ${label}`, LOCK_TABLE_SQL, [label]);
    } catch (error) {
      if (sqlState(error) !== "55P03") throw error;
      throw new DatabaseError(
        `Cannot work on ${label}: another run is working on it; try again when it is done`,
      );
    }
    await link.run(`lock ${label}`, "SET LOCAL lock_timeout TO DEFAULT");
  }

  /** Ctrl-C: the statements in flight stop, so their sessions can roll back at once. */
  #interrupt(): void {
    const reason = this.#options.signal.reason;
    for (const session of this.#sessions) {
      session.interrupt(reason instanceof Error ? reason : new Error(String(reason))).catch(
        () => {},
      );
    }
  }

  async close(): Promise<void> {
    this.#options.signal.removeEventListener("abort", this.#onAbort);
    await this.#pools.end();
  }
}
