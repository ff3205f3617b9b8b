/**
 * One table's transaction on PostgreSQL: everything a session does (DDL,
 * data, the `table_sync` row) happens in one transaction on its reserved
 * connection, so a rollback, a lost connection or a killed process leaves
 * the database as it was. Two things are committed outside it, because
 * PostgreSQL needs them to be: a missing namespace schema (shared by every
 * table; created empty, once) and new enum values (a value added by
 * `ALTER TYPE ... ADD VALUE` cannot be used by the transaction that added
 * it). Both are harmless to keep after a rollback.
 *
 * Loading: initdb COPYs each part straight into the new table inside a
 * savepoint; a part that repeats a key (canvas_logs.web_logs is delivered
 * at least once) is rolled back to its savepoint and, with every later
 * part, staged and merged at the end, newest `meta.ts` first. syncdb always
 * stages (`COPY` into a temporary table) and merges in one set-form
 * statement.
 *
 * Loading follows the table as it stands, read from the catalog before the
 * first part: a table the official client made may have native arrays
 * (`text[]`, `bigint[]`) where dap makes `jsonb`, or `json`, `text` for an
 * enum, another `varchar` length. The staging table takes each column's own
 * type (a native array's staged as `jsonb`, converted by the merge), and a
 * table with native arrays is always staged: COPY cannot read DAP's JSON
 * text as an array.
 */
import type { PartRecords } from "./record_lines.ts";
import { syncRowFrom } from "./sync_row.ts";
import type { Log } from "../runtime.ts";
import type { LoadCounts, SessionMode, SyncRow, TableSession } from "./engine.ts";
import { sqlState } from "./postgres_errors.ts";
import type { PostgresLink } from "./postgres_link.ts";
import {
  addColumnSql,
  addEnumValueSql,
  arrayColumns,
  COPY_STAGE_SQL,
  copyTableSql,
  createEnumSql,
  createStageSql,
  createTableSql,
  DELETE_SYNC_ROW,
  dropColumnSql,
  dropEnumSql,
  enumColumns,
  mergeSql,
  qualified,
  SELECT_SYNC_ROW,
  SELECT_TABLE_COLUMNS,
  type TableColumn,
  type TableColumns,
  UPSERT_SYNC_ROW,
} from "./postgres_sql.ts";
import { type DbColumn, modelChanges, type TableModel } from "./table_model.ts";

/** What a session asks of its engine outside its transaction (committed at once). */
export interface SideWork {
  /** creates a namespace schema when missing */
  ensureSchema(namespace: string): Promise<void>;
  /** runs `ALTER TYPE ... ADD VALUE IF NOT EXISTS` statements, each committed */
  addEnumValues(statements: string[]): Promise<void>;
}

/** Everything a session is given. */
export interface SessionContext {
  link: PostgresLink;
  namespace: string;
  table: string;
  mode: SessionMode;
  log: Log;
  signal: AbortSignal;
  side: SideWork;
  /** called once, when the session has committed or rolled back */
  onEnd: () => void;
}

/** COPY data is sent in chunks of about this many characters. */
const CHUNK_CHARS = 256 * 1024;

/** The columns of a normalized line after `<action>\t<meta.ts>\t`. */
function withoutMeta(line: string): string {
  return line.slice(line.indexOf("\t", line.indexOf("\t") + 1) + 1);
}

/** Normalized lines as COPY text chunks (with or without the action and meta.ts), counted. */
async function* copyText(
  records: AsyncIterable<string[]>,
  options: { meta: boolean; signal: AbortSignal; counted: (rows: number) => void },
): AsyncGenerator<string> {
  let pending: string[] = [];
  let size = 0;
  for await (const batch of records) {
    options.signal.throwIfAborted();
    const text = (options.meta ? batch : batch.map(withoutMeta)).join("\n") + "\n";
    options.counted(batch.length);
    pending.push(text);
    size += text.length;
    if (size >= CHUNK_CHARS) {
      yield pending.join("");
      pending = [];
      size = 0;
    }
  }
  if (pending.length > 0) yield pending.join("");
}

/** `2026-11-20T08:00:00.000000Z` -> `2026-11-20T08:00:00Z`; `.120000Z` -> `.12Z`. */
export function rfc3339(text: string): string {
  return text.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : "Z"));
}

