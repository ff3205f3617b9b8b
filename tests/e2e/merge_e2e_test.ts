/**
 * Merged output read back by independent readers, DuckDB and hyparquet, and compared value
 * by value and type by type with the JSONL the emulator served: nulls, int64
 * beyond 2^53, timestamps to the microsecond, non-ASCII text, nested values.
 */
import { join } from "node:path";
import { DuckDBInstance } from "npm:@duckdb/node-api@1.5.6-r.1";
import { assert, assertEquals } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { call, login } from "../support/api_session.ts";
import { gunzipText } from "../support/gunzip.ts";
import { demoEnv, runDap } from "./run_dap.ts";
import {
  type ColumnType,
  type FlatColumn,
  flattenSchema,
} from "../../src/output/flatten_schema.ts";
import {
  type JsonValue,
  parseJsonLossless,
  stringifyJson,
  valueAt,
} from "../../src/output/json_values.ts";
import { parquetReadObjects } from "npm:hyparquet@1.33.0";
import { zstdDecompressSync } from "node:zlib";
import { dateDays, timestampMicros } from "../../src/output/parquet_sink.ts";
import { valueText } from "../../src/output/delimited_fields.ts";
import { findTable } from "../emulator/catalogue.ts";
import { tableSchema } from "../emulator/columns.ts";
import type { Emulator } from "../emulator/emulator.ts";

const TABLES = [["canvas", "courses"], ["canvas", "assignments"], ["canvas_logs", "web_logs"], [
  "catalog",
  "users",
]] as const;
const DUCK_TYPES: Record<ColumnType, string> = {
  int64: "BIGINT",
  int32: "INTEGER",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMP WITH TIME ZONE",
  date: "DATE",
  string: "VARCHAR",
  json: "JSON",
};

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * The records of a table as the emulator serves them in JSONL: the rows the merged run's parts
 * held, in order, whatever format the run asked for (CSV/TSV/Parquet merges ask for CSV or TSV).
 */
async function servedRecords(
  emulator: Emulator,
  namespace: string,
  table: string,
): Promise<JsonValue[]> {
  const token = await login(emulator.handler);
  const path = `/dap/query/${namespace}/table/${table}/data`;
  let job = (await call(emulator.handler, token, "POST", path, { format: "jsonl" })).json;
  while (job.status !== "complete") {
    job = (await call(emulator.handler, token, "GET", `/dap/job/${job.id}`)).json;
  }
  return (job.objects as { id: string }[]).flatMap(({ id }) =>
    gunzipText(emulator.objectBytes(id)).split("\n").filter((l) => l).map(parseJsonLossless)
  );
}

