/**
 * One table's session on MySQL/MariaDB, on its own pooled connection, under
 * a server-wide lock on the table (GET_LOCK, freed by the server if the
 * process dies). MySQL commits DDL at once, so atomicity is built by hand:
 *
 * - initdb builds the table as `<name>__dap_new`, invisible, and swaps it in
 *   with one RENAME TABLE, whose implicit commit also commits the
 *   `table_sync` row: both appear together.
 * - syncdb migrates first (each ALTER has its undo, run on failure), stages
 *   the records in a temporary table, merges them newest-wins in one
 *   transaction with the `table_sync` row; a removed column is dropped by the
 *   statement that commits.
 * - dropdb deletes the `table_sync` row and drops the table in one statement.
 *
 * A process killed at any point leaves at most `<name>__dap_new`/`__dap_old`
 * or DDL the next session on that table finishes (see `cleanLeftovers` and
 * `planMigration`).
 */
import type { Log } from "../runtime.ts";
import { DatabaseError } from "../errors.ts";
import type { LoadCounts, SessionMode, SyncRow, TableSession } from "./engine.ts";
import { loadRecords } from "./mysql_load.ts";
import type { MysqlLink } from "./mysql_link.ts";
import { dropColumnsSql, planMigration } from "./mysql_migrate.ts";
import {
  createStageSql,
  createTableSql,
  helperName,
  LATEST_TABLE,
  mergeSql,
  mysqlTableName,
  type PlannedColumn,
  quoteName,
  STAGE_TABLE,
  SYNC_TABLE,
  type TableColumn,
} from "./mysql_sql.ts";
import {
  conversionOf,
  type ServerInfo,
  SYNC_COLUMNS,
  tableColumns,
  toSyncRow,
} from "./mysql_tables.ts";
import { toMysqlDatetime } from "./mysql_values.ts";
import type { TableModel } from "./table_model.ts";

/** What a session is given. */
export interface SessionSetup {
  link: MysqlLink;
  namespace: string;
  table: string;
  mode: SessionMode;
  server: ServerInfo;
  log: Log;
  signal: AbortSignal;
  /** the GET_LOCK name held */
  lock: string;
  /** called once the session has ended (committed or rolled back) */
  onEnd: () => void;
}

/** One table's transaction; see the module comment for how each mode stays atomic. */
export class MysqlSession implements TableSession {
  readonly #setup: SessionSetup;
  readonly #link: MysqlLink;
  readonly #name: string;
  readonly #newName: string;
  readonly #oldName: string;
  /** the table_sync row before this session, to put back if the final swap fails */
  #previous?: SyncRow;
  #target?: { table: string; columns: TableColumn[] };
  #plan?: PlannedColumn[];
  #created = false;
  #undo?: string;
  #drops: string[] = [];
  #dropOnCommit = false;
  #staged = false;
  #inTransaction = false;
  #rows = 0;
  #ended = false;
  #current: Promise<unknown> = Promise.resolve();

  constructor(setup: SessionSetup) {
    this.#setup = setup;
    this.#link = setup.link;
    this.#name = mysqlTableName(setup.namespace, setup.table);
    this.#newName = helperName(this.#name, "new");
    this.#oldName = helperName(this.#name, "old");
  }

  /** Whether a statement that Ctrl-C should kill on the server runs now. */
  get killable(): boolean {
    return !this.#ended && this.#link.killable;
  }

  /** The connection's thread id, for KILL QUERY. */
  get threadId(): number {
    return this.#link.threadId;
  }

