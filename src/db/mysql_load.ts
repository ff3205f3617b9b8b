/**
 * The two ways records reach a MySQL table: the text of `LOAD DATA LOCAL
 * INFILE` (the normalized lines, with what MySQL reads differently from
 * COPY text fixed), or multi-row INSERT statements for servers that refuse
 * local infile. Both stream: one batch of records in memory at a time.
 */
import type { PlannedColumn } from "./mysql_sql.ts";
import { loadDataLine, sqlLiteral, sqlString, toMysqlDatetime } from "./mysql_values.ts";

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