/** A `table_sync` row as the seam describes it. */
export function toSyncRow(row: Record<string, unknown>): SyncRow {
  return syncRowFrom(row, rfc3339);
}

/** One table's session. */
export class PostgresSession implements TableSession {
  readonly #c: SessionContext;
  readonly #label: string;
  /** rows COPYed straight into the table (initdb) */
  #direct = 0;
  /** rows COPYed into the staging table */
  #staged = 0;
  #stage = false;
  #ended = false;
  /** the data table's columns as the catalog has them, read before the first part */
  #columns?: TableColumns;

  constructor(context: SessionContext) {
    this.#c = context;
    this.#label = `${context.namespace}.${context.table}`;
  }

  async readSync(): Promise<SyncRow | undefined> {
    const rows = await this.#c.link.rows(
      `read the table_sync row of ${this.#label}`,
      SELECT_SYNC_ROW,
      [this.#c.namespace, this.#c.table],
    );
    return rows.length > 0 ? toSyncRow(rows[0]!) : undefined;
  }

  async tableExists(): Promise<boolean> {
    const [row] = await this.#c.link.rows(
      `look for the table ${this.#label}`,
      "SELECT to_regclass($1) IS NOT NULL AS found",
      [qualified(this.#c.namespace, this.#c.table)],
    );
    return row?.found === true;
  }

  async createTable(model: TableModel): Promise<void> {
    this.#columns = undefined;
    await this.#c.side.ensureSchema(model.namespace);
    for (const sql of createTableSql(model)) {
      await this.#c.link.run(`create the table ${this.#label}`, sql);
    }
  }

  async migrate(before: TableModel, after: TableModel): Promise<string[]> {
    const changes = modelChanges(before, after);
    const lines: string[] = [];
    this.#columns = undefined;
    // First and committed on their own: a value added by ALTER TYPE ... ADD VALUE
    // cannot be used by the transaction that adds it (IF NOT EXISTS: harmless to repeat).
    const additions = changes.enumValues.flatMap(({ column, values }) => {
      lines.push(`enum ${column.name} gained ${values.join(", ")}`);
      return addEnumValueSql(after, column, values);
    });
    if (additions.length > 0) await this.#c.side.addEnumValues(additions);
    for (const column of changes.added) {
      await this.#addColumn(after, column);
      lines.push(`added column ${column.name}`);
    }
    for (const column of changes.removed) {
      await this.#c.link.run(`drop a column of ${this.#label}`, dropColumnSql(before, column));
      if (column.type.kind === "enum") {
        await this.#c.link.run(`drop a type of ${this.#label}`, dropEnumSql(before, column));
      }
      lines.push(`dropped column ${column.name} (no longer in the schema)`);
    }
    return lines;
  }

  async #addColumn(model: TableModel, column: DbColumn): Promise<void> {
    const what = `add a column to ${this.#label}`;
    if (column.type.kind === "enum") {
      await this.#c.link.run(what, dropEnumSql(model, column));
      await this.#c.link.run(what, createEnumSql(model, column));
    }
    await this.#c.link.run(what, addColumnSql(model, column));
  }

  async load(model: TableModel, records: PartRecords): Promise<void> {
    this.#c.signal.throwIfAborted();
    const columns = await this.#tableColumns(model);
    if (this.#c.mode === "init" && !this.#stage && arrayColumns(model, columns).length === 0) {
      if (await this.#loadDirect(model, records)) return;
      this.#c.log.info(
        `${this.#label}: a key repeats in the snapshot (delivered at least once); this part and the rest go through a staging table, newest meta.ts first`,
      );
    }
    await this.#loadStaged(model, records, columns);
  }

