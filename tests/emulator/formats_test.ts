import { parquetReadObjects } from "npm:hyparquet@1.33.0";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { Emulator } from "./emulator.ts";
import { type Json, parseJson } from "./json_text.ts";
import { call, login } from "../support/api_session.ts";
import { gunzipText } from "../support/gunzip.ts";
import { readCsv, readTsv } from "../support/read_delimited.ts";
import { csvField, tsvField } from "./encode.ts";
import { HARD_STRINGS } from "./rows.ts";

const TABLES = [["canvas", "courses"], ["canvas", "assignments"], ["canvas_logs", "web_logs"], [
  "catalog",
  "users",
], ["canvas", "wiki_pages"]] as const;

async function objectsOf(
  emulator: Emulator,
  namespace: string,
  table: string,
  body: Record<string, unknown>,
) {
  const token = await login(emulator.handler);
  const path = `/dap/query/${namespace}/table/${table}/data`;
  let job = await call(emulator.handler, token, "POST", path, body);
  while (job.status === 202) {
    await new Promise((r) => setTimeout(r, 20));
    job = await call(emulator.handler, token, "GET", `/dap/job/${job.json.id}`);
  }
  return (job.json.objects as { id: string }[]).map((o) => emulator.objectBytes(o.id));
}

function at(record: Json, path: readonly string[]): Json {
  let node: Json = record;
  for (const part of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return null;
    node = (node as Record<string, Json>)[part] ?? null;
  }
  return node;
}

function expectCell(cell: string | null, expected: Json, where: string): void {
  if (expected === null) return assertEquals(cell, null, where);
  assert(cell !== null, `${where}: NULL instead of ${JSON.stringify(String(expected))}`);
  if (typeof expected === "object") return assertEquals(parseJson(cell), expected, where);
  assertEquals(cell, String(expected), where);
}

function jsonlRecords(objects: Uint8Array[]): Json[] {
  return objects.flatMap((bytes) => gunzipText(bytes).split("\n").filter((l) => l).map(parseJson));
}

for (const [namespace, table] of TABLES) {
  for (
    const [format, mode] of [["csv", "expanded"], ["csv", "condensed"], ["tsv", "expanded"], [
      "tsv",
      "condensed",
    ]] as const
  ) {
    Deno.test(`${format} ${mode} objects of ${namespace}.${table} read back as the JSONL records`, async () => {
      const emulator = new Emulator({
        rows: 300,
        rowsPerObject: 70,
        jobWaitingMs: 0,
        jobRunningMs: 0,
      });
      const records = jsonlRecords(
        await objectsOf(emulator, namespace, table, { format: "jsonl" }),
      );
      const parts = await objectsOf(emulator, namespace, table, { format, mode });
      assertEquals(parts.length, 5);
      const read = format === "csv" ? readCsv : readTsv;
      const rows: (string | null)[][] = [];
      let header: (string | null)[] = [];
      for (const part of parts) {
        const [head, ...body] = read(gunzipText(part));
        header = head!;
        rows.push(...body);
      }
      assertEquals(rows.length, records.length);
      if (mode === "condensed" && table === "courses") assert(header.includes("value.settings"));
      if (mode === "expanded" && table === "courses") {
        assert(header.includes("value.settings.course_format"));
      }
      rows.forEach((row, i) => {
        assertEquals(row.length, header.length);
        header.forEach((name, c) =>
          expectCell(row[c]!, at(records[i]!, name!.split(".")), `row ${i} ${name}`)
        );
      });
    });
  }
  Deno.test(`parquet objects of ${namespace}.${table} read back (hyparquet) as the JSONL records`, async () => {
    const emulator = new Emulator({
      rows: 300,
      rowsPerObject: 70,
      jobWaitingMs: 0,
      jobRunningMs: 0,
    });
    const records = jsonlRecords(await objectsOf(emulator, namespace, table, { format: "jsonl" }));
    const rows: Record<string, unknown>[] = [];
    for (const part of await objectsOf(emulator, namespace, table, { format: "parquet" })) {
      rows.push(...await parquetReadObjects({ file: part.buffer as ArrayBuffer }));
    }
    assertEquals(rows.length, records.length);
    rows.forEach((row, i) => {
      for (const [name, value] of Object.entries(row)) {
        const expected = at(records[i]!, name.split("."));
        const where = `row ${i} ${name}`;
        if (expected === null) assertEquals(value ?? null, null, where);
        else if (value instanceof Date) {
          const text = expected as string;
          assertEquals(
            value.getTime(),
            Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text),
            where,
          );
        } else if (typeof value === "bigint") {
          assertEquals(value, BigInt(expected as number), where);
        } else if (typeof expected === "object") {
          assertEquals(parseJson(value as string), expected, where);
        } else assertEquals(value, expected, where);
      }
    });
  });
}

