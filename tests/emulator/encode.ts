/**
 * Encodes records as the object files the DAP serves: gzipped JSONL, CSV and
 * TSV (each part with its header) and Parquet. Flattening follows the table's
 * columns, not the data (contract §3.1). This writer is the emulator's own and
 * deliberately shares no code with the client's writers.
 */
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { ColumnSource, SchemaElement } from "hyparquet-writer";
import { type Column, META_COLUMNS, type TableSpec } from "./columns.ts";
import { type Json, stringifyJson } from "./json_text.ts";
import type { DapRecord, QueryKind } from "./rows.ts";

/** The four object formats of the Query API. */
export type DataFormat = "jsonl" | "csv" | "tsv" | "parquet";
/** CSV/TSV flattening mode. */
export type FlattenMode = "expanded" | "condensed";

/** One output column after flattening. */
export interface FlatColumn {
  name: string;
  path: string[];
  column: Column;
  /** written as JSON text */
  json: boolean;
}

/** The file-name extension of each format's objects. */
export const EXTENSIONS: Record<DataFormat, string> = {
  jsonl: "json.gz",
  csv: "csv.gz",
  tsv: "tsv.gz",
  parquet: "parquet",
};

function flatten(section: string, columns: readonly Column[], expand: boolean): FlatColumn[] {
  const out: FlatColumn[] = [];
  const walk = (prefix: string[], list: readonly Column[]) => {
    for (const column of list) {
      const path = [...prefix, column.name];
      if (column.kind === "object" && expand) walk(path, column.properties ?? []);
      else {
        const json = column.kind === "object" || column.kind === "array" ||
          column.kind === "json";
        out.push({ name: path.join("."), path, column, json });
      }
    }
  };
  walk([section], columns);
  return out;
}

/** How a table's records are laid out in columns. */
export interface LayoutOptions {
  /** how CSV/TSV flatten nested value objects @default "expanded" */
  mode?: FlattenMode;
  /** snapshots have no `meta.action` column @default "incremental" */
  kind?: QueryKind;
}

/** The flat columns of a table: meta and key always expanded, value per mode. */
export function flatColumns(spec: TableSpec, options: LayoutOptions = {}): FlatColumn[] {
  const meta = options.kind === "snapshot"
    ? META_COLUMNS.filter((c) => c.name !== "action")
    : META_COLUMNS;
  const mode = options.mode ?? "expanded";
  return [
    ...flatten("meta", meta, true),
    ...flatten("key", spec.key, true),
    ...flatten("value", spec.value, mode === "expanded"),
  ];
}

function valueAt(record: DapRecord, path: readonly string[]): Json {
  let node: unknown = record;
  for (const part of path) {
    if (node === null || typeof node !== "object") return null;
    node = (node as Record<string, unknown>)[part];
  }
  return node === undefined ? null : node as Json;
}

function plainText(value: Json, json: boolean): string {
  // JSON text leaves null properties out, as JSONL does.
  if (json) return stringifyJson(value, true);
  return typeof value === "string" ? value : stringifyJson(value);
}

/** One CSV field: NULL is empty, an empty string is `""`, quoted when needed. */
export function csvField(value: Json, json: boolean): string {
  if (value === null) return "";
  const text = plainText(value, json);
  return text === "" || /[",\r\n\t]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const TSV_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

/** One TSV field in PostgreSQL COPY text format: NULL is `\N`. */
export function tsvField(value: Json, json: boolean): string {
  if (value === null) return "\\N";
  return plainText(value, json).replace(/[\\\b\f\n\r\t\v]/g, (c) => TSV_ESCAPES[c] as string);
}

/** The uncompressed text of a CSV or TSV part, header first. */
export function delimitedText(
  records: readonly DapRecord[],
  columns: readonly FlatColumn[],
  format: "csv" | "tsv",
): string {
  const field = format === "csv" ? csvField : tsvField;
  const delimiter = format === "csv" ? "," : "\t";
  const lines = [columns.map((c) => field(c.name, false)).join(delimiter)];
  for (const record of records) {
    lines.push(columns.map((c) => field(valueAt(record, c.path), c.json)).join(delimiter));
  }
  return lines.join("\n") + "\n";
}

/** The uncompressed text of a JSONL part. */
export function jsonLinesText(records: readonly DapRecord[]): string {
  let out = "";
  for (const record of records) out += stringifyJson(record as unknown as Json, true) + "\n";
  return out;
}

function parquetElement(flat: FlatColumn): SchemaElement {
  const base = {
    name: flat.name,
    repetition_type: flat.path[0] === "value" || !flat.column.required
      ? "OPTIONAL" as const
      : "REQUIRED" as const,
  };
  if (flat.json) return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" };
  switch (flat.column.kind) {
    case "int64":
      return { ...base, type: "INT64" };
    case "int32":
      return { ...base, type: "INT32" };
    case "number":
      return { ...base, type: "DOUBLE" };
    case "boolean":
      return { ...base, type: "BOOLEAN" };
    case "date-time":
      return { ...base, type: "INT64", converted_type: "TIMESTAMP_MICROS" };
    case "date":
      return { ...base, type: "INT32", converted_type: "DATE" };
    default:
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" };
  }
}

function parquetValue(flat: FlatColumn, value: Json): unknown {
  if (value === null) return null;
  if (flat.json) return stringifyJson(value, true);
  switch (flat.column.kind) {
    case "int64":
      return BigInt(value as number | bigint);
    case "date-time":
      return BigInt(Date.parse(value as string)) * 1000n;
    case "date":
      return Math.floor(Date.parse(value as string) / 86_400_000);
    default:
      return value;
  }
}

/** A Parquet part: flattened, expanded columns, typed, SNAPPY-compressed. */
export function parquetBytes(
  records: readonly DapRecord[],
  spec: TableSpec,
  kind: QueryKind = "incremental",
): Uint8Array {
  const columns = flatColumns(spec, { mode: "expanded", kind });
  const columnData: ColumnSource[] = columns.map((flat) => ({
    name: flat.name,
    data: records.map((r) => parquetValue(flat, valueAt(r, flat.path))),
  }));
  const schema: SchemaElement[] = [
    { name: "spark_schema", num_children: columns.length },
    ...columns.map(parquetElement),
  ];
  const buffer = parquetWriteBuffer({ columnData, schema, createdBy: "dap-emulator" });
  return new Uint8Array(buffer);
}

/** The bytes of one object as served: text formats gzipped, Parquet as is. */
export function encodeObject(
  records: readonly DapRecord[],
  spec: TableSpec,
  options: LayoutOptions & { format: DataFormat; gzipLevel?: number },
): Uint8Array {
  if (options.format === "parquet") return parquetBytes(records, spec, options.kind);
  const text = options.format === "jsonl"
    ? jsonLinesText(records)
    : delimitedText(records, flatColumns(spec, options), options.format);
  return new Uint8Array(
    gzipSync(new TextEncoder().encode(text), { level: options.gzipLevel ?? 6 }),
  );
}
