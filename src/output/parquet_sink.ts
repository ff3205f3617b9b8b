/**
 * A typed Parquet file written row group by row group with hyparquet-writer:
 * rows are buffered up to a bounded row group, transposed into columns,
 * encoded and flushed to disk, so memory stays bounded whatever the table.
 *
 * Types: int64 -> INT64, int32 -> INT32, number -> DOUBLE, boolean -> BOOLEAN,
 * date-time -> TIMESTAMP(UTC, MICROS), date -> DATE, string/enum -> STRING,
 * arrays and free-form values -> JSON text. Nested fixed objects are
 * flattened into dotted columns, as in CSV. `meta.ts` and the key are
 * REQUIRED; value columns are OPTIONAL (delete records carry no value).
 */
import { gzipSync, zstdCompressSync } from "node:zlib";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ColumnSource, SchemaElement } from "hyparquet-writer";
import type { FlatColumn } from "./flatten_schema.ts";
import { compileGetter, type JsonValue, stringifyJson } from "./json_values.ts";

/** Parquet compression codecs offered by `--codec`. */
export const CODECS = ["zstd", "snappy", "gzip", "none"] as const;
/** One codec. */
export type Codec = typeof CODECS[number];

const CODEC_NAMES = { zstd: "ZSTD", snappy: "SNAPPY", gzip: "GZIP", none: "UNCOMPRESSED" } as const;

/** Rows per row group at most: large enough for good compression. */
export const ROW_GROUP_ROWS = 100_000;
/** JSON text per row group at most (buffered as JS values): bounds memory for wide rows. */
export const ROW_GROUP_BYTES = 8 * 1024 * 1024;

/** The Parquet schema element of a flat column. */
export function parquetElement(column: FlatColumn): SchemaElement {
  const base = {
    name: column.name,
    repetition_type: column.required ? "REQUIRED" as const : "OPTIONAL" as const,
  };
  switch (column.type) {
    case "int64":
      return { ...base, type: "INT64" };
    case "int32":
      return { ...base, type: "INT32" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "boolean":
      return { ...base, type: "BOOLEAN" };
    case "timestamp":
      return {
        ...base,
        type: "INT64",
        converted_type: "TIMESTAMP_MICROS",
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
      };
    case "date":
      return { ...base, type: "INT32", converted_type: "DATE" };
    case "json":
      return { ...base, type: "BYTE_ARRAY", converted_type: "JSON" };
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" };
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Microseconds since the epoch of an RFC 3339 timestamp, exact to the microsecond. */
export function timestampMicros(text: string): bigint {
  const match = text.match(TIMESTAMP);
  if (!match) throw new SyntaxError(`Cannot read timestamp '${text}'`);
  const seconds = Date.parse(`${match[1]}${match[3] ?? "Z"}`);
  if (Number.isNaN(seconds)) throw new SyntaxError(`Cannot read timestamp '${text}'`);
  const fraction = (match[2] ?? "").padEnd(6, "0").slice(0, 6);
  return BigInt(seconds) * 1000n + BigInt(fraction);
}

/** Days since the epoch of a `YYYY-MM-DD` date. */
export function dateDays(text: string): number {
  const ms = Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new SyntaxError(`Cannot read date '${text}'`);
  return Math.floor(ms / 86_400_000);
}

const rawJson = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

/**
 * hyparquet-writer stringifies JSON columns itself and would round bigints to
 * numbers; raw JSON numbers (JSON.rawJSON) pass through it exactly.
 */
function withRawIntegers(value: JsonValue): unknown {
  if (typeof value === "bigint") return rawJson(value.toString());
  if (Array.isArray(value)) return value.map(withRawIntegers);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key in value) out[key] = withRawIntegers(value[key]!);
    return out;
  }
  return value;
}

function cell(column: FlatColumn, value: JsonValue): unknown {
  if (value === null) return null;
  switch (column.type) {
    case "int64":
      return typeof value === "bigint" ? value : BigInt(value as number);
    case "timestamp":
      return timestampMicros(value as string);
    case "date":
      return dateDays(value as string);
    case "json":
      return withRawIntegers(value);
    case "string":
      return typeof value === "string" ? value : stringifyJson(value);
    default:
      return value;
  }
}

/** A ByteWriter that flushes to an open file past 1 MiB and on finish. */
class FileByteWriter extends ByteWriter {
  readonly #file: Deno.FsFile;

  constructor(file: Deno.FsFile) {
    super(1 << 20);
    this.#file = file;
  }

  override ensure(size: number): void {
    if (this.index > 1 << 20) this.flush();
    super.ensure(size);
  }

  flush(): void {
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    for (let written = 0; written < bytes.length;) {
      written += this.#file.writeSync(bytes.subarray(written));
    }
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

/** Writes records to a Parquet file; call `add()` per record and `close()` at the end. */
export class ParquetSink {
  readonly #columns: readonly FlatColumn[];
  readonly #getters: ((record: JsonValue) => JsonValue)[];
  readonly #writer: ParquetWriter;
  readonly #bytes: FileByteWriter;
  readonly #rowGroupRows: number;
  #buffer: unknown[][];
  /** rows and JSON bytes in the buffer */
  #rows = 0;
  #bufferedBytes = 0;

  constructor(
    file: Deno.FsFile,
    columns: readonly FlatColumn[],
    options: { codec?: Codec; rowGroupRows?: number } = {},
  ) {
    this.#columns = columns;
    this.#getters = columns.map((column) => compileGetter(column.path));
    this.#rowGroupRows = options.rowGroupRows ?? ROW_GROUP_ROWS;
    this.#bytes = new FileByteWriter(file);
    this.#buffer = columns.map(() => []);
    this.#writer = new ParquetWriter({
      writer: this.#bytes,
      schema: [{ name: "root", num_children: columns.length }, ...columns.map(parquetElement)],
      codec: CODEC_NAMES[options.codec ?? "zstd"],
      compressors: {
        GZIP: (input) => new Uint8Array(gzipSync(input)),
        ZSTD: (input) => new Uint8Array(zstdCompressSync(input)),
      },
      createdBy: "dap-deno",
    });
  }

  /** Adds one record (`size`: its JSON text length); writes a row group when the buffer is full. */
  add(record: JsonValue, size = 0): void {
    for (let i = 0; i < this.#columns.length; i++) {
      this.#buffer[i]!.push(cell(this.#columns[i]!, this.#getters[i]!(record)));
    }
    this.#bufferedBytes += size;
    if (++this.#rows >= this.#rowGroupRows || this.#bufferedBytes >= ROW_GROUP_BYTES) {
      this.#flushGroup();
    }
  }

  #flushGroup(): void {
    const count = this.#buffer[0]?.length ?? 0;
    if (count === 0) return;
    const columnData: ColumnSource[] = this.#columns.map((column, i) => ({
      name: column.name,
      data: this.#buffer[i]!,
      nullable: !column.required,
    }));
    this.#writer.write({ columnData, rowGroupSize: count });
    this.#bytes.flush();
    this.#buffer = this.#columns.map(() => []);
    this.#rows = 0;
    this.#bufferedBytes = 0;
  }

  /** Writes the last row group and the footer. */
  close(): void {
    this.#flushGroup();
    this.#writer.finish();
  }
}
