/**
 * The writers of merged files, one per format, chosen from a registry: each
 * appends the records of verified parts to one open file and finishes it.
 * Adding a format is one file plus its line here.
 */
import type { DataFormat } from "./data_format.ts";
import { delimitedFormat } from "./delimited_format.ts";
import type { FlatColumn } from "./flatten_schema.ts";
import { jsonlFormat } from "./jsonl_format.ts";
import type { Codec } from "./parquet_sink.ts";
import { parquetFormat } from "./parquet_format.ts";

/** The format of the parts merged: JSONL, or CSV/TSV as the API flattens them. */
export type PartFormat = "jsonl" | "csv" | "tsv";

/**
 * The part format worth asking the API for, per merged format: CSV and TSV
 * as they are (the server already flattens them; only the header is dropped),
 * Parquet from TSV (read field by field into typed columns, integers exact
 * from their digits), JSONL as it is.
 */
export const PART_FORMATS: Record<DataFormat, PartFormat> = {
  jsonl: "jsonl",
  csv: "csv",
  tsv: "tsv",
  parquet: "tsv",
};

/** Appends parts' records to one file in one format. */
export interface MergedFormat {
  /** appends the records of one gzipped part; resolves with the rows added */
  addPart(path: string, signal: AbortSignal): Promise<number>;
  /** writes what is buffered and any footer */
  finish(): Promise<void>;
}

/** What a writer needs to know about the table and the output. */
export interface MergedFormatOptions {
  /** the table's flat columns (CSV, TSV, Parquet) */
  columns: readonly FlatColumn[];
  /**
   * the parts' format: CSV/TSV parts must be in the merged file's mode
   * (expanded or condensed) and have exactly its columns @default "jsonl"
   */
  partFormat?: PartFormat;
  /** Parquet codec @default "zstd" */
  codec?: Codec;
  /** Parquet rows per row group at most @default ROW_GROUP_ROWS */
  rowGroupRows?: number;
}

/** The writer of each format. */
export const MERGED_FORMATS: Record<
  DataFormat,
  (file: Deno.FsFile, options: MergedFormatOptions) => MergedFormat
> = {
  jsonl: (file) => jsonlFormat(file),
  csv: (file, options) => delimitedFormat(file, options, "csv"),
  tsv: (file, options) => delimitedFormat(file, options, "tsv"),
  parquet: (file, options) => parquetFormat(file, options),
};