async function mergedRun(namespace: string, table: string, format: string, mode = "expanded") {
  const server = serveEmulator({ rows: 300, rowsPerObject: 80, jobWaitingMs: 0, jobRunningMs: 0 });
  const out = await Deno.makeTempDir({ prefix: "dap-merge-e2e-" });
  const run = await runDap(
    [
      "snapshot",
      "--namespace",
      namespace,
      "--table",
      table,
      "--merge",
      "--format",
      format,
      "--mode",
      mode,
      "--output-directory",
      out,
    ],
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  const ext = format === "jsonl" ? "jsonl" : format;
  const path = join(out, namespace, `${table}.${ext}`);
  const records = await servedRecords(server.emulator, namespace, table);
  // A snapshot has no meta.action column, as the service's own snapshot files (issue 12).
  const columns = flattenSchema(tableSchema(findTable(namespace, table)!), mode as "expanded", {
    withAction: false,
  });
  assertEquals(
    (await Array.fromAsync(Deno.readDir(join(out, namespace)))).map((e) => e.name).sort(),
    [`.${table}.dap-manifest.json`, `${table}.${ext}`],
    "parts removed after the merge",
  );
  await server.close();
  return { path, records, columns, run };
}

function quoteSql(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function expectText(cell: unknown, expected: JsonValue, column: FlatColumn, where: string): void {
  if (expected === null) return assertEquals(cell, null, where);
  if (column.type === "json") {
    return assertEquals(parseJsonLossless(cell as string), expected, where);
  }
  assertEquals(cell, valueText(expected, column.type), where);
}

for (const [namespace, table] of TABLES) {
  Deno.test({
    name:
      `merged Parquet of ${namespace}.${table} reads back in DuckDB with the right types and values`,
    sanitizeResources: false,
    fn: async () => {
      const { path, records, columns } = await mergedRun(namespace, table, "parquet");
      const source = `read_parquet(${quoteSql(path)})`;
      const described = await query(`DESCRIBE SELECT * FROM ${source}`);
      assertEquals(
        described.map((d) => [d.column_name, d.column_type]),
        columns.map((c) => [c.name, DUCK_TYPES[c.type]]),
      );
      const select = columns.map((c) => {
        const name = `"${c.name}"`;
        if (c.type === "timestamp") return `epoch_us(${name}) AS ${name}`;
        if (c.type === "date") return `CAST(${name} - DATE '1970-01-01' AS INTEGER) AS ${name}`;
        if (c.type === "json") return `CAST(${name} AS VARCHAR) AS ${name}`;
        return name;
      }).join(", ");
      const rows = await query(`SELECT ${select} FROM ${source}`);
      assertEquals(rows.length, records.length);
      let bigIds = 0;
      rows.forEach((row, i) => {
        for (const column of columns) {
          const expected = valueAt(records[i]!, column.path);
          const cell = row[column.name] ?? null;
          const where = `row ${i} ${column.name}`;
          if (expected === null) assertEquals(cell, null, where);
          else if (column.type === "int64") assertEquals(cell, BigInt(expected as number), where);
          else if (column.type === "timestamp") {
            assertEquals(BigInt(cell as number), timestampMicros(expected as string), where);
          } else if (column.type === "date") {
            assertEquals(cell, dateDays(expected as string), where);
          } else if (column.type === "json") {
            assertEquals(parseJsonLossless(cell as string), expected, where);
          } else assertEquals(cell, expected, where);
          if (column.type === "int64" && typeof expected === "bigint") bigIds++;
        }
      });
      if (table !== "users") assert(bigIds > 0, "int64 values beyond 2^53 were compared");
      // And with hyparquet, a second independent reader.
      const objects = await parquetReadObjects({
        file: (await Deno.readFile(path)).buffer as ArrayBuffer,
        compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
      });
      assertEquals(objects.length, records.length);
      objects.forEach((row, i) => {
        for (const column of columns) {
          const expected = valueAt(records[i]!, column.path);
          const cell = (row as Record<string, unknown>)[column.name] ?? null;
          const where = `hyparquet row ${i} ${column.name}`;
          if (expected === null) assertEquals(cell, null, where);
          else if (column.type === "int64") assertEquals(cell, BigInt(expected as number), where);
          else if (column.type === "timestamp") {
            assertEquals(
              (cell as Date).getTime(),
              Number(timestampMicros(expected as string) / 1000n),
              where,
            );
          } else if (column.type === "date") {
            assertEquals(
              (cell as Date).getTime(),
              dateDays(expected as string) * 86_400_000,
              where,
            );
          } else if (column.type === "json") {
            assertEquals(cell, JSON.parse(stringifyJson(expected)), where);
          } else assertEquals(cell, expected, where);
        }
      });
    },
  });
}

for (
  const [format, mode] of [["csv", "expanded"], ["csv", "condensed"], ["tsv", "expanded"]] as const
) {
  Deno.test({
    name:
      `merged ${format.toUpperCase()} (${mode}) of canvas.courses parses in DuckDB to the served values`,
    sanitizeResources: false,
    fn: async () => {
      const { path, records, columns } = await mergedRun("canvas", "courses", format, mode);
      const options = format === "csv"
        ? "delim=',', quote='\"', escape='\"', nullstr='', allow_quoted_nulls=false"
        : "delim='\t', quote='', escape='', nullstr='\\N'";
      const rows = await query(
        `SELECT * FROM read_csv(${
          quoteSql(path)
        }, header=true, all_varchar=true, auto_detect=false, columns={${
          columns.map((c) => `${quoteSql(c.name)}: 'VARCHAR'`).join(", ")
        }}, ${options})`,
      );
      assertEquals(rows.length, records.length);
      // DuckDB reads TSV fields raw: undo the COPY escapes here.
      const unescape = (cell: unknown) =>
        typeof cell === "string" && format === "tsv"
          ? cell.replace(
            /\\(.)/g,
            (_, c: string) => ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" })[c] ?? c,
          )
          : cell;
      let emptyStrings = 0;
      rows.forEach((row, i) => {
        for (const column of columns) {
          const expected = valueAt(records[i]!, column.path);
          if (expected === "") emptyStrings++;
          expectText(
            unescape(row[column.name] ?? null),
            expected,
            column,
            `row ${i} ${column.name}`,
          );
        }
      });
      assert(emptyStrings > 0, "empty strings were told apart from NULLs");
    },
  });
}

Deno.test("merged JSONL is the served lines, in order, and incremental merges keep deletes", async () => {
  const { path, records } = await mergedRun("canvas", "users", "jsonl");
  const lines = (await Deno.readTextFile(path)).trim().split("\n").map(parseJsonLossless);
  assertEquals(lines, records);
  await using server = serveEmulator({
    rows: 300,
    rowsPerObject: 80,
    jobWaitingMs: 0,
    jobRunningMs: 0,
  });
  const out = await Deno.makeTempDir({ prefix: "dap-merge-inc-" });
  const merge = (command: string[]) =>
    runDap([
      ...command,
      "--namespace",
      "canvas",
      "--table",
      "users",
      "--merge",
      "--format",
      "csv",
      "--output-directory",
      out,
    ], demoEnv(server.url));
  const snapshot = await merge(["snapshot"]);
  assertEquals(snapshot.code, 0, snapshot.stderr);
  const snapshotCsv = await Deno.readTextFile(join(out, "canvas", "users.csv"));
  const run = await merge(["incremental", "--since", "2026-11-01T00:00:00Z"]);
  assertEquals(run.code, 0, run.stderr);
  // Issue 12: the changes go to their own file, named for their range; the snapshot's stays whole.
  assertEquals(await Deno.readTextFile(join(out, "canvas", "users.csv")), snapshotCsv);
  const names = (await Array.fromAsync(Deno.readDir(join(out, "canvas")))).map((e) => e.name);
  const changes = names.filter((n) => n.startsWith("users.incremental."));
  assertEquals(changes.length, 1, names.join(", "));
  const manifest = JSON.parse(
    await Deno.readTextFile(
      join(out, "canvas", `.${changes[0]!.replace(/\.csv$/, "")}.dap-manifest.json`),
    ),
  );
  const compact = (iso: string) => iso.replace(/[-:]/g, "").replace(/\.000Z$/, "Z");
  assertEquals(
    changes[0],
    `users.incremental.${compact(manifest.since)}-${compact(manifest.until)}.csv`,
  );
  const csv = await Deno.readTextFile(join(out, "canvas", changes[0]!));
  assertEquals(csv.split("\n")[0]!.split(",").slice(0, 3), ["meta.ts", "meta.action", "key.id"]);
  assert(csv.split("\n").some((line) => /^[^,]+,D,/.test(line)), "a delete row with meta.action D");
  assertEquals(snapshotCsv.split("\n")[0]!.split(",").slice(0, 2), ["meta.ts", "key.id"]);
  assertEquals([manifest.since, manifest.format, manifest.merged.mode, manifest.merged.file], [
    "2026-11-01T00:00:00.000Z",
    "csv",
    "expanded",
    changes[0],
  ]);
  assertEquals(manifest.files, undefined, "a merged manifest lists no (deleted) parts");
});
