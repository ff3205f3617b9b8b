/**
 * The two ways records reach a MySQL table: `LOAD DATA LOCAL INFILE` fed the
 * normalized lines (with what MySQL reads differently from COPY text fixed),
 * or multi-row INSERT statements where the server refuses local infile
 * (detected up front, or at the first refusal). Both stream: one batch of
 * records in memory at a time.
 */
import { DatabaseError } from "../errors.ts";
import type { Log } from "../runtime.ts";
import { isInfileRefused } from "./mysql_errors.ts";
import type { MysqlLink } from "./mysql_link.ts";
import { insertHeadSql, insertTailSql, loadDataSql, type PlannedColumn } from "./mysql_sql.ts";
import type { ServerInfo } from "./mysql_tables.ts";
import { loadDataLine, sqlLiteral, sqlString, toMysqlDatetime } from "./mysql_values.ts";
import type { TableModel } from "./table_model.ts";

/** The infile's text, batch by batch; stops with the signal's reason on Ctrl-C; counts the lines. */
export async function* infileText(
  records: AsyncIterable<string[]>,
  signal: AbortSignal,
  counter: { lines: number },
): AsyncGenerator<string> {
  for await (const batch of records) {
    signal.throwIfAborted();
    let text = "";
    for (const line of batch) text += loadDataLine(line) + "\n";
    counter.lines += batch.length;
    yield text;
  }
}

/** The VALUES tuple of one normalized line (`action, meta.ts, columns`). */
export function rowTuple(line: string, columns: readonly PlannedColumn[], stage: boolean): string {
  const fields = line.split("\t");
  if (fields.length !== columns.length + 2) {
    throw new SyntaxError(
      `Cannot read a record: expected ${columns.length + 2} fields, got ${fields.length}`,
    );
  }
  let tuple = stage ? `(${sqlString(fields[0]!)},${sqlString(toMysqlDatetime(fields[1]!))}` : "(";
  for (let i = 0; i < columns.length; i++) {
    if (i > 0 || stage) tuple += ",";
    tuple += sqlLiteral(fields[i + 2]!, columns[i]!.conversion);
  }
  return tuple + ")";
}

/** How the INSERT fallback cuts statements. */
export interface InsertShape {
  /** `INSERT INTO t (...) VALUES ` */
  head: string;
  /** ` ON DUPLICATE KEY UPDATE ...` or nothing */
  tail: string;
  columns: readonly PlannedColumn[];
  stage: boolean;
  /** a statement ends once it reaches this many bytes (below the server's max_allowed_packet) */
  maxBytes: number;
  /** or this many rows @default 1000 */
  maxRows?: number;
}

/** Multi-row INSERT statements for the records, cut by size and row count. */
export async function* insertStatements(
  records: AsyncIterable<string[]>,
  shape: InsertShape,
  signal: AbortSignal,
  counter: { lines: number },
): AsyncGenerator<string> {
  const maxRows = shape.maxRows ?? 1000;
  let rows: string[] = [];
  let bytes = 0;
  for await (const batch of records) {
    signal.throwIfAborted();
    for (const line of batch) {
      const tuple = rowTuple(line, shape.columns, shape.stage);
      rows.push(tuple);
      bytes += tuple.length + 1;
      counter.lines++;
      if (rows.length >= maxRows || bytes >= shape.maxBytes) {
        yield shape.head + rows.join(",") + shape.tail;
        rows = [];
        bytes = 0;
      }
    }
  }
  if (rows.length > 0) yield shape.head + rows.join(",") + shape.tail;
}

/** Where one part's records go. */
export interface LoadPlan {
  /** `namespace.table`, for messages */
  label: string;
  /** the new table (initdb) or the staging table (syncdb) */
  into: string;
  model: TableModel;
  columns: readonly PlannedColumn[];
  stage: boolean;
}

/** What loading needs from the engine and the run. */
export interface LoadContext {
  /** shared: its `localInfile` turns off at the first refusal */
  server: ServerInfo;
  signal: AbortSignal;
  log: Log;
}

/** Loads one part's records the fastest way the server allows; resolves with the lines loaded. */
export async function loadRecords(
  link: MysqlLink,
  plan: LoadPlan,
  records: AsyncIterable<string[]>,
  context: LoadContext,
): Promise<number> {
  if (context.server.localInfile) {
    const lines = await loadInfile(link, plan, records, context);
    if (lines !== undefined) return lines;
  }
  return await loadInserts(link, plan, records, context);
}

/** LOAD DATA LOCAL INFILE; undefined when the server refuses it (nothing was read: the INSERTs take over). */
async function loadInfile(
  link: MysqlLink,
  plan: LoadPlan,
  records: AsyncIterable<string[]>,
  context: LoadContext,
): Promise<number | undefined> {
  const counter = { lines: 0 };
  try {
    const result = await link.load(
      `load ${plan.label} into ${plan.into}`,
      loadDataSql(plan.into, plan.columns, plan.stage),
      infileText(records, context.signal, counter),
    );
    await checkWarnings(link, plan, result.warningStatus);
  } catch (error) {
    const driverError = error instanceof DatabaseError ? error.cause : error;
    if (!isInfileRefused(driverError) || counter.lines > 0) throw error;
    context.server.localInfile = false;
    context.log.info(
      `${plan.label}: the server refuses LOAD DATA LOCAL INFILE (local_infile is off): loading with batched INSERTs`,
    );
    return undefined;
  }
  return counter.lines;
}

/** A LOAD DATA LOCAL turns bad values into warnings (the server cannot stop the file): they fail the load. */
async function checkWarnings(link: MysqlLink, plan: LoadPlan, count: number): Promise<void> {
  if (!count) return;
  const warnings = await link.rows<{ Level: string; Code: number; Message: string }>(
    "read the load's warnings",
    "SHOW WARNINGS LIMIT 3",
  );
  const first = warnings.find((w) => w.Level !== "Note");
  if (!first) return;
  throw new DatabaseError(
    `Cannot load ${plan.label} into ${plan.into}: ${first.Message} [${first.Code}]` +
      (count > 1 ? ` (and ${count - 1} more warning(s))` : ""),
  );
}

/** Multi-row INSERTs in one transaction per part; resolves with the lines loaded. */
async function loadInserts(
  link: MysqlLink,
  plan: LoadPlan,
  records: AsyncIterable<string[]>,
  context: LoadContext,
): Promise<number> {
  const counter = { lines: 0 };
  const statements = insertStatements(
    records,
    {
      head: insertHeadSql(plan.into, plan.model, plan.stage),
      tail: insertTailSql(plan.into, plan.model, plan.stage),
      columns: plan.columns,
      stage: plan.stage,
      maxBytes: context.server.maxStatementBytes,
    },
    context.signal,
    counter,
  );
  await link.run("start a transaction", "START TRANSACTION");
  for await (const statement of statements) {
    await link.run(`insert ${plan.label} into ${plan.into}`, statement);
  }
  await link.run(`commit the rows of ${plan.label}`, "COMMIT");
  return counter.lines;
}
