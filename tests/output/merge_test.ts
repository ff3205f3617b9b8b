import { join } from "node:path";
import { gunzipSync, gzipSync, zstdDecompressSync } from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "npm:hyparquet@1.33.0";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { flattenSchema } from "../../src/output/flatten_schema.ts";
import { csvField, DelimitedEncoder, tsvField } from "../../src/output/delimited_fields.ts";
import { parseJsonLossless, stringifyJson } from "../../src/output/json_values.ts";
import { mergeParts } from "../../src/output/merge_parts.ts";
import { dateDays, timestampMicros } from "../../src/output/parquet_sink.ts";

const TESTDATA = new URL("../testdata/", import.meta.url).pathname;
const schema = JSON.parse(await Deno.readTextFile(join(TESTDATA, "golden_schema.json")));
const input = await Deno.readTextFile(join(TESTDATA, "golden_input.jsonl"));

/** Writes the golden input as two gzipped parts (the second with two gzip members). */
async function goldenParts(): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "dap-merge-" });
  const [a, b, c] = input.trim().split("\n");
  const first = join(dir, "part-0.json.gz"), second = join(dir, "part-1.json.gz");
  await Deno.writeFile(first, gzipSync(`${a}\n`));
  await Deno.writeFile(second, new Uint8Array([...gzipSync(`${b}\n`), ...gzipSync(`${c}\n`)]));
  return [first, second];
}

Deno.test("flattenSchema() follows the schema: meta and key expanded, value by mode, arrays as JSON", () => {
  const expanded = flattenSchema(schema, "expanded");
  assertEquals(expanded.map((c) => [c.name, c.type, c.required]), [
    ["meta.ts", "timestamp", true],
    ["meta.action", "string", false],
    ["key.id", "int64", true],
    ["value.name", "string", false],
    ["value.workflow_state", "string", false],
    ["value.course_code", "string", false],
    ["value.account_id", "int64", false],
    ["value.is_public", "boolean", false],
    ["value.points", "double", false],
    ["value.limit", "int32", false],
    ["value.start_at", "timestamp", false],
    ["value.syllabus_body", "string", false],
    ["value.settings.course_format", "string", false],
    ["value.settings.hide_final_grade", "string", false],
    ["value.submission_types", "json", false],
  ]);
  const condensed = flattenSchema(schema, "condensed").map((c) => `${c.name}:${c.type}`);
  assertEquals(condensed.slice(-2), ["value.settings:json", "value.submission_types:json"]);
});

Deno.test("CSV and TSV fields follow the dialect: NULL, empty string, quotes, escapes", () => {
  assertEquals([csvField(null, "string"), csvField("", "string"), csvField('a "b", c', "string")], [
    "",
    '""',
    '"a ""b"", c"',
  ]);
  assertEquals(csvField("x\r\ny", "string"), '"x\r\ny"');
  assertEquals(csvField(12345678901234567890n, "int64"), "12345678901234567890");
  assertEquals(csvField({ a: [1, null], b: null }, "json"), '"{""a"":[1,null],""b"":null}"');
  assertEquals([tsvField(null, "string"), tsvField("", "string"), tsvField("\\N", "string")], [
    "\\N",
    "",
    "\\\\N",
  ]);
  assertEquals(tsvField("a\tb\nc\rd\\e\bf\fg\vh", "string"), "a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh");
  assertEquals(tsvField(false, "boolean"), "false");
});

Deno.test("merged CSV (expanded) and TSV (condensed) equal the hand-made golden files", async () => {
  const parts = await goldenParts();
  const dir = await Deno.makeTempDir({ prefix: "dap-merge-out-" });
  const csv = await mergeParts(parts, join(dir, "t.csv"), {
    format: "csv",
    columns: flattenSchema(schema, "expanded"),
  });
  assertEquals(csv.rows, 3);
  assertEquals(
    await Deno.readTextFile(csv.path),
    await Deno.readTextFile(join(TESTDATA, "golden_expanded.csv")),
  );
  const tsv = await mergeParts(parts, join(dir, "t.tsv"), {
    format: "tsv",
    columns: flattenSchema(schema, "condensed"),
  });
  assertEquals(
    await Deno.readTextFile(tsv.path),
    await Deno.readTextFile(join(TESTDATA, "golden_condensed.tsv")),
  );
  const jsonl = await mergeParts(parts, join(dir, "t.jsonl"), { format: "jsonl", columns: [] });
  assertEquals(await Deno.readTextFile(jsonl.path), input);
  assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
    "t.csv",
    "t.jsonl",
    "t.tsv",
  ]);
});

