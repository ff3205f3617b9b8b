/**
 * Merged CSV or TSV in the DAP dialect: a header once, then one line per
 * record. Parts served in the same format and mode (what the merged
 * destination asks for) are copied as they are after their header, which
 * must be the table's; JSONL parts are encoded record by record.
 */
import { DelimitedEncoder } from "./delimited_fields.ts";
import type { MergedFormat, MergedFormatOptions } from "./merged_format.ts";
import { parseRecord, partBody, partLines } from "./part_lines.ts";
import { writeAll } from "./write_atomically.ts";

/** Text buffered before a write to the file. */
const FLUSH_CHARS = 1 << 20;
const NEWLINE = 10;
const QUOTE = 34;

/** A CSV or TSV writer over the table's flat columns. */
export function delimitedFormat(
  file: Deno.FsFile,
  options: MergedFormatOptions,
  format: "csv" | "tsv",
): MergedFormat {
  const encoder = new DelimitedEncoder(options.columns, format);
  return (options.partFormat ?? "jsonl") === "jsonl"
    ? encodedFormat(file, encoder)
    : servedFormat(file, new TextEncoder().encode(encoder.header()), format);
}

/** Records of JSONL parts, encoded line by line. */
function encodedFormat(file: Deno.FsFile, encoder: DelimitedEncoder): MergedFormat {
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

/** Parts served as CSV or TSV: the header once, then each part's rows as they are. */
function servedFormat(file: Deno.FsFile, header: Uint8Array, format: "csv" | "tsv"): MergedFormat {
  let started = false;
  const start = async () => {
    if (!started) await writeAll(file, header);
    started = true;
  };
  return {
    async addPart(path, signal) {
      await start();
      const counter = new RecordCounter(format === "csv");
      let last = NEWLINE;
      for await (const chunk of partBody(path, header)) {
        signal.throwIfAborted();
        counter.count(chunk);
        await writeAll(file, chunk);
        last = chunk[chunk.length - 1]!;
      }
      if (last !== NEWLINE) await writeAll(file, new Uint8Array([NEWLINE]));
      return counter.records + (last !== NEWLINE ? 1 : 0);
    },
    finish: start,
  };
}

/**
 * Counts the records of CSV or TSV bytes: a newline ends a record, except
 * inside a quoted CSV field (where CR and LF are data). In TSV they are
 * always escaped. A `""` inside quotes toggles twice, so parity is enough.
 */
export class RecordCounter {
  readonly #quotes: boolean;
  #quoted = false;
  records = 0;

  constructor(quotes: boolean) {
    this.#quotes = quotes;
  }

  count(bytes: Uint8Array): void {
    if (!this.#quotes) {
      for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) {
        this.records++;
      }
      return;
    }
    // A plain loop: about 1 GB/s here, three times indexOf's speed on quote-heavy rows (JSON columns).
    let quoted = this.#quoted, records = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === QUOTE) quoted = !quoted;
      else if (byte === NEWLINE && !quoted) records++;
    }
    this.#quoted = quoted;
    this.records += records;
  }
}
