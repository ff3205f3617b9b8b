/**
 * A typed Parquet file written row group by row group. Values go into one
 * encoder per column (`parquet_column.ts`), which keeps them as PLAIN bytes
 * and cuts compressed pages of about 1 MiB; at the end of a row group the
 * pages are written column after column. hyparquet-writer's `ParquetWriter`
 * writes the magic, the page indexes and the footer (schema, row groups,
 * statistics) from the chunk descriptions given here. Memory stays bounded
 * by one row group, compressed, whatever the table.
 *
 * Types: int64 -> INT64, int32 -> INT32, number -> DOUBLE, boolean -> BOOLEAN,
 * date-time -> TIMESTAMP(UTC, MICROS), date -> DATE, string/enum -> STRING,
 * arrays and free-form values -> JSON text. Nested fixed objects are
 * flattened into dotted columns, as in CSV. `meta.ts` and the key are
 * REQUIRED; value columns are OPTIONAL (delete records carry no value).
 */
import { gzipSync, zstdCompressSync } from "node:zlib";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { SchemaElement } from "hyparquet-writer";
import type { FlatColumn } from "./flatten_schema.ts";
import { compileGetter, type JsonValue } from "./json_values.ts";
import { type ColumnEncoder, pageBytesFor } from "./parquet_column.ts";
import { columnEncoder } from "./parquet_text_column.ts";

export { dateDays, timestampMicros } from "./parquet_time.ts";

/** Parquet compression codecs offered by `--codec`. */
export const CODECS = ["zstd", "snappy", "gzip", "none"] as const;
/** One codec. */
export type Codec = typeof CODECS[number];

const CODEC_NAMES = { zstd: "ZSTD", snappy: "SNAPPY", gzip: "GZIP", none: "UNCOMPRESSED" } as const;

/** Rows per row group at most: large enough for good compression. */
export const ROW_GROUP_ROWS = 100_000;
/**
 * Values per row group at most, before compression: bounds the pages held
 * (compressed) until the group is written, so memory stays flat for wide rows.
 */
export const ROW_GROUP_BYTES = 24 * 1024 * 1024;

type RowGroup = ParquetWriter["row_groups"][number];
type ColumnChunk = RowGroup["columns"][number];
type Statistics = NonNullable<NonNullable<ColumnChunk["meta_data"]>["statistics"]>;

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

/** A ByteWriter that flushes to an open file past 1 MiB and on finish. */
class FileByteWriter extends ByteWriter {
  readonly #file: Deno.FsFile;

  constructor(file: Deno.FsFile) {
    super(1 << 21);
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

/**
 * Writes rows to a Parquet file: push each column's value into `encoders`
 * (or `add()` a parsed record), call `endRow()` after each row, `close()` at the end.
 */
export class ParquetSink {
  readonly encoders: readonly ColumnEncoder[];
  readonly #getters: ((record: JsonValue) => JsonValue)[];
  readonly #writer: ParquetWriter;
  readonly #bytes: FileByteWriter;
  readonly #rowGroupRows: number;
  readonly #codec: typeof CODEC_NAMES[Codec];
  #rows = 0;

  constructor(
    file: Deno.FsFile,
    columns: readonly FlatColumn[],
    options: { codec?: Codec; rowGroupRows?: number } = {},
  ) {
    this.#getters = columns.map((column) => compileGetter(column.path));
    this.#rowGroupRows = options.rowGroupRows ?? ROW_GROUP_ROWS;
    this.#bytes = new FileByteWriter(file);
    this.#codec = CODEC_NAMES[options.codec ?? "zstd"];
    this.#writer = new ParquetWriter({
      writer: this.#bytes,
      schema: [{ name: "root", num_children: columns.length }, ...columns.map(parquetElement)],
      codec: this.#codec,
      compressors: {
        GZIP: (input) => new Uint8Array(gzipSync(input)),
        ZSTD: (input) => new Uint8Array(zstdCompressSync(input)),
      },
      createdBy: "dap-deno",
    });
    const compress = this.#codec === "UNCOMPRESSED"
      ? undefined
      : this.#writer.compressors[this.#codec];
    const pageBytes = pageBytesFor(columns.length);
    this.encoders = columns.map((column) => columnEncoder(column, compress, pageBytes));
  }

  /** Adds one parsed record (`_size`, its text length, is no longer needed). */
  add(record: JsonValue, _size = 0): void {
    const encoders = this.encoders;
    for (let i = 0; i < encoders.length; i++) encoders[i]!.push(this.#getters[i]!(record));
    this.endRow();
  }

  /** One row's values are in every encoder; writes a row group when it is full. */
  endRow(): void {
    const rows = ++this.#rows;
    if (rows >= this.#rowGroupRows || ((rows & 255) === 0 && this.#held() >= ROW_GROUP_BYTES)) {
      this.#flushGroup();
    }
  }

  #held(): number {
    let bytes = 0;
    for (const encoder of this.encoders) bytes += encoder.heldBytes;
    return bytes;
  }

  #flushGroup(): void {
    if (this.#rows === 0) return;
    const start = this.#bytes.offset;
    const columns = this.encoders.map((encoder) => this.#writeChunk(encoder));
    let size = 0n;
    for (const chunk of columns) size += chunk.meta_data!.total_uncompressed_size;
    this.#writer.row_groups.push({
      columns,
      total_byte_size: size,
      num_rows: BigInt(this.#rows),
      total_compressed_size: BigInt(this.#bytes.offset - start),
    });
    this.#writer.num_rows += BigInt(this.#rows);
    this.#bytes.flush();
    this.#rows = 0;
  }

  /** Writes one column's pages; describes them for the footer and the offset index. */
  #writeChunk(encoder: ColumnEncoder): ColumnChunk {
    const data = encoder.takeChunk();
    const offset = this.#bytes.offset;
    const locations = [];
    let firstRow = 0n, uncompressed = 0;
    for (const page of data.pages) {
      locations.push({
        offset: BigInt(this.#bytes.offset),
        compressed_page_size: page.size,
        first_row_index: firstRow,
      });
      for (const part of page.parts) this.#bytes.appendBytes(part);
      firstRow += BigInt(page.values);
      uncompressed += page.uncompressedSize;
    }
    const element = parquetElement(encoder.column);
    const chunk: ColumnChunk = {
      file_offset: BigInt(offset),
      meta_data: {
        type: element.type!,
        encodings: encoder.column.required ? ["PLAIN"] : ["PLAIN", "RLE"],
        path_in_schema: [encoder.column.name],
        codec: this.#codec,
        num_values: BigInt(data.rows),
        total_uncompressed_size: BigInt(uncompressed),
        total_compressed_size: BigInt(this.#bytes.offset - offset),
        data_page_offset: BigInt(offset),
        statistics: { ...data.statistics, null_count: BigInt(data.nulls) } as Statistics,
        encoding_stats: [{
          page_type: "DATA_PAGE_V2",
          encoding: "PLAIN",
          count: data.pages.length,
        }],
      },
    };
    this.#writer.pendingIndexes.push({ chunk, offsetIndex: { page_locations: locations } });
    return chunk;
  }

  /** Writes the last row group and the footer. */
  close(): void {
    this.#flushGroup();
    this.#writer.finish();
  }
}
