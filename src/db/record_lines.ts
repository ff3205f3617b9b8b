/**
 * The records of a downloaded DAP TSV part (gzipped, header first, PostgreSQL
 * COPY text format), normalized for loading: one line per record,
 * `<action>\t<meta.ts>\t<col 1>\t...\t<col N>` with the model's columns in
 * model order (`\N` where the part has no such column), so engines need no
 * header logic. Snapshot records (no `meta.action`) get `U`.
 */
import { concatBytes, partBody, partBytes, partLines } from "../output/part_lines.ts";
import type { TableModel } from "./table_model.ts";

/**
 * One part's records, readable more than once (each pass reads the file
 * anew): as batches of normalized lines, or, for a snapshot part as the API
 * serves it, as bytes that need no normalizing.
 */
export interface PartRecords extends AsyncIterable<string[]> {
  /**
   * When the part's header is `meta.ts` then the model's columns in model
   * order (a snapshot part as served), its records without `meta.ts` as
   * bytes, `<col 1>\t...\t<col N>\n` in COPY text, in chunks of whole
   * lines, with `counted` told each chunk's rows; otherwise undefined. No
   * string is made per record.
   */
  snapshotRows?(counted: (rows: number) => void): Promise<AsyncIterable<Uint8Array> | undefined>;
}

const TAB = 9;
const NEWLINE = 10;
/** Rows are handed over in chunks of about this many bytes. */
const ROW_CHUNK_BYTES = 256 * 1024;

/** How to turn one part's lines into normalized lines, from its header. */
export function lineLayout(header: string, model: TableModel): (line: string) => string {
  const names = header.split("\t");
  const at = (name: string) => names.indexOf(name);
  const ts = at("meta.ts");
  const action = at("meta.action");
  const positions = model.columns.map((c) => at(c.header));
  if (ts < 0) throw new SyntaxError("Cannot read a TSV part: its header has no meta.ts column");
  // The usual case: the header is meta.ts (and meta.action), then the model's columns in order.
  const served = [
    action < 0 ? "meta.ts" : "meta.ts\tmeta.action",
    ...model.columns.map((c) => c.header),
  ];
  if (header === served.join("\t")) {
    return action < 0 ? (line) => `U\t${line}` : (line) => {
      const tab = line.indexOf("\t");
      const tab2 = line.indexOf("\t", tab + 1);
      return `${line.slice(tab + 1, tab2)}\t${line.slice(0, tab)}${line.slice(tab2)}`;
    };
  }
  return (line) => {
    const fields = line.split("\t");
    const cells = positions.map((p) => (p < 0 ? "\\N" : fields[p] ?? "\\N"));
    return `${action < 0 ? "U" : fields[action]}\t${fields[ts]}\t${cells.join("\t")}`;
  };
}

/** The normalized records of one gzipped TSV part, in batches. */
export async function* partRecords(path: string, model: TableModel): AsyncGenerator<string[]> {
  let layout: ((line: string) => string) | undefined;
  for await (const batch of partLines(path)) {
    let lines = batch;
    if (!layout) {
      layout = lineLayout(lines[0]!, model);
      lines = lines.slice(1);
    }
    if (lines.length > 0) yield lines.map(layout);
  }
}

/** The header (first line) of a gzipped part, decoded. */
async function partHeader(path: string): Promise<string> {
  const decoder = new TextDecoder();
  let head = "";
  for await (const chunk of partBytes(path)) {
    const end = chunk.indexOf(NEWLINE);
    head += decoder.decode(end < 0 ? chunk : chunk.subarray(0, end), { stream: end < 0 });
    if (end >= 0) return head;
  }
  return head + decoder.decode();
}

/** Collects rows (a line's bytes after its first tab) into chunks of about ROW_CHUNK_BYTES. */
class RowChunks {
  #out = new Uint8Array(ROW_CHUNK_BYTES);
  #used = 0;
  #rows = 0;

  /** Adds the line `data[start, end)` (`end` at its newline or the data's end) without its first field. */
  add(data: Uint8Array, start: number, end: number): void {
    const tab = data.indexOf(TAB, start);
    if (tab < 0 || tab >= end) {
      throw new SyntaxError("Cannot read a TSV part: a record has no columns after meta.ts");
    }
    const row = data.subarray(tab + 1, end);
    if (this.#used + row.length + 1 > this.#out.length) this.#grow(row.length + 1);
    this.#out.set(row, this.#used);
    this.#out[this.#used + row.length] = NEWLINE;
    this.#used += row.length + 1;
    this.#rows++;
  }

  #grow(needed: number): void {
    const out = new Uint8Array(Math.max(2 * this.#out.length, this.#used + needed));
    out.set(this.#out.subarray(0, this.#used));
    this.#out = out;
  }

  get full(): boolean {
    return this.#used >= ROW_CHUNK_BYTES - 4096;
  }

  /** The rows collected so far (handed over: a new chunk starts). */
  take(counted: (rows: number) => void): Uint8Array {
    const rows = this.#out.subarray(0, this.#used);
    counted(this.#rows);
    this.#out = new Uint8Array(ROW_CHUNK_BYTES);
    this.#used = 0;
    this.#rows = 0;
    return rows;
  }
}

/** The records of a snapshot part after its header (`header`, with its newline), each without its first field (meta.ts), as bytes. */
async function* snapshotRowBytes(
  path: string,
  header: Uint8Array,
  counted: (rows: number) => void,
): AsyncGenerator<Uint8Array> {
  const chunks = new RowChunks();
  let carry: Uint8Array | undefined;
  for await (const bytes of partBody(path, header)) {
    const data = carry ? concatBytes(carry, bytes) : bytes;
    let start = 0;
    for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
      if (end > start) chunks.add(data, start, end);
      start = end + 1;
    }
    carry = start < data.length ? data.slice(start) : undefined;
    if (chunks.full) yield chunks.take(counted);
  }
  // The last line may lack its newline.
  if (carry) chunks.add(carry, 0, carry.length);
  const rest = chunks.take(counted);
  if (rest.length > 0) yield rest;
}

/**
 * A downloaded TSV part's records for `TableSession.load()`. `snapshotRows`
 * reads the part's first chunk to check its header, then opens it again for
 * the rows: a stream opened and not read would stay open if the load failed
 * before reading it.
 */
export function partSource(path: string, model: TableModel): PartRecords {
  const snapshotHeader = ["meta.ts", ...model.columns.map((c) => c.header)].join("\t");
  const headerBytes = new TextEncoder().encode(`${snapshotHeader}\n`);
  return {
    [Symbol.asyncIterator]: () => partRecords(path, model),
    snapshotRows: async (counted) =>
      await partHeader(path) === snapshotHeader
        ? snapshotRowBytes(path, headerBytes, counted)
        : undefined,
  };
}
