/**
 * Reads the lines of a TSV part (PostgreSQL COPY text, as DAP serves it)
 * into column encoders, field by field, straight from the decompressed
 * bytes: no string is made for a line or a field on the usual path. `\N` is
 * NULL; other escapes are undone by the encoders that keep text.
 */
import type { ColumnEncoder } from "./parquet_column.ts";

const NEWLINE = 10;
const TAB = 9;
const BACKSLASH = 92;
const LETTER_N = 78;

/** Feeds complete TSV lines to one encoder per column, then calls `endRow`. */
export class TsvColumnReader {
  readonly #encoders: readonly ColumnEncoder[];
  readonly #endRow: () => void;
  readonly #name: string;
  #carry?: Uint8Array;
  #line = 1;

  /** `name` names the part in errors. */
  constructor(encoders: readonly ColumnEncoder[], endRow: () => void, name: string) {
    this.#encoders = encoders;
    this.#endRow = endRow;
    this.#name = name;
  }

  /** Reads the complete lines of the part's next bytes (a partial last line waits); returns the rows read. */
  read(bytes: Uint8Array): number {
    let start = 0, rows = 0;
    if (this.#carry) {
      // Only the line that spans two chunks is copied.
      const end = bytes.indexOf(NEWLINE);
      if (end < 0) {
        this.#carry = concat(this.#carry, bytes);
        return 0;
      }
      const line = concat(this.#carry, bytes.subarray(0, end));
      this.#carry = undefined;
      this.#readLine(line, 0, line.length);
      rows++;
      start = end + 1;
    }
    for (let end = bytes.indexOf(NEWLINE, start); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
      this.#readLine(bytes, start, end);
      rows++;
      start = end + 1;
    }
    if (start < bytes.length) this.#carry = bytes.slice(start);
    return rows;
  }

  /** Ends the part: a last line without a newline is still a row. */
  end(): number {
    const carry = this.#carry;
    this.#carry = undefined;
    if (!carry) return 0;
    this.#readLine(carry, 0, carry.length);
    return 1;
  }

  #readLine(bytes: Uint8Array, start: number, end: number): void {
    const encoders = this.#encoders;
    const last = encoders.length - 1;
    let column = 0, fieldStart = start, escaped = false;
    this.#line++;
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      if (byte === TAB) {
        if (column === last) throw this.#fieldsError(bytes, start, end);
        this.#field(encoders[column++]!, bytes, fieldStart, i, escaped);
        fieldStart = i + 1;
        escaped = false;
      } else if (byte === BACKSLASH) {
        escaped = true;
        i++;
      }
    }
    if (column !== last) throw this.#fieldsError(bytes, start, end);
    this.#field(encoders[column]!, bytes, fieldStart, end, escaped);
    this.#endRow();
  }

  #field(
    encoder: ColumnEncoder,
    bytes: Uint8Array,
    start: number,
    end: number,
    escaped: boolean,
  ): void {
    if (
      escaped && end - start === 2 && bytes[start] === BACKSLASH && bytes[start + 1] === LETTER_N
    ) {
      encoder.pushNull();
    } else encoder.pushText(bytes, start, end, escaped);
  }

  #fieldsError(bytes: Uint8Array, start: number, end: number): SyntaxError {
    let fields = 1;
    for (let i = start; i < end; i++) if (bytes[i] === TAB) fields++;
    return new SyntaxError(
      `Cannot read ${this.#name}: line ${this.#line} has ${fields} fields, the header ${this.#encoders.length}`,
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
