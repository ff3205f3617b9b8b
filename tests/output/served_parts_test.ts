/**
 * The fast paths of --merge (issue 15): CSV and TSV parts as the API serves
 * them, copied after their header, and Parquet read field by field from TSV
 * parts, give the same files as the record-by-record paths from JSONL parts
 * of the same rows: byte for byte for CSV and TSV, value for value for Parquet.
 */
import { join } from "node:path";
import { gunzipSync, gzipSync, zstdDecompressSync } from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "npm:hyparquet@1.33.0";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { call, login } from "../support/api_session.ts";
import { Emulator } from "../emulator/emulator.ts";
import { findTable } from "../emulator/catalogue.ts";
import { tableSchema } from "../emulator/columns.ts";
import { type FlattenMode, flattenSchema } from "../../src/output/flatten_schema.ts";
import { mergeParts } from "../../src/output/merge_parts.ts";
import type { PartFormat } from "../../src/output/merged_format.ts";
import { RecordCounter } from "../../src/output/delimited_format.ts";

const TABLES = [["canvas", "courses"], ["canvas", "assignments"], ["canvas_logs", "web_logs"], [
  "canvas",
  "wiki_pages",
]] as const;
const SINCE = "2026-11-01T00:00:00Z";

/** The table's parts in one format, written to a temporary directory, in order. */
async function partsOf(
  emulator: Emulator,
  namespace: string,
  table: string,
  query: Record<string, unknown>,
): Promise<string[]> {
  const token = await login(emulator.handler);
  const path = `/dap/query/${namespace}/table/${table}/data`;
  let job = (await call(emulator.handler, token, "POST", path, query)).json;
  while (job.status !== "complete") {
    job = (await call(emulator.handler, token, "GET", `/dap/job/${job.id}`)).json;
  }
  const dir = await Deno.makeTempDir({ prefix: "dap-served-" });
  const ids = (job.objects as { id: string }[]).map((o) => o.id);
  return await Promise.all(ids.map(async (id, i) => {
    const file = join(dir, `part-${String(i).padStart(5, "0")}.gz`);
    await Deno.writeFile(file, emulator.objectBytes(id));
    return file;
  }));
}

async function merged(
  parts: string[],
  format: "csv" | "tsv" | "parquet",
  options: { mode: FlattenMode; withAction: boolean; partFormat: PartFormat; table: string },
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dap-served-out-" });
  const schema = tableSchema(findTable(...(options.table.split(".") as [string, string]))!);
  const result = await mergeParts(parts, join(dir, `t.${format}`), {
    format,
    columns: flattenSchema(schema, options.mode, { withAction: options.withAction }),
    partFormat: options.partFormat,
    rowGroupRows: 70,
  });
  return result.path;
}

for (const [namespace, table] of TABLES) {
  for (const since of [undefined, SINCE]) {
    const kind = since ? "incremental" : "snapshot";
    Deno.test(`${namespace}.${table} (${kind}): served CSV/TSV parts merge to the bytes the JSONL path writes`, async () => {
      const emulator = new Emulator({ rows: 200, rowsPerObject: 60, gzipLevel: 1 });
      const range = since ? { since } : {};
      const jsonl = await partsOf(emulator, namespace, table, { format: "jsonl", ...range });
      for (const format of ["csv", "tsv"] as const) {
        for (const mode of ["expanded", "condensed"] as const) {
          const served = await partsOf(emulator, namespace, table, { format, mode, ...range });
          const options = { mode, withAction: !!since, table: `${namespace}.${table}` };
          const fromJson = await merged(jsonl, format, { ...options, partFormat: "jsonl" });
          const fromServed = await merged(served, format, { ...options, partFormat: format });
          const text = await Deno.readTextFile(fromServed);
          assertEquals(text, await Deno.readTextFile(fromJson), `${format} ${mode}`);
          assert(text.split("\n").length > 10, "rows were merged");
        }
      }
    });
  }
}

function readParquet(path: string): Promise<Record<string, unknown>[]> {
  return Deno.readFile(path).then((bytes) =>
    parquetReadObjects({
      file: bytes.buffer as ArrayBuffer,
      compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
    }) as Promise<Record<string, unknown>[]>
  );
}

