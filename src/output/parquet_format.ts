/** Merged Parquet: typed columns, written row group by row group (see parquet_sink.ts). */
import type { MergedFormat, MergedFormatOptions } from "./merged_format.ts";
import { ParquetSink } from "./parquet_sink.ts";
import { parseRecord, partLines } from "./part_lines.ts";

/** A Parquet writer over the table's flat columns. */
export function parquetFormat(file: Deno.FsFile, options: MergedFormatOptions): MergedFormat {
  const sink = new ParquetSink(file, options.columns, {
    codec: options.codec,
    rowGroupRows: options.rowGroupRows,
  });
  return {
    async addPart(path, signal) {
      let rows = 0;
      for await (const batch of partLines(path)) {
        for (const line of batch) sink.add(parseRecord(line), line.length);
        rows += batch.length;
        signal.throwIfAborted();
      }
      return rows;
    },
    finish() {
      sink.close();
      return Promise.resolve();
    },
  };
}