  /** The table's columns from the catalog (once per session, after its DDL). */
  async #tableColumns(model: TableModel): Promise<TableColumns> {
    if (this.#columns) return this.#columns;
    const rows = await this.#c.link.rows(
      `load ${this.#label}`,
      SELECT_TABLE_COLUMNS,
      [qualified(model.namespace, model.table)],
    );
    const columns = new Map<string, TableColumn>(rows.map((r) => [String(r.name), {
      type: String(r.type),
      element: r.element === null ? null : String(r.element),
    }]));
    const arrays = arrayColumns(model, columns);
    if (arrays.length > 0) {
      this.#c.log.debug(
        `${this.#label}: native array column(s) ${
          arrays.map((name) => `${name} (${columns.get(name)!.type})`).join(", ")
        }: staged as JSON and converted`,
      );
    }
    return this.#columns = columns;
  }

  /**
   * COPY straight into the table, in a savepoint; false (rolled back) when a
   * key repeats. A snapshot part as served goes as its own bytes.
   */
  async #loadDirect(model: TableModel, records: PartRecords): Promise<boolean> {
    const { link, signal } = this.#c;
    let rows = 0;
    const counted = (n: number) => {
      signal.throwIfAborted();
      rows += n;
    };
    await link.run(`load ${this.#label}`, "SAVEPOINT dap_part");
    try {
      const text = await records.snapshotRows?.(counted) ??
        copyText(records, { meta: false, signal, counted });
      await link.copyIn(`load ${this.#label}`, copyTableSql(model), text);
    } catch (error) {
      if (sqlState(error) !== "23505") throw error;
      await link.run(`load ${this.#label}`, "ROLLBACK TO SAVEPOINT dap_part");
      await link.run(`load ${this.#label}`, "RELEASE SAVEPOINT dap_part");
      return false;
    }
    await link.run(`load ${this.#label}`, "RELEASE SAVEPOINT dap_part");
    this.#direct += rows;
    return true;
  }

  /** COPY into the staging table (created on first use), records as they are. */
  async #loadStaged(
    model: TableModel,
    records: AsyncIterable<string[]>,
    columns: TableColumns,
  ): Promise<void> {
    const { link, signal } = this.#c;
    if (!this.#stage) {
      await link.run(`stage the records of ${this.#label}`, createStageSql(model, columns));
      this.#stage = true;
    }
    const text = copyText(records, { meta: true, signal, counted: (n) => this.#staged += n });
    await link.copyIn(`stage the records of ${this.#label}`, COPY_STAGE_SQL, text);
  }

  async finish(model: TableModel): Promise<LoadCounts> {
    if (!this.#stage) return { upserted: this.#direct, deleted: 0 };
    const [row] = await this.#c.link.rows(
      `apply the changes to ${this.#label}`,
      mergeSql(model, this.#columns),
    );
    this.#c.log.debug(`${this.#label}: merged ${this.#staged} staged record(s)`);
    return { upserted: this.#direct + Number(row?.upserted ?? 0), deleted: Number(row?.deleted) };
  }

  async writeSync(row: Omit<SyncRow, "targetSchema" | "targetTable">): Promise<void> {
    await this.#c.link.run(`record the sync of ${this.#label}`, UPSERT_SYNC_ROW, [
      row.namespace,
      row.table,
      row.timestamp,
      row.schemaVersion,
      row.schemaDescription,
    ]);
  }

  async dropTable(model: TableModel): Promise<void> {
    const what = `drop ${this.#label}`;
    await this.#c.link.run(what, `DROP TABLE IF EXISTS ${qualified(model.namespace, model.table)}`);
    for (const column of enumColumns(model)) {
      await this.#c.link.run(what, dropEnumSql(model, column));
    }
    await this.#c.link.run(what, DELETE_SYNC_ROW, [this.#c.namespace, this.#c.table]);
  }

  async commit(): Promise<void> {
    this.#c.signal.throwIfAborted();
    try {
      await this.#c.link.run(`commit ${this.#label}`, "COMMIT");
    } finally {
      this.#end();
    }
  }

  /** Stops what runs, rolls back and gives the connection back; never throws. */
  async rollback(): Promise<void> {
    if (this.#ended) return;
    const { link } = this.#c;
    try {
      await link.interrupt(new Error(`${this.#label} is being rolled back`));
      // A cancel that arrives late may hit the ROLLBACK itself: then once more.
      await link.run("roll back", "ROLLBACK").catch(() => link.run("roll back", "ROLLBACK"));
    } catch (error) {
      this.#c.log.debug(`${this.#label}: rollback failed: ${error}`);
    } finally {
      this.#end();
    }
  }

  /** Stops the statement in flight (Ctrl-C); the session's owner then rolls it back. */
  interrupt(reason: Error): Promise<void> {
    return this.#c.link.interrupt(reason);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#c.link.release();
    this.#c.onEnd();
  }
}