Deno.test("the emulator's CSV and TSV fields follow the contract's dialect", () => {
  assertEquals(csvField(null, false), "");
  assertEquals(csvField("", false), '""');
  assertEquals(csvField('a "b", c', false), '"a ""b"", c"');
  assertEquals(csvField("tab\there", false), '"tab\there"');
  assertEquals(csvField(12345678901234567890n, false), "12345678901234567890");
  assertEquals(tsvField(null, false), "\\N");
  assertEquals(tsvField("\\N", false), "\\\\N");
  assertEquals(tsvField("a\tb\nc\rd\\e\bf\fg\vh", false), "a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh");
  assertEquals(tsvField({ a: [1, null] }, true), '{"a":[1,null]}');
});

Deno.test("generated rows cover the hard cases", async () => {
  const emulator = new Emulator({
    rows: 600,
    rowsPerObject: 600,
    jobWaitingMs: 0,
    jobRunningMs: 0,
  });
  const text = (await objectsOf(emulator, "canvas", "courses", { format: "jsonl" })).map(gunzipText)
    .join("");
  for (const hard of HARD_STRINGS.filter((s) => s !== "")) {
    assert(text.includes(JSON.stringify(hard).slice(1, -1)), `missing ${JSON.stringify(hard)}`);
  }
  for (
    const marker of ['""', "__dap_unspecified__", "__dap_oversized_truncated__", '"settings":{']
  ) {
    assert(text.includes(marker), marker);
  }
  assert(/"id":9007199254\d{6}/.test(text), "an id beyond 2^53");
});

Deno.test("snapshot records carry meta.ts only, in every format; incremental ones meta.action too", async () => {
  const emulator = new Emulator({
    rows: 200,
    rowsPerObject: 500,
    jobWaitingMs: 0,
    jobRunningMs: 0,
  });
  const since = { since: "2026-11-01T00:00:00Z" };
  for (
    const [kind, extra, meta] of [
      ["snapshot", {}, ["meta.ts"]],
      ["incremental", since, ["meta.ts", "meta.action"]],
    ] as const
  ) {
    const [jsonl] = await objectsOf(emulator, "canvas", "courses", { format: "jsonl", ...extra });
    for (const line of gunzipText(jsonl!).trim().split("\n")) {
      const record = JSON.parse(line);
      assertEquals(Object.keys(record.meta), meta.map((m) => m.slice(5)), `${kind} ${line}`);
      assertMatch(line, /^\{"meta":\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/);
    }
    for (const format of ["csv", "tsv"] as const) {
      for (const mode of ["expanded", "condensed"] as const) {
        const [part] = await objectsOf(emulator, "canvas", "courses", { format, mode, ...extra });
        const [header] = (format === "csv" ? readCsv : readTsv)(gunzipText(part!));
        assertEquals(header!.slice(0, meta.length + 2), [
          ...meta,
          "key.id",
          "value.storage_quota",
        ], `${kind} ${format} ${mode}`);
      }
    }
    const [parquet] = await objectsOf(emulator, "canvas", "courses", {
      format: "parquet",
      ...extra,
    });
    const rows = await parquetReadObjects({ file: parquet!.buffer as ArrayBuffer });
    assertEquals(Object.keys(rows[0]!).slice(0, meta.length + 2), [
      ...meta,
      "key.id",
      "value.storage_quota",
    ], `${kind} parquet`);
    if (kind === "incremental") {
      assertEquals(new Set(rows.map((r) => r["meta.action"])), new Set(["U", "D"]));
    }
  }
});
