/**
 * The Parquet column encoders: the byte fast paths agree with the general
 * readings, and files with many pages, NULLs and every type read back
 * exactly in hyparquet and DuckDB, with the statistics they describe.
 */
import { join } from "node:path";
import { zstdDecompressSync } from "node:zlib";
import { DuckDBInstance } from "npm:@duckdb/node-api@1.5.6-r.1";
import { parquetMetadata, parquetReadObjects } from "npm:hyparquet@1.33.0";
import { assert, assertEquals } from "../support/assert.ts";
import type { FlatColumn } from "../../src/output/flatten_schema.ts";
import { ParquetSink } from "../../src/output/parquet_sink.ts";
import { dateDays, timestampMicros } from "../../src/output/parquet_time.ts";
import {
  simpleDate,
  simpleDouble,
  simpleTimestamp,
  smallInteger,
} from "../../src/output/text_values.ts";

/** A seeded generator (mulberry32), so failures repeat. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const pad = (n: number, width: number) => String(n).padStart(width, "0");

function general<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

Deno.test("simpleTimestamp() and simpleDate() answer what timestampMicros() and dateDays() do, or leave it to them", () => {
  const next = random(15);
  const pick = (n: number) => Math.floor(next() * n);
  let fast = 0;
  for (let i = 0; i < 20_000; i++) {
    const fraction = pick(4) === 0 ? "" : `.${pad(pick(1e9), 9).slice(0, 1 + pick(10))}`;
    const zone = ["Z", "Z", "Z", "z", "+02:00", ""][pick(6)];
    const year = pick(10) === 0 ? pick(10_000) : 1900 + pick(300);
    const text = `${pad(year, 4)}-${pad(pick(14), 2)}-${pad(pick(33), 2)}T${pad(pick(26), 2)}:${
      pad(pick(61), 2)
    }:${pad(pick(61), 2)}${fraction}${zone}`;
    const b = bytes(text);
    const micros = simpleTimestamp(b, 0, b.length);
    const expected = general(() => timestampMicros(text));
    if (micros !== undefined) {
      fast++;
      assertEquals(BigInt(micros), expected, text);
    }
    const days = simpleDate(b, 0, b.length);
    if (days !== undefined) assertEquals(days, general(() => dateDays(text)), text);
  }
  assert(fast > 5_000, `the fast path took ${fast} of 20000`);
  const edge = bytes("1969-12-31T23:59:59.999999Z");
  assertEquals(simpleTimestamp(edge, 0, edge.length), -1);
});

Deno.test("simpleDouble() and smallInteger() equal Number() where they answer", () => {
  const next = random(2);
  for (let i = 0; i < 50_000; i++) {
    const digits = String(Math.floor(next() * 10 ** (1 + Math.floor(next() * 17))));
    const point = Math.floor(next() * (digits.length + 1));
    const body = point === 0 || point === digits.length
      ? digits
      : `${digits.slice(0, point)}.${digits.slice(point)}`;
    const text = next() < 0.3 ? `-${body}` : body;
    const b = bytes(text);
    const value = simpleDouble(b, 0, b.length);
    if (value !== undefined) assert(Object.is(value, Number(text)), text);
    const integer = smallInteger(b, 0, b.length);
    if (integer !== undefined) assert(Object.is(integer, Number(text)), text);
  }
  for (const text of ["1e5", ".5", "1.", "", "-", "12345678901234567", "0x10", "NaN"]) {
    const b = bytes(text);
    assertEquals(simpleDouble(b, 0, b.length), undefined, text);
  }
});

const COLUMNS: FlatColumn[] = [
  { name: "meta.ts", path: ["meta", "ts"], type: "timestamp", required: true },
  { name: "key.id", path: ["key", "id"], type: "int64", required: true },
  { name: "value.n", path: ["value", "n"], type: "int32", required: false },
  { name: "value.x", path: ["value", "x"], type: "double", required: false },
  { name: "value.ok", path: ["value", "ok"], type: "boolean", required: false },
  { name: "value.day", path: ["value", "day"], type: "date", required: false },
  { name: "value.text", path: ["value", "text"], type: "string", required: false },
  { name: "value.data", path: ["value", "data"], type: "json", required: false },
];

function record(i: number) {
  const value = i % 97 === 0 ? undefined : {
    n: i % 5 === 0 ? null : i - 50_000,
    x: i % 7 === 0 ? null : i / 8 - 1000,
    ok: i % 3 === 0 ? null : i % 2 === 0,
    day: `20${pad(10 + (i % 20), 2)}-0${1 + (i % 9)}-1${i % 9}`,
    text: i % 11 === 0 ? null : `row ${i} ${"é".repeat(i % 5)}${"x".repeat(i % 50)}`,
    data: i % 13 === 0 ? null : { i, big: 9007199254740993n + BigInt(i), tags: ["a", i % 3] },
  };
  return {
    meta: { ts: new Date(Date.UTC(2026, 0, 1) + i * 1001).toISOString() },
    key: { id: i % 4 === 0 ? 10n ** 17n + BigInt(i) : i },
    ...(value ? { value } : {}),
  };
}

Deno.test("ParquetSink: many pages and row groups, NULLs, every type, read back exactly by hyparquet and DuckDB", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dap-parquet-cols-" });
  const path = join(dir, "t.parquet");
  const rows = 60_000;
  {
    using file = await Deno.open(path, { write: true, createNew: true });
    const sink = new ParquetSink(file, COLUMNS, { rowGroupRows: 40_000 });
    for (let i = 0; i < rows; i++) sink.add(record(i) as never);
    sink.close();
  }
  const buffer = (await Deno.readFile(path)).buffer as ArrayBuffer;
  const metadata = parquetMetadata(buffer);
  assertEquals(metadata.row_groups.map((g) => g.num_rows), [40_000n, 20_000n]);
  const text = metadata.row_groups[0]!.columns[6]!;
  assert(text.offset_index_length! > 0, "a column of several pages has an offset index");
  assertEquals(metadata.row_groups[0]!.columns[1]!.meta_data!.statistics!.min_value, 1n);
  const read = await parquetReadObjects({
    file: buffer,
    compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
  }) as Record<string, unknown>[];
  assertEquals(read.length, rows);
  for (const i of [0, 1, 96, 97, 4444, 39_999, 40_000, 59_999]) {
    const r = record(i);
    const v = r.value;
    assertEquals(read[i]!["key.id"], BigInt(r.key.id), `key ${i}`);
    assertEquals((read[i]!["meta.ts"] as Date).toISOString(), r.meta.ts);
    assertEquals(read[i]!["value.n"], v?.n ?? null);
    assertEquals(read[i]!["value.x"], v?.x ?? null);
    assertEquals(read[i]!["value.ok"], v?.ok ?? null);
    assertEquals(read[i]!["value.text"], v?.text ?? null);
  }
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const sums = (await connection.runAndReadAll(
    `SELECT count(*) AS n, count("value.text") AS texts, sum("value.n") AS total,
       max(CAST("value.data" AS VARCHAR)) FILTER (WHERE "key.id" = 5) AS data
     FROM read_parquet('${path}')`,
  )).getRowObjects()[0]!;
  connection.closeSync();
  instance.closeSync();
  let texts = 0, total = 0;
  for (let i = 0; i < rows; i++) {
    const v = record(i).value;
    if (v?.text) texts++;
    if (typeof v?.n === "number") total += v.n;
  }
  assertEquals([sums.n, sums.texts, Number(sums.total)], [BigInt(rows), BigInt(texts), total]);
  assertEquals(sums.data, '{"i":5,"big":9007199254740998,"tags":["a",2]}');
});