  get #label(): string {
    return `${this.#setup.namespace}.${this.#setup.table}`;
  }

  /** Runs one step of the session, refusing to start after Ctrl-C; rollback waits for it. */
  #step<T>(work: () => Promise<T>): Promise<T> {
    const run = (async () => {
      this.#setup.signal.throwIfAborted();
      if (this.#ended) {
        throw new TypeError(`Cannot use the session of ${this.#label}: it has ended`);
      }
      return await work();
    })();
    this.#current = run.catch(() => {});
    return run;
  }

  /** Drops what an earlier run killed at the wrong moment left (the session holds the table's lock). */
  cleanLeftovers(): Promise<void> {
    return this.#step(async () => {
      await this.#link.run(
        `drop the leftovers of an interrupted run on ${this.#name}`,
        `DROP TABLE IF EXISTS ${quoteName(this.#newName)}, ${quoteName(this.#oldName)}`,
      );
      await this.#dropTemporary();
    });
  }

  readSync(): Promise<SyncRow | undefined> {
    return this.#step(async () => {
      const rows = await this.#link.rows<Record<string, unknown>>(
        `read the table_sync row of ${this.#label}`,
        `SELECT ${SYNC_COLUMNS} FROM ${quoteName(SYNC_TABLE)} ` +
          "WHERE `source_namespace` = ? AND `source_table` = ? ORDER BY `id` LIMIT 1",
        [this.#setup.namespace, this.#setup.table],
      );
      this.#previous = rows[0] ? toSyncRow(rows[0]) : undefined;
      return this.#previous;
    });
  }

  tableExists(): Promise<boolean> {
    return this.#step(async () => (await tableColumns(this.#link, this.#name)).length > 0);
  }

  createTable(model: TableModel): Promise<void> {
    return this.#step(async () => {
      await this.#link.run(
        `create table ${this.#newName}`,
        createTableSql(this.#newName, model, this.#setup.server.tableOptions),
      );
      this.#created = true;
      this.#target = {
        table: this.#newName,
        columns: await tableColumns(this.#link, this.#newName),
      };
    });
  }

  migrate(before: TableModel, after: TableModel): Promise<string[]> {
    return this.#step(async () => {
      const actual = await tableColumns(this.#link, this.#name);
      if (actual.length === 0) {
        const flags = `--namespace ${this.#setup.namespace} --table ${this.#setup.table}`;
        throw new DatabaseError(
          `Cannot syncdb ${this.#label}: table ${this.#name} is missing though table_sync lists it; ` +
            `rebuild it: dap dropdb ${flags}, then dap initdb ${flags}`,
        );
      }
      const plan = planMigration(this.#name, actual, before, after);
      if (plan.alter) {
        await this.#link.run(`migrate ${this.#name}`, plan.alter);
        this.#undo = plan.undo;
      }
      this.#drops = plan.drops;
      this.#target = { table: this.#name, columns: await tableColumns(this.#link, this.#name) };
      return plan.lines;
    });
  }

  #planFor(model: TableModel): PlannedColumn[] {
    if (this.#plan) return this.#plan;
    const columns = new Map(this.#target?.columns.map((c) => [c.name, c]));
    this.#plan = model.columns.map((column) => {
      const target = columns.get(column.name);
      if (!target) {
        throw new DatabaseError(
          `Cannot load ${this.#label}: table ${this.#target?.table} has no column ${column.name}`,
        );
      }
      return { name: column.name, conversion: conversionOf(column, target) };
    });
    return this.#plan;
  }

  load(model: TableModel, records: AsyncIterable<string[]>): Promise<void> {
    return this.#step(async () => {
      const columns = this.#planFor(model);
      const stage = this.#setup.mode === "sync";
      if (stage && !this.#staged) {
        await this.#link.run("create the staging table", createStageSql(this.#stageColumns()));
        this.#staged = true;
      }
      const into = stage ? STAGE_TABLE : this.#target!.table;
      const plan = { label: this.#label, into, model, columns, stage };
      this.#rows += await loadRecords(this.#link, plan, records, this.#setup);
    });
  }

  #stageColumns(): TableColumn[] {
    const byName = new Map(this.#target!.columns.map((c) => [c.name, c]));
    return this.#plan!.map((p) => byName.get(p.name)!);
  }

  finish(model: TableModel): Promise<LoadCounts> {
    return this.#step(async () => {
      // The swap in commit() renames into __dap_old: nothing may be there.
      if (this.#setup.mode === "init") {
        await this.#link.run(
          `drop ${this.#oldName}`,
          `DROP TABLE IF EXISTS ${quoteName(this.#oldName)}`,
        );
        return { upserted: this.#rows, deleted: 0 };
      }
      await this.#begin();
      if (!this.#staged) return { upserted: 0, deleted: 0 };
      return await this.#merge(model);
    });
  }

  async #merge(model: TableModel): Promise<LoadCounts> {
    const sql = mergeSql(this.#name, model);
    const what = `apply the changes to ${this.#name}`;
    for (const statement of sql.latest) await this.#link.run(what, statement);
    const removed = await this.#link.run(what, sql.remove);
    await this.#link.run(what, sql.upsert);
    const [count] = await this.#link.rows<{ n: unknown }>(what, sql.count);
    return { upserted: Number(count?.n ?? 0), deleted: removed.affectedRows };
  }

  async #begin(): Promise<void> {
    if (this.#inTransaction) return;
    await this.#link.run("start a transaction", "START TRANSACTION");
    this.#inTransaction = true;
  }

  writeSync(row: Omit<SyncRow, "targetSchema" | "targetTable">): Promise<void> {
    return this.#step(async () => {
      await this.#begin();
      await this.#writeRow(row);
    });
  }

  async #writeRow(row: Omit<SyncRow, "targetSchema" | "targetTable">): Promise<void> {
    const timestamp = toMysqlDatetime(row.timestamp, this.#setup.server.syncPrecision);
    const what = `write the table_sync row of ${this.#label}`;
    const updated = await this.#link.run(
      what,
      `UPDATE ${quoteName(SYNC_TABLE)} SET \`timestamp\` = ?, \`schema_version\` = ?, ` +
        "`schema_description` = ? WHERE `source_namespace` = ? AND `source_table` = ?",
      [timestamp, row.schemaVersion, row.schemaDescription, row.namespace, row.table],
    );
    if (updated.affectedRows > 0) return;
    await this.#link.run(
      what,
      `INSERT INTO ${
        quoteName(SYNC_TABLE)
      } (${SYNC_COLUMNS}) VALUES (?, ?, ?, ?, NULL, ?, 'json', ?)`,
      [
        row.namespace,
        row.table,
        timestamp,
        row.schemaVersion,
        mysqlTableName(row.namespace, row.table),
        row.schemaDescription,
      ],
    );
  }

  dropTable(_model: TableModel): Promise<void> {
    return this.#step(async () => {
      // initdb --reinit: the old table is swapped out at commit, its table_sync row updated.
      if (this.#setup.mode !== "drop") return;
      await this.#begin();
      await this.#link.run(
        `delete the table_sync row of ${this.#label}`,
        `DELETE FROM ${
          quoteName(SYNC_TABLE)
        } WHERE \`source_namespace\` = ? AND \`source_table\` = ?`,
        [this.#setup.namespace, this.#setup.table],
      );
      this.#dropOnCommit = true;
    });
  }

  commit(): Promise<void> {
    return this.#step(async () => {
      if (this.#setup.mode === "init") await this.#commitInit();
      else if (this.#dropOnCommit) await this.#commitDrop();
      else await this.#commitSync();
      await this.#end();
    });
  }

  /** One RENAME swaps the new table in; its implicit commit commits the table_sync row just before. */
  async #commitInit(): Promise<void> {
    await this.#begin();
    const exists = (await tableColumns(this.#link, this.#name)).length > 0;
    const [name, fresh, old] = [this.#name, this.#newName, this.#oldName].map(quoteName);
    const renames = exists ? `${name} TO ${old}, ${fresh} TO ${name}` : `${fresh} TO ${name}`;
    try {
      await this.#link.run(`make ${this.#name} visible`, `RENAME TABLE ${renames}`);
    } catch (error) {
      await this.#restoreSyncRow();
      throw error;
    }
    this.#inTransaction = false;
    this.#created = false;
    await this.#dropQuietly(this.#oldName);
  }

  /** The DROP TABLE's implicit commit commits the deleted table_sync row just before. */
  async #commitDrop(): Promise<void> {
    try {
      await this.#link.run(`drop ${this.#name}`, `DROP TABLE IF EXISTS ${quoteName(this.#name)}`);
    } catch (error) {
      await this.#restoreSyncRow();
      throw error;
    }
    this.#inTransaction = false;
  }

  /** COMMIT, or the ALTER TABLE that drops removed columns (its implicit commit commits first). */
  async #commitSync(): Promise<void> {
    if (this.#drops.length === 0) {
      await this.#link.run(`commit ${this.#label}`, "COMMIT");
      this.#inTransaction = false;
      return;
    }
    try {
      await this.#link.run(
        `drop columns of ${this.#name}`,
        dropColumnsSql(this.#name, this.#drops),
      );
    } catch (error) {
      // The data is committed either way; a column left (nullable) is dropped by the next syncdb.
      await this.#link.run(`commit ${this.#label}`, "COMMIT");
      this.#setup.log.warning(
        `${this.#label}: synced, but could not drop column(s) ${this.#drops.join(", ")} (${
          (error as Error).message
        }); the next syncdb drops them`,
      );
    }
    this.#inTransaction = false;
  }

  /** After a failed final statement (its implicit commit may have happened): the table_sync row as it was. */
  async #restoreSyncRow(): Promise<void> {
    if (this.#link.broken) return;
    await this.#link.run("roll back", "ROLLBACK").catch(() => {});
    this.#inTransaction = false;
    const where = "WHERE `source_namespace` = ? AND `source_table` = ?";
    const key = [this.#setup.namespace, this.#setup.table];
    const what = `restore the table_sync row of ${this.#label}`;
    const previous = this.#previous;
    if (previous === undefined) {
      await this.#link.run(what, `DELETE FROM ${quoteName(SYNC_TABLE)} ${where}`, key);
      return;
    }
    await this.#writeRow(previous);
  }

  rollback(): Promise<void> {
    const work = (async () => {
      await this.#current;
      if (this.#ended) return;
      if (!this.#link.broken) await this.#undoAll();
      await this.#end();
    })();
    this.#current = work.catch(() => {});
    return work;
  }

  /** ROLLBACK, then the DDL undone by hand: the new table dropped, the migration reversed. */
  async #undoAll(): Promise<void> {
    const steps: [string, string][] = [["roll back", "ROLLBACK"]];
    if (this.#created) {
      steps.push([`drop ${this.#newName}`, `DROP TABLE IF EXISTS ${quoteName(this.#newName)}`]);
    }
    if (this.#undo) steps.push([`undo the migration of ${this.#name}`, this.#undo]);
    for (const [what, sql] of steps) {
      try {
        await this.#link.run(what, sql);
      } catch (error) {
        this.#setup.log.warning(
          `${this.#label}: could not ${what} (${
            (error as Error).message
          }); the next run on this table finishes it`,
        );
      }
    }
    this.#inTransaction = false;
    this.#created = false;
    this.#undo = undefined;
  }

  async #dropQuietly(table: string): Promise<void> {
    await this.#link.run(`drop ${table}`, `DROP TABLE IF EXISTS ${quoteName(table)}`).catch((e) =>
      this.#setup.log.warning(`${this.#label}: ${e.message}; the next run on this table drops it`)
    );
  }

  async #dropTemporary(): Promise<void> {
    await this.#link.run(
      "drop the staging tables",
      `DROP TEMPORARY TABLE IF EXISTS ${quoteName(STAGE_TABLE)}, ${quoteName(LATEST_TABLE)}`,
    );
  }

  /** Temporary tables dropped, lock freed, connection back to the pool (or closed if in doubt). */
  async #end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    let clean = !this.#link.broken && !this.#inTransaction;
    if (clean) {
      try {
        await this.#dropTemporary();
        await this.#link.run("free the table's lock", "DO RELEASE_LOCK(?)", [this.#setup.lock]);
      } catch {
        clean = false;
      }
    }
    this.#link.release(clean);
    this.#setup.onEnd();
  }
}
