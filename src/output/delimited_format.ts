/** Merged CSV or TSV in the DAP dialect: a header once, then one line per record. */
import { DelimitedEncoder } from "./delimited_fields.ts";
import type { MergedFormat, MergedFormatOptions } from "./merged_format.ts";
import { parseRecord, partLines } from "./part_lines.ts";
import { writeAll } from "./write_atomically.ts";

/** Text buffered before a write to the file. */
const FLUSH_CHARS = 1 << 20;

/** A CSV or TSV writer over the table's flat columns. */
export function delimitedFormat(
  file: Deno.FsFile,
  options: MergedFormatOptions,
  format: "csv" | "tsv",
): MergedFormat {
  const encoder = new DelimitedEncoder(options.columns, format);
  const text = new TextEncoder();
  let pending: string[] = [encoder.header()];
  let pendingLength = 0;
  const flush = async () => {
    await writeAll(file, text.encode(pending.join("")));
    pending = [];
    pendingLength = 0;
  };
  return {
    async addPart(path, signal) {
      let rows = 0;
      for await (const batch of partLines(path)) {
        for (const line of batch) {
          const out = encoder.line(parseRecord(line));
          pending.push(out);
          pendingLength += out.length;
        }
        rows += batch.length;
        if (pendingLength >= FLUSH_CHARS) await flush();
        signal.throwIfAborted();
      }
      return rows;
    },
    finish: flush,
  };
}
