/**
 * The seam between the sync logic (`sync_table.ts`) and a database engine
 * (PostgreSQL, MySQL/MariaDB, SQLite). An engine knows its SQL, its types
 * and its loading fast path; it knows nothing of the DAP API. Every table
 * runs in a `TableSession`: one connection, one transaction, committed only
 * when the data and its `table_sync` row are both in place.
 */
import type { Log } from "../runtime.ts";
import type { EngineName } from "./connection_string.ts";
import type { PartRecords } from "./record_lines.ts";
import type { TableModel } from "./table_model.ts";

/** A row of `instructure_dap.table_sync`, as the contract lays it out. */
export interface SyncRow {
  namespace: string;
  table: string;
  /** RFC 3339 UTC with `Z` here; naive UTC in the database */
  timestamp: string;
  schemaVersion: number;
  /** the table's JSON schema as served, as text (`schema_description_format` = 'json') */
  schemaDescription: string;
  /** e.g. `canvas`; null where the engine has no schemas */
  targetSchema: string | null;
  /** e.g. `courses` (PostgreSQL) or `canvas__courses` (MySQL, SQLite) */
  targetTable: string;
}

/** What a session is for: its mode decides how `load` treats rows. */
export type SessionMode = "init" | "sync" | "drop";

/** Rows applied by a finished load. */
export interface LoadCounts {
  /** rows inserted or updated */
  upserted: number;
  /** keys deleted (D records whose key was present) */
  deleted: number;
}

/** One table's transaction on its own connection. */
export interface TableSession {
  /** the table's `table_sync` row as this transaction sees it (locked where the engine can) */
  readSync(): Promise<SyncRow | undefined>;
  /** whether the data table exists (a leftover of an interrupted run has no `table_sync` row) */
  tableExists(): Promise<boolean>;
  /** creates the enum types and the empty data table (initdb), replacing a leftover without a sync row */
  createTable(model: TableModel): Promise<void>;
  /** migrates the data table from `before` to `after`; returns one line per change, for the log */
  migrate(before: TableModel, after: TableModel): Promise<string[]>;
  /**
   * Takes one part's records, in batches of normalized lines
   * (`<action U|D>\t<meta.ts>\t<col 1>\t...\t<col N>`, COPY text escapes,
   * `\N` for NULL, the model's columns in model order). `init` sessions
   * insert (a key repeated in a snapshot, as canvas_logs.web_logs can, keeps one row);
   * `sync` sessions upsert `U` and delete `D` keys, newest `meta.ts` wins.
   * `records` may be iterated again (each pass reads the part anew), e.g. to
   * load a part another way after a first attempt was rolled back; a
   * snapshot part as served may also be read as bytes (`snapshotRows`).
   */
  load(model: TableModel, records: PartRecords): Promise<void>;
  /** applies what `load` staged, if the engine stages; resolves with the counts */
  finish(model: TableModel): Promise<LoadCounts>;
  /** inserts or updates the table's `table_sync` row (the engine fills in its own target names) */
  writeSync(row: Omit<SyncRow, "targetSchema" | "targetTable">): Promise<void>;
  /** drops the data table, its enum types and its `table_sync` row (dropdb) */
  dropTable(model: TableModel): Promise<void>;
  /** makes everything final, atomically */
  commit(): Promise<void>;
  /** undoes everything (DDL too: engines that cannot roll it back undo it by hand) */
  rollback(): Promise<void>;
}

/** A database kept in sync. */
export interface Engine {
  readonly name: EngineName;
  /** creates the metadata schema and tables when missing (idempotent, committed at once) */
  prepare(): Promise<void>;
  /** every `table_sync` row of a namespace (`syncdb all`, `dropdb all`) */
  syncedTables(namespace: string): Promise<SyncRow[]>;
  /** starts one table's session on its own connection (from a bounded pool) */
  begin(namespace: string, table: string, mode: SessionMode): Promise<TableSession>;
  /** closes every connection */
  close(): Promise<void>;
}

/** What every engine is given. */
export interface EngineOptions {
  log: Log;
  /** connections at most (one per table at a time) @default 4 */
  poolSize?: number;
  /** Ctrl-C: sessions in flight roll back */
  signal: AbortSignal;
}
