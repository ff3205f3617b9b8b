/**
 * MySQL and MariaDB, on the npm `mysql2` driver: the layout the official
 * client makes (`instructure_dap__table_sync`, data tables `<ns>__<table>`,
 * the contract's types, utf8mb4, sessions in UTC), one pooled connection per
 * table at a time, loading by `LOAD DATA LOCAL INFILE` from a stream where
 * the server allows it and by batched INSERTs where it does not. How each
 * table stays atomic in spite of DDL's implicit commits: `mysql_session.ts`.
 * Ctrl-C kills the statements in flight on the server (KILL QUERY) so that
 * their sessions roll back at once.
 */
import mysql from "mysql2/promise";
import type { ConnectionOptions, Pool } from "mysql2/promise";
import { DatabaseError } from "../errors.ts";
import type { Log } from "../runtime.ts";
import type { Connection } from "./connection_string.ts";
import type { Engine, EngineOptions, SessionMode, SyncRow, TableSession } from "./engine.ts";
import { connectError } from "./mysql_errors.ts";
import { MysqlLink } from "./mysql_link.ts";
import { MysqlSession } from "./mysql_session.ts";
import { type ServerInfo, toSyncRow } from "./mysql_tables.ts";
import {
  helperName,
  lockName,
  metadataSql,
  mysqlTableName,
  quoteName,
  SYNC_TABLE,
} from "./mysql_sql.ts";

/** The engine's options: the seam's, and how long to wait for another run's lock on a table. */
export interface MysqlEngineOptions extends EngineOptions {
  /** how long a session waits for the lock another run holds on its table @default 30000 */
  lockWaitMs?: number;
}

/** Every connection's settings: UTC, strict, backslash escapes on (the INSERT fallback's literals need them). */
const SESSION_SQL = [
  "SET SESSION time_zone = '+00:00', " +
  "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
  "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
];

/** `?ssl=` as TLS options: require encrypts, verify-ca checks the chain, verify-full the host too. */
function tlsOptions(ssl: string | undefined): ConnectionOptions["ssl"] {
  switch (ssl) {
    case "require":
      return { rejectUnauthorized: false };
    case "verify-ca":
      return { rejectUnauthorized: true, verifyIdentity: false };
    case "verify-full":
      return { rejectUnauthorized: true, verifyIdentity: true };
    default:
      return undefined;
  }
}

function connectionOptions(connection: Connection): ConnectionOptions {
  return {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    ssl: tlsOptions(connection.ssl),
    charset: "utf8mb4",
    timezone: "Z",
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    multipleStatements: false,
    connectTimeout: 10_000,
  };
}

/** Connects (one line naming host, port and reason when it cannot) and returns the engine. */
export async function createMysqlEngine(
  connection: Connection,
  options: MysqlEngineOptions,
): Promise<Engine> {
  const poolSize = options.poolSize ?? 4;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new RangeError("Cannot open the MySQL engine: poolSize must be a positive integer");
  }
  const settings = connectionOptions(connection);
  const pool = mysql.createPool({ ...settings, connectionLimit: poolSize, maxIdle: poolSize });
  const engine = new MysqlEngine(pool, settings, options, connection);
  try {
    await engine.inspect();
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return engine;
}

/** The engine; sessions come from `begin()`. */
class MysqlEngine implements Engine {
  readonly name = "mysql" as const;
  readonly #pool: Pool;
  readonly #settings: ConnectionOptions;
  readonly #options: MysqlEngineOptions;
  readonly #where: { host: string; port: number };
  readonly #secrets: string[];
  readonly #sessions = new Set<MysqlSession>();
  readonly #onAbort = () => this.#interrupt();
  #server?: ServerInfo;

  constructor(
    pool: Pool,
    settings: ConnectionOptions,
    options: MysqlEngineOptions,
    connection: Connection,
  ) {
    this.#pool = pool;
    this.#settings = settings;
    this.#options = options;
    this.#where = { host: connection.host ?? "localhost", port: connection.port ?? 3306 };
    this.#secrets = connection.password ? [connection.password] : [];
    options.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  get #log(): Log {
    return this.#options.log;
  }

