/**
 * Merges a table's downloaded JSONL parts (gzipped, verified) into one file in
 * the chosen format, streaming: part -> gunzip (node:zlib, multi-member safe)
 * -> lines -> records -> writer -> `<file>.partial` -> rename. Nothing holds a
 * part, a table or a column whole; Parquet holds one bounded row group.
 */
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { DelimitedEncoder } from "./delimited_fields.ts";
import type { FlatColumn } from "./flatten_schema.ts";
import { type JsonValue, parseJsonLossless } from "./json_values.ts";
import { type Codec, ParquetSink } from "./parquet_sink.ts";

/** Output formats of a merge. */
export type MergeFormat = "jsonl" | "csv" | "tsv" | "parquet";

/** File-name extensions of merged files. */
export const MERGE_EXTENSIONS: Record<MergeFormat, string> = {
  jsonl: "jsonl",
  csv: "csv",
  tsv: "tsv",
  parquet: "parquet",
};

/** How to merge. */
export interface MergeOptions {
  format: MergeFormat;
  /** the table's flat columns (CSV, TSV, Parquet) */
  columns: readonly FlatColumn[];
  /** Parquet codec @default "zstd" */
  codec?: Codec;
  /** Parquet rows per row group at most @default ROW_GROUP_ROWS */
  rowGroupRows?: number;
  signal?: AbortSignal;
}

/** What a merge wrote. */
export interface MergeResult {
  path: string;
  rows: number;
  size: number;
}

/** The decompressed bytes of one gzipped part (multi-member gzip included). */
async function* partBytes(path: string): AsyncGenerator<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  yield* Readable.fromWeb(file.readable as never).pipe(createGunzip()) as AsyncIterable<Uint8Array>;
}

/**
 * The decompressed lines of one gzipped part, in order, in batches (one per
 * decompressed chunk): a promise per batch rather than per line.
 */
export async function* partLines(path: string): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of partBytes(path)) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    const batch = lines.filter((line) => line !== "");
    if (batch.length > 0) yield batch;
  }
  rest += decoder.decode();
  if (rest !== "") yield [rest];
}

/** Whether a parsed value holds an integer that JSON.parse may have rounded. */
function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === "number") return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (value === null || typeof value !== "object") return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  for (let i = 0; i < items.length; i++) if (hasUnsafeInteger(items[i])) return true;
  return false;
}

/** The fast parse, and the lossless one only for records with integers beyond 2^53. */
function parseRecord(line: string): JsonValue {
  const record = JSON.parse(line);
  return hasUnsafeInteger(record) ? parseJsonLossless(line) : record;
}

/** Buffers text and writes it to a file in large pieces. */
class TextSink {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();
  #pending: string[] = [];
  #pendingLength = 0;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Buffers text; `full` says when a flush is due. */
  write(text: string): void {
    this.#pending.push(text);
    this.#pendingLength += text.length;
  }

  get full(): boolean {
    return this.#pendingLength >= 1 << 20;
  }

  async flush(): Promise<void> {
    const bytes = this.#encoder.encode(this.#pending.join(""));
    this.#pending = [];
    this.#pendingLength = 0;
    for (let written = 0; written < bytes.length;) {
      written += await this.#file.write(bytes.subarray(written));
    }
  }
}

async function writeRecords(
  parts: readonly string[],
  file: Deno.FsFile,
  options: MergeOptions,
): Promise<number> {
  let rows = 0;
  if (options.format === "parquet") {
    const sink = new ParquetSink(file, options.columns, {
      codec: options.codec,
      rowGroupRows: options.rowGroupRows,
    });
    for (const part of parts) {
      for await (const batch of partLines(part)) {
        for (const line of batch) sink.add(parseRecord(line), line.length);
        rows += batch.length;
        if (options.signal?.aborted) throw options.signal.reason;
      }
    }
    sink.close();
    return rows;
  }
  if (options.format === "jsonl") return await copyLines(parts, file, options.signal);
  const text = new TextSink(file);
  const encoder = new DelimitedEncoder(options.columns, options.format);
  text.write(encoder.header());
  for (const part of parts) {
    for await (const batch of partLines(part)) {
      for (const line of batch) text.write(encoder.line(parseRecord(line)));
      rows += batch.length;
      if (text.full) await text.flush();
      if (options.signal?.aborted) throw options.signal.reason;
    }
  }
  await text.flush();
  return rows;
}

const NEWLINE = 0x0a;

/** JSONL is lossless as served: the decompressed bytes pass through untouched, one line per record. */
async function copyLines(
  parts: readonly string[],
  file: Deno.FsFile,
  signal?: AbortSignal,
): Promise<number> {
  let rows = 0;
  for (const part of parts) {
    let last = NEWLINE;
    for await (const chunk of partBytes(part)) {
      if (signal?.aborted) throw signal.reason;
      for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) rows++;
      for (let written = 0; written < chunk.length;) {
        written += await file.write(chunk.subarray(written));
      }
      if (chunk.length > 0) last = chunk[chunk.length - 1]!;
    }
    if (last !== NEWLINE) {
      await file.write(new Uint8Array([NEWLINE]));
      rows++;
    }
  }
  return rows;
}

/** Merges `parts` (in order) into `destination`, atomically. */
export async function mergeParts(
  parts: readonly string[],
  destination: string,
  options: MergeOptions,
): Promise<MergeResult> {
  const partial = `${destination}.partial`;
  let rows: number;
  {
    using file = await Deno.open(partial, { write: true, create: true, truncate: true });
    rows = await writeRecords(parts, file, options);
    await file.syncData();
  }
  await Deno.rename(partial, destination);
  return { path: destination, rows, size: (await Deno.stat(destination)).size };
}