for (const [namespace, table] of TABLES) {
  Deno.test(`${namespace}.${table}: Parquet from served TSV parts holds the values Parquet from JSONL holds`, async () => {
    const emulator = new Emulator({ rows: 300, rowsPerObject: 80, gzipLevel: 1 });
    for (const since of [undefined, SINCE]) {
      const range = since ? { since } : {};
      const options = {
        mode: "expanded" as const,
        withAction: !!since,
        table: `${namespace}.${table}`,
      };
      const jsonl = await partsOf(emulator, namespace, table, { format: "jsonl", ...range });
      const tsv = await partsOf(emulator, namespace, table, {
        format: "tsv",
        mode: "expanded",
        ...range,
      });
      const fromJson = await merged(jsonl, "parquet", { ...options, partFormat: "jsonl" });
      const fromTsv = await merged(tsv, "parquet", { ...options, partFormat: "tsv" });
      const expected = await readParquet(fromJson);
      assert(expected.length > 10);
      assertEquals(await readParquet(fromTsv), expected);
      const metadata = parquetMetadata((await Deno.readFile(fromTsv)).buffer as ArrayBuffer);
      assertEquals(
        metadata.row_groups.map((g) => g.num_rows),
        parquetMetadata((await Deno.readFile(fromJson)).buffer as ArrayBuffer).row_groups.map((
          g,
        ) => g.num_rows),
      );
    }
  });
}

async function gzipPart(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".gz" });
  await Deno.writeFile(path, gzipSync(text));
  return path;
}

Deno.test("a served part whose header is not the table's columns is refused, naming both", async () => {
  const schema = tableSchema(findTable("canvas", "courses")!);
  const columns = flattenSchema(schema, "expanded", { withAction: false });
  const header = columns.map((c) => c.name);
  const swapped = [header[1], header[0], ...header.slice(2)].join(",");
  const part = await gzipPart(`${swapped}\n`);
  const dir = await Deno.makeTempDir();
  await assertRejects(
    () => mergeParts([part], join(dir, "t.csv"), { format: "csv", columns, partFormat: "csv" }),
    SyntaxError,
    `its header is not the table's columns: column 1 is 'key.id' where 'meta.ts' belongs ` +
      `(${header.length} columns served, ${header.length} expected)`,
  );
  assertEquals([...Deno.readDirSync(dir)], [], "no file left behind");
});

Deno.test("served parts: a header-only part, an empty part, a last line without a newline", async () => {
  const columns = flattenSchema(tableSchema(findTable("canvas", "courses")!), "expanded", {
    withAction: false,
  });
  const header = columns.map((c) => c.name).join("\t");
  const row = columns.map((
    c,
  ) => (c.required ? (c.type === "int64" ? "7" : "2026-11-20T08:00:00Z") : "\\N"))
    .join("\t");
  const parts = [
    await gzipPart(`${header}\n`),
    await gzipPart(""),
    await gzipPart(header),
    await gzipPart(`${header}\n${row}\n${row}`),
  ];
  const dir = await Deno.makeTempDir();
  const tsv = await mergeParts(parts, join(dir, "t.tsv"), {
    format: "tsv",
    columns,
    partFormat: "tsv",
  });
  assertEquals(tsv.rows, 2);
  assertEquals(await Deno.readTextFile(tsv.path), `${header}\n${row}\n${row}\n`);
  const parquet = await mergeParts(parts, join(dir, "t.parquet"), {
    format: "parquet",
    columns,
    partFormat: "tsv",
  });
  assertEquals(parquet.rows, 2);
  const rows = await readParquet(parquet.path);
  assertEquals(rows.map((r) => r["key.id"]), [7n, 7n]);
});

Deno.test("RecordCounter counts CSV records, not newlines inside quotes, across chunk boundaries", () => {
  const text = 'a,b\n"x\ny",1\n"say ""hi""\r\n",2\n,""\n"",3\n';
  const bytes = new TextEncoder().encode(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const counter = new RecordCounter(true);
    counter.count(bytes.subarray(0, cut));
    counter.count(bytes.subarray(cut));
    assertEquals(counter.records, 5, `cut at ${cut}`);
  }
  const tsv = new RecordCounter(false);
  tsv.count(new TextEncoder().encode("a\\nb\tc\n\\N\t\n"));
  assertEquals(tsv.records, 2);
});

Deno.test("a TSV line with the wrong number of fields is an error naming the part and the line", async () => {
  const columns = flattenSchema(tableSchema(findTable("canvas", "courses")!), "expanded", {
    withAction: false,
  });
  const header = columns.map((c) => c.name).join("\t");
  const part = await gzipPart(`${header}\n2026-11-20T08:00:00Z\t7\n`);
  const dir = await Deno.makeTempDir();
  await assertRejects(
    () =>
      mergeParts([part], join(dir, "t.parquet"), { format: "parquet", columns, partFormat: "tsv" }),
    SyntaxError,
    `line 2 has 2 fields, the header ${columns.length}`,
  );
  assertEquals(gunzipSync(await Deno.readFile(part)).length > 0, true);
});