Deno.test("merged Parquet is typed, keeps int64 beyond 2^53, microseconds, nulls and deletes", async () => {
  const parts = await goldenParts();
  const dir = await Deno.makeTempDir({ prefix: "dap-merge-pq-" });
  for (const codec of ["zstd", "snappy", "gzip", "none"] as const) {
    const result = await mergeParts(parts, join(dir, `t-${codec}.parquet`), {
      format: "parquet",
      columns: flattenSchema(schema, "expanded"),
      codec,
      rowGroupRows: 2,
    });
    const file = (await Deno.readFile(result.path)).buffer as ArrayBuffer;
    const metadata = parquetMetadata(file);
    assertEquals(metadata.row_groups.map((g) => g.num_rows), [2n, 1n]);
    const columns = metadata.row_groups[0]!.columns.map((c) => c.meta_data!.codec);
    assertEquals(
      new Set(columns),
      new Set([{ zstd: "ZSTD", snappy: "SNAPPY", gzip: "GZIP", none: "UNCOMPRESSED" }[codec]]),
    );
    const rows = await parquetReadObjects({
      file,
      compressors: {
        ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)),
        GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
      },
    });
    assertEquals(rows.length, 3);
    const [first, second, deleted] = rows as Record<string, unknown>[];
    assertEquals(first!["key.id"], 9007199254740993n);
    assertEquals((first!["meta.ts"] as Date).toISOString(), "2026-11-20T08:00:00.123Z");
    assertEquals(
      first!["value.submission_types"],
      ["online_upload", "a,b"],
      "JSON read back as JSON",
    );
    assertEquals(first!["value.limit"], -5);
    assertEquals(second!["value.account_id"], null);
    assertEquals(second!["value.name"], "naïve café – 日本語");
    assertEquals([deleted!["meta.action"], deleted!["value.name"]], ["D", null]);
  }
  const schemaElements =
    parquetMetadata((await Deno.readFile(join(dir, "t-zstd.parquet"))).buffer as ArrayBuffer)
      .schema;
  const ts = schemaElements.find((e) => e.name === "meta.ts")!;
  assertEquals([ts.repetition_type, ts.type, ts.logical_type], ["REQUIRED", "INT64", {
    type: "TIMESTAMP",
    isAdjustedToUTC: true,
    unit: "MICROS",
  }]);
  assertEquals(schemaElements.find((e) => e.name === "value.name")!.repetition_type, "OPTIONAL");
});

Deno.test("timestampMicros() and dateDays() are exact", () => {
  assertEquals(timestampMicros("2026-11-20T08:00:00.123456Z"), 1_795_161_600_123_456n);
  assertEquals(timestampMicros("2026-11-20T10:00:00+02:00"), 1_795_161_600_000_000n);
  assertEquals(timestampMicros("1969-12-31T23:59:59.999999Z"), -1n);
  assertEquals(dateDays("1970-01-02"), 1);
  assertThrows(
    () => timestampMicros("yesterday"),
    SyntaxError,
    "Cannot read timestamp 'yesterday'",
  );
});

Deno.test("parseJsonLossless() keeps big integers; stringifyJson() writes them back", () => {
  const value = parseJsonLossless(
    '{"a":9007199254740993,"b":[1.5,-12345678901234567890],"c":null}',
  );
  assertEquals(value, { a: 9007199254740993n, b: [1.5, -12345678901234567890n], c: null });
  assertEquals(
    stringifyJson(value),
    '{"a":9007199254740993,"b":[1.5,-12345678901234567890],"c":null}',
  );
  const encoder = new DelimitedEncoder(flattenSchema(schema, "expanded"), "csv");
  assert(encoder.header().startsWith("meta.ts,meta.action,key.id,"));
});
