/**
 * SQLite, dap's embedded default: Deno's built-in `node:sqlite`, nothing to
 * install, works in the compiled binary. One file, one writer: tables load
 * one at a time (downloads still run at once), each in one transaction, DDL
 * included, so an interrupted run leaves the file as it was. Tables are
 * `<namespace>__<table>`; the metadata tables are
 * `instructure_dap__database_version` and `instructure_dap__table_sync`.
 * Types: integers INTEGER, numbers REAL, booleans 0/1, everything else TEXT
 * (timestamps as served, RFC 3339 UTC).
 */
import { syncRowFrom } from "./sync_row.ts";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { DatabaseError } from "../errors.ts";
import { Semaphore } from "../download/semaphore.ts";
import type { Connection } from "./connection_string.ts";
import type {
  Engine,
  EngineOptions,
  LoadCounts,
  SessionMode,
  SyncRow,
  TableSession,
} from "./engine.ts";
import { type DbColumn, modelChanges, type TableModel } from "./table_model.ts";
import { unescapeTsv } from "./tsv_text.ts";

const SYNC_TABLE = "instructure_dap__table_sync";
const VERSION_TABLE = "instructure_dap__database_version";

/** `"name"`, quotes doubled. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The data table's name. */
export function sqliteTableName(namespace: string, table: string): string {
  return `${namespace}__${table}`;
}

function sqlType(column: DbColumn): string {
  switch (column.type.kind) {
    case "int64":
    case "int32":
    case "int16":
    case "boolean":
      return "INTEGER";
    case "double":
      return "REAL";
    default:
      return "TEXT";
  }
}

type SqlValue = string | number | bigint | null;

/** How a column's TSV fields become SQLite values: chosen once per column, not per field. */
export function sqliteConverter(column: DbColumn): (field: string) => SqlValue {
  const read = (fromText: (text: string) => SqlValue) => (field: string): SqlValue => {
    const text = unescapeTsv(field);
    return text === null ? null : fromText(text);
  };
  switch (column.type.kind) {
    case "int64":
      return read(BigInt);
    case "int32":
    case "int16":
    case "double":
      return read(Number);
    case "boolean":
      return read((text) => text === "t" || text === "true" ? 1 : 0);
    default:
      return unescapeTsv;
  }
}

