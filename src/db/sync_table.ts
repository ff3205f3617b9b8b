/**
 * What initdb, syncdb and dropdb mean for one table, engine-neutral, as the
 * contract (`dap-db-sync.md`) defines them. Each runs in one session: the
 * data and the `table_sync` row become visible together or not at all.
 */
import { UsageError } from "../errors.ts";
import type { Log } from "../runtime.ts";
import type { LoadCounts, SyncRow, TableSession } from "./engine.ts";
import { partSource } from "./record_lines.ts";
import { type TableModel, tableModel } from "./table_model.ts";

/** A table's job, as the sync needs it. */
export interface SyncJob {
  /** snapshot: the table state it represents */
  at?: string;
  /** incremental: where it ends */
  until?: string;
}

/**
 * One spelling of an instant for `table_sync.timestamp`: UTC, `Z`, fractional
 * seconds only when they are not zero (at most six digits, as databases keep).
 */
export function canonicalTimestamp(text: string): string {
  const match = text.match(
    /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i,
  );
  if (!match) throw new SyntaxError(`Cannot read the timestamp '${text}'`);
  const [, date, time, fraction = "", zone = "Z"] = match;
  const seconds = Date.parse(`${date}T${time}${zone.toUpperCase() === "Z" ? "Z" : zone}`);
  if (Number.isNaN(seconds)) throw new SyntaxError(`Cannot read the timestamp '${text}'`);
  const utc = new Date(seconds).toISOString().slice(0, 19);
  const digits = fraction.slice(0, 6).replace(/0+$/, "");
  return `${utc}${digits ? `.${digits}` : ""}Z`;
}

/** The model of a table as stored by an earlier initdb or syncdb. */
export function storedModel(row: SyncRow): TableModel {
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(row.schemaDescription);
  } catch {
    throw new SyntaxError(
      `Cannot read the stored schema of ${row.namespace}.${row.table}: it is not JSON`,
    );
  }
  // The official client stores the schema; a whole answer ({schema, version}) is read too.
  const inner =
    (schema.schema && typeof schema.schema === "object" ? schema.schema : schema) as Record<
      string,
      unknown
    >;
  return tableModel(row.namespace, row.table, { schema: inner, version: row.schemaVersion });
}

/** The commands whose rules depend on whether a table is kept. */
export type SyncCommand = "initdb" | "syncdb" | "dropdb";

/**
 * The one refusal for tables whose state does not fit the command (initdb of
 * kept tables, syncdb or dropdb of others), naming the command to run instead.
 */
export function stateRefusal(
  command: SyncCommand,
  namespace: string,
  tables: readonly string[],
): UsageError {
  const labels = tables.map((table) => `${namespace}.${table}`).join(", ");
  const flags = `--namespace ${namespace} --table ${tables.join(",")}`;
  switch (command) {
    case "initdb":
      return new UsageError(
        `Cannot initdb ${labels}: already initialised; run dap syncdb ${flags}`,
      );
    case "syncdb":
      return new UsageError(`Cannot syncdb ${labels}: not initialised; run dap initdb ${flags}`);
    case "dropdb":
      return new UsageError(`Cannot dropdb ${labels}: the database does not hold it`);
  }
}

/** Refuses initdb of a table that is already kept, and syncdb/dropdb of one that is not. */
export function checkSyncState(
  command: SyncCommand,
  name: { namespace: string; table: string },
  row: SyncRow | undefined,
): void {
  if (command === "initdb" ? row !== undefined : row === undefined) {
    throw stateRefusal(command, name.namespace, [name.table]);
  }
}

/** One table's load: open, feed parts, then commit with the new `table_sync` row. */
export class TableSync {
  readonly #session: TableSession;
  readonly #model: TableModel;
  readonly #log: Log;

  constructor(session: TableSession, model: TableModel, log: Log) {
    this.#session = session;
    this.#model = model;
    this.#log = log;
  }

  /** initdb: checks the state again under the transaction, then creates the table (`replace`: over a kept one). */
  async create(options: { replace?: boolean } = {}): Promise<void> {
    const row = await this.#session.readSync();
    if (!options.replace) checkSyncState("initdb", this.#model, row);
    if (row && options.replace) {
      this.#log.info(`${this.#label}: replacing the table synced to ${row.timestamp} (--reinit)`);
      await this.#session.dropTable(storedModel(row));
    } else if (await this.#session.tableExists()) {
      this.#log.warning(
        `${this.#label}: replacing a table left without a table_sync row (an interrupted run?)`,
      );
    }
    await this.#session.createTable(this.#model);
  }

  /** syncdb: checks the state again under the transaction, then migrates the table. */
  async migrate(): Promise<void> {
    const row = await this.#session.readSync();
    checkSyncState("syncdb", this.#model, row);
    for (const change of await this.#session.migrate(storedModel(row!), this.#model)) {
      this.#log.info(`${this.#label}: ${change}`);
    }
  }

  /** Loads one downloaded TSV part; each iteration of its records reads the file anew. */
  async addPart(path: string): Promise<void> {
    const model = this.#model;
    await this.#session.load(model, partSource(path, model));
  }

  /** Applies the rows, records where the table now stands, and commits. */
  async commit(job: SyncJob): Promise<LoadCounts> {
    const end = job.until ?? job.at;
    if (!end) throw new SyntaxError(`Cannot sync ${this.#label}: the job has no 'at' or 'until'`);
    const timestamp = canonicalTimestamp(end);
    const counts = await this.#session.finish(this.#model);
    await this.#session.writeSync({
      namespace: this.#model.namespace,
      table: this.#model.table,
      timestamp,
      schemaVersion: this.#model.version,
      schemaDescription: JSON.stringify(this.#model.schema),
    });
    await this.#session.commit();
    return counts;
  }

  /** Undoes everything. */
  rollback(): Promise<void> {
    return this.#session.rollback();
  }

  get #label(): string {
    return `${this.#model.namespace}.${this.#model.table}`;
  }
}
