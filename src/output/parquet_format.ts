/** Merged Parquet: typed columns, written row group by row group (see parquet_sink.ts). */
import { basename } from "node:path";
import { DelimitedEncoder } from "./delimited_fields.ts";
import type { MergedFormat, MergedFormatOptions } from "./merged_format.ts";
import { ParquetSink } from "./parquet_sink.ts";
import { parseRecord, partBody, partLines } from "./part_lines.ts";
import { TsvColumnReader } from "./tsv_columns.ts";

/** A Parquet writer over the table's flat columns, from JSONL or TSV parts. */
export function parquetFormat(file: Deno.FsFile, options: MergedFormatOptions): MergedFormat {
  const sink = new ParquetSink(file, options.columns, {
    codec: options.codec,
    rowGroupRows: options.rowGroupRows,
  });
  const partFormat = options.partFormat ?? "jsonl";
  if (partFormat === "csv") throw new RangeError("Cannot write Parquet from CSV parts: use TSV");
  const header = new TextEncoder().encode(new DelimitedEncoder(options.columns, "tsv").header());
  return {
    addPart: (path, signal) =>
      partFormat === "tsv"
        ? addTsvPart(sink, path, header, signal)
        : addJsonPart(sink, path, signal),
    finish() {
      sink.close();
      return Promise.resolve();
    },
  };
}

async function addJsonPart(sink: ParquetSink, path: string, signal: AbortSignal): Promise<number> {
  let rows = 0;
  for await (const batch of partLines(path)) {
    for (const line of batch) sink.add(parseRecord(line));
    rows += batch.length;
    signal.throwIfAborted();
  }
  return rows;
}

/** A TSV part in the schema's columns: each field goes straight into its column. */
async function addTsvPart(
  sink: ParquetSink,
  path: string,
  header: Uint8Array,
  signal: AbortSignal,
): Promise<number> {
  const reader = new TsvColumnReader(sink.encoders, () => sink.endRow(), basename(path));
  let rows = 0;
  for await (const chunk of partBody(path, header)) {
    rows += reader.read(chunk);
    signal.throwIfAborted();
  }
  return rows + reader.end();
}