  /** A pooled connection with the session settings; connection failures are one line. */
  async #acquire(): Promise<MysqlLink> {
    let pooled;
    try {
      pooled = await this.#pool.getConnection();
    } catch (error) {
      throw connectError(this.#where, error, this.#secrets);
    }
    const link = new MysqlLink(pooled, { signal: this.#options.signal, secrets: this.#secrets });
    try {
      for (const sql of SESSION_SQL) await link.run("set up the session", sql);
    } catch (error) {
      link.release(false);
      throw error;
    }
    return link;
  }

  async #withLink<T>(work: (link: MysqlLink) => Promise<T>): Promise<T> {
    const link = await this.#acquire();
    try {
      return await work(link);
    } finally {
      link.release();
    }
  }

  /** Connects once and reads what the sessions need to know of the server. */
  async inspect(): Promise<void> {
    const [row] = await this.#withLink((link) =>
      link.rows<Record<string, unknown>>(
        "read the server's settings",
        "SELECT @@local_infile AS localInfile, @@max_allowed_packet AS maxPacket, " +
          "@@character_set_database AS charset, DATABASE() AS db",
      )
    );
    const charset = String(row?.charset);
    if (charset !== "utf8mb4") {
      this.#log.warning(
        `Database ${row?.db} has the default character set ${charset}: dap's tables are created utf8mb4`,
      );
    }
    this.#server = {
      database: String(row?.db),
      localInfile: Number(row?.localInfile) === 1,
      // The byte count is of UTF-16 text: a quarter of the packet leaves room for any UTF-8.
      maxStatementBytes: Math.min(4 * 1024 * 1024, Math.floor(Number(row?.maxPacket) / 4)),
      syncPrecision: 0,
      tableOptions: charset === "utf8mb4" ? "" : " DEFAULT CHARSET=utf8mb4",
    };
    this.#log.debug(
      `MySQL: ${
        this.#server.localInfile
          ? "LOAD DATA LOCAL INFILE"
          : "batched INSERTs (local_infile is off)"
      } for loading`,
    );
  }

  prepare(): Promise<void> {
    return this.#withLink(async (link) => {
      for (const sql of metadataSql()) await link.run("create the metadata tables", sql);
      const [row] = await link.rows<{ p: unknown }>(
        "read the metadata tables",
        "SELECT DATETIME_PRECISION AS p FROM information_schema.COLUMNS WHERE " +
          "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'timestamp'",
        [SYNC_TABLE],
      );
      this.#server!.syncPrecision = Number(row?.p ?? 0);
      await this.#sweep(link);
    });
  }

  /**
   * Drops the stand-ins a killed initdb left (`<name>__dap_new`, `__dap_old`)
   * of tables no run is working on now (their lock is free). The next
   * session on such a table would drop them too.
   */
  async #sweep(link: MysqlLink): Promise<void> {
    const rows = await link.rows<{ t: string }>(
      "list leftovers of interrupted runs",
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() " +
        "AND (TABLE_NAME LIKE '%\\_\\_dap\\_new' OR TABLE_NAME LIKE '%\\_\\_dap\\_old')",
    );
    for (const { t: leftover } of rows) {
      const name = leftover.replace(/__dap_(?:new|old)$/, "");
      if (helperName(name, "new") !== leftover && helperName(name, "old") !== leftover) continue;
      const lock = lockName(this.#server!.database, name);
      const [got] = await link.rows<{ got: unknown }>("lock", "SELECT GET_LOCK(?, 0) AS got", [
        lock,
      ]);
      if (Number(got?.got) !== 1) continue;
      try {
        await link.run(`drop ${leftover}`, `DROP TABLE IF EXISTS ${quoteName(leftover)}`);
        this.#log.info(`Dropped ${leftover}, left by an interrupted run`);
      } finally {
        await link.run("free the lock", "DO RELEASE_LOCK(?)", [lock]);
      }
    }
  }

  syncedTables(namespace: string): Promise<SyncRow[]> {
    return this.#withLink(async (link) => {
      const rows = await link.rows<Record<string, unknown>>(
        `list the tables of ${namespace}`,
        "SELECT `source_namespace`, `source_table`, `timestamp`, `schema_version`, `target_schema`, " +
          `\`target_table\`, \`schema_description\` FROM ${quoteName(SYNC_TABLE)} ` +
          "WHERE `source_namespace` = ? ORDER BY `source_table`, `id`",
        [namespace],
      );
      // The official client's table_sync has no unique key: the first row of a table counts.
      const byTable = new Map<string, SyncRow>();
      for (const row of rows.map(toSyncRow)) {
        if (!byTable.has(row.table)) byTable.set(row.table, row);
      }
      return [...byTable.values()];
    });
  }

  async begin(namespace: string, table: string, mode: SessionMode): Promise<TableSession> {
    this.#options.signal.throwIfAborted();
    const link = await this.#acquire();
    const lock = lockName(this.#server!.database, mysqlTableName(namespace, table));
    try {
      await this.#lock(link, lock, `${namespace}.${table}`);
    } catch (error) {
      link.release(false);
      throw error;
    }
    const session: MysqlSession = new MysqlSession({
      link,
      namespace,
      table,
      mode,
      server: this.#server!,
      log: this.#log,
      signal: this.#options.signal,
      lock,
      onEnd: () => this.#sessions.delete(session),
    });
    this.#sessions.add(session);
    try {
      await session.cleanLeftovers();
    } catch (error) {
      await session.rollback();
      throw error;
    }
    return session;
  }

  /** Waits for the table's lock (another run may hold it), a second at a time so Ctrl-C is heard. */
  async #lock(link: MysqlLink, name: string, label: string): Promise<void> {
    const deadline = Date.now() + (this.#options.lockWaitMs ?? 30_000);
    for (;;) {
      const [row] = await link.rows<{ got: unknown }>(
        `lock ${label}`,
        "SELECT GET_LOCK(?, 1) AS got",
        [name],
      );
      if (Number(row?.got) === 1) return;
      this.#options.signal.throwIfAborted();
      if (Date.now() >= deadline) {
        throw new DatabaseError(
          `Cannot work on ${label}: another run is working on it (it holds the lock ${name}); try again when it is done`,
        );
      }
    }
  }

  /** Ctrl-C: the statements in flight are killed on the server, so their sessions roll back at once. */
  #interrupt(): void {
    const threads = [...this.#sessions].filter((s) => s.killable).map((s) => s.threadId);
    if (threads.length === 0) return;
    (async () => {
      const side = await mysql.createConnection(this.#settings);
      try {
        for (const id of threads) await side.query("KILL QUERY ?", [id]).catch(() => {});
      } finally {
        await side.end().catch(() => {});
      }
    })().catch((error) => this.#log.debug(`Could not stop the statements in flight: ${error}`));
  }

  async close(): Promise<void> {
    this.#options.signal.removeEventListener("abort", this.#onAbort);
    await this.#pool.end();
  }
}