/** Opens (creating it when missing) the database file of a `sqlite:` connection. */
export async function createSqliteEngine(
  connection: Connection,
  options: EngineOptions,
): Promise<Engine> {
  const path = connection.path!;
  let db: DatabaseSync;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000");
  } catch (error) {
    throw new DatabaseError(`Cannot open SQLite database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const writer = new Semaphore(1);
  return {
    name: "sqlite",
    prepare: () => Promise.resolve(prepare(db)),
    syncedTables: (namespace) => Promise.resolve(readSyncRows(db, namespace)),
    begin: (namespace, table, mode) =>
      beginSession(db, writer, { namespace, table, mode, options }),
    close: () => Promise.resolve(db.close()),
  };
}

function prepare(db: DatabaseSync): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version INTEGER PRIMARY KEY)`);
  db.exec(`INSERT OR IGNORE INTO ${VERSION_TABLE} (version) VALUES (1)`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${SYNC_TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_namespace TEXT NOT NULL,
    source_table TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    target_schema TEXT,
    target_table TEXT NOT NULL,
    schema_description_format TEXT NOT NULL,
    schema_description TEXT NOT NULL,
    UNIQUE (source_namespace, source_table))`);
}

function readSyncRows(db: DatabaseSync, namespace: string, table?: string): SyncRow[] {
  const where = table === undefined ? "" : " AND source_table = ?";
  const rows = db.prepare(
    `SELECT * FROM ${SYNC_TABLE} WHERE source_namespace = ?${where} ORDER BY source_table`,
  ).all(...(table === undefined ? [namespace] : [namespace, table]));
  return rows.map((row) => syncRowFrom(row as Record<string, unknown>));
}

interface SessionContext {
  namespace: string;
  table: string;
  mode: SessionMode;
  options: EngineOptions;
}

async function beginSession(
  db: DatabaseSync,
  writer: Semaphore,
  context: SessionContext,
): Promise<TableSession> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const acquired = new Promise<void>((resolve) => writer.run(() => (resolve(), held)));
  await acquired;
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    release();
    throw new DatabaseError(`Cannot start a transaction: ${(error as Error).message}`);
  }
  return new SqliteSession(db, context, release);
}

class SqliteSession implements TableSession {
  readonly #db: DatabaseSync;
  readonly #context: SessionContext;
  readonly #release: () => void;
  readonly #name: string;
  #staged = false;
  #rows = 0;

  constructor(db: DatabaseSync, context: SessionContext, release: () => void) {
    this.#db = db;
    this.#context = context;
    this.#release = release;
    this.#name = quote(sqliteTableName(context.namespace, context.table));
  }

  readSync(): Promise<SyncRow | undefined> {
    return Promise.resolve(readSyncRows(this.#db, this.#context.namespace, this.#context.table)[0]);
  }

  tableExists(): Promise<boolean> {
    const name = sqliteTableName(this.#context.namespace, this.#context.table);
    const found = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(name);
    return Promise.resolve(found !== undefined);
  }

  createTable(model: TableModel): Promise<void> {
    const columns = model.columns.map((c) =>
      `${quote(c.name)} ${sqlType(c)}${c.nullable ? "" : " NOT NULL"}`
    );
    const key = `CONSTRAINT ${quote(`pk_${model.table}`)} PRIMARY KEY (${
      model.keys.map(quote).join(", ")
    })`;
    this.#db.exec(`DROP TABLE IF EXISTS ${this.#name}`);
    this.#db.exec(`CREATE TABLE ${this.#name} (${[...columns, key].join(", ")})`);
    return Promise.resolve();
  }

  migrate(before: TableModel, after: TableModel): Promise<string[]> {
    const changes = modelChanges(before, after);
    const lines: string[] = [];
    for (const column of changes.added) {
      this.#db.exec(
        `ALTER TABLE ${this.#name} ADD COLUMN ${quote(column.name)} ${sqlType(column)}`,
      );
      lines.push(`added column ${column.name}`);
    }
    for (const column of changes.removed) {
      this.#db.exec(`ALTER TABLE ${this.#name} DROP COLUMN ${quote(column.name)}`);
      lines.push(`dropped column ${column.name} (no longer in the schema)`);
    }
    for (const { column, values } of changes.enumValues) {
      lines.push(`enum ${column.name} gained ${values.join(", ")}`);
    }
    return Promise.resolve(lines);
  }

  async load(model: TableModel, records: AsyncIterable<string[]>): Promise<void> {
    const insert = this.#context.mode === "init"
      ? this.#upsertStatement(model)
      : this.#stageStatement(model);
    const converters = model.columns.map(sqliteConverter);
    // init rows are the model's columns; staged rows keep the action and meta.ts in front
    const first = this.#context.mode === "init" ? 2 : 0;
    for await (const batch of records) {
      this.#context.options.signal.throwIfAborted();
      for (const line of batch) {
        const fields = line.split("\t");
        const values: SqlValue[] = fields.slice(first, 2);
        for (let i = 0; i < converters.length; i++) values.push(converters[i]!(fields[i + 2]!));
        insert.run(...values);
      }
      this.#rows += batch.length;
    }
  }

  #upsertStatement(model: TableModel): StatementSync {
    const names = model.columns.map((c) => quote(c.name));
    const values = model.columns.map(() => "?").join(", ");
    return this.#db.prepare(
      `INSERT INTO ${this.#name} (${names.join(", ")}) VALUES (${values}) ${
        this.#onConflict(model)
      }`,
    );
  }

  #onConflict(model: TableModel): string {
    const keys = model.keys.map(quote).join(", ");
    const rest = model.columns.filter((c) => !model.keys.includes(c.name));
    if (rest.length === 0) return `ON CONFLICT (${keys}) DO NOTHING`;
    const sets = rest.map((c) => `${quote(c.name)} = excluded.${quote(c.name)}`).join(", ");
    return `ON CONFLICT (${keys}) DO UPDATE SET ${sets}`;
  }

  #stageStatement(model: TableModel): StatementSync {
    if (!this.#staged) {
      const columns = model.columns.map((c) => `${quote(c.name)} ${sqlType(c)}`).join(", ");
      this.#db.exec("DROP TABLE IF EXISTS temp.dap_stage");
      this.#db.exec(`CREATE TEMP TABLE dap_stage (dap_action TEXT, dap_ts TEXT, ${columns})`);
      this.#staged = true;
    }
    const marks = ["?", "?", ...model.columns.map(() => "?")].join(", ");
    return this.#db.prepare(`INSERT INTO temp.dap_stage VALUES (${marks})`);
  }

  finish(model: TableModel): Promise<LoadCounts> {
    if (!this.#staged) return Promise.resolve({ upserted: this.#rows, deleted: 0 });
    const keys = model.keys.map(quote).join(", ");
    const names = model.columns.map((c) => quote(c.name)).join(", ");
    const newest = `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${keys} ` +
      `ORDER BY dap_ts DESC, rowid DESC) AS dap_rank FROM temp.dap_stage) WHERE dap_rank = 1`;
    const deleted = this.#db.prepare(
      `DELETE FROM ${this.#name} WHERE (${keys}) IN (SELECT ${keys} FROM (${newest}) WHERE dap_action = 'D')`,
    ).run().changes;
    const upserted = this.#db.prepare(
      `INSERT INTO ${this.#name} (${names}) SELECT ${names} FROM (${newest}) WHERE dap_action = 'U' ${
        this.#onConflict(model)
      }`,
    ).run().changes;
    this.#db.exec("DROP TABLE temp.dap_stage");
    return Promise.resolve({ upserted: Number(upserted), deleted: Number(deleted) });
  }

  writeSync(row: Omit<SyncRow, "targetSchema" | "targetTable">): Promise<void> {
    this.#db.prepare(
      `INSERT INTO ${SYNC_TABLE} (source_namespace, source_table, timestamp, schema_version, target_schema,
        target_table, schema_description_format, schema_description) VALUES (?, ?, ?, ?, NULL, ?, 'json', ?)
       ON CONFLICT (source_namespace, source_table) DO UPDATE SET timestamp = excluded.timestamp,
        schema_version = excluded.schema_version, schema_description = excluded.schema_description`,
    ).run(
      row.namespace,
      row.table,
      row.timestamp,
      row.schemaVersion,
      sqliteTableName(row.namespace, row.table),
      row.schemaDescription,
    );
    return Promise.resolve();
  }

  dropTable(_model: TableModel): Promise<void> {
    this.#db.exec(`DROP TABLE IF EXISTS ${this.#name}`);
    this.#db.prepare(`DELETE FROM ${SYNC_TABLE} WHERE source_namespace = ? AND source_table = ?`)
      .run(this.#context.namespace, this.#context.table);
    return Promise.resolve();
  }

  commit(): Promise<void> {
    try {
      this.#db.exec("COMMIT");
    } finally {
      this.#release();
    }
    return Promise.resolve();
  }

  rollback(): Promise<void> {
    try {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
    } finally {
      this.#release();
    }
    return Promise.resolve();
  }
}
