/**
 * BYTE_ARRAY columns: strings (UTF8) and JSON text. A TSV field's bytes are
 * copied as they are (COPY escapes undone), so a string is never decoded
 * and encoded again; a record's string is encoded once. Min and max compare
 * bytes, as the format orders byte arrays. Also the encoder factory.
 */
import type { FlatColumn } from "./flatten_schema.ts";
import { type JsonValue, stringifyJson } from "./json_values.ts";
import { ColumnEncoder, type ColumnStatistics } from "./parquet_column.ts";
import type { Compress } from "./parquet_page.ts";
import {
  BooleanEncoder,
  DoubleEncoder,
  Int32Encoder,
  Int64Encoder,
  TimestampEncoder,
} from "./parquet_values.ts";

const BACKSLASH = 92;
/** What the letter after a backslash stands for in COPY text (other bytes stand for themselves). */
const UNESCAPED = new Uint8Array(256).map((_, i) => i);
for (const [letter, byte] of [["b", 8], ["f", 12], ["n", 10], ["r", 13], ["t", 9], ["v", 11]]) {
  UNESCAPED[(letter as string).charCodeAt(0)] = byte as number;
}

/** Unsigned lexicographic order of `a[start, end)` against `b`. */
function compareBytes(a: Uint8Array, start: number, end: number, b: Uint8Array): number {
  const length = Math.min(end - start, b.length);
  for (let i = 0; i < length; i++) {
    const diff = a[start + i]! - b[i]!;
    if (diff !== 0) return diff;
  }
  return end - start - b.length;
}

/** Strings and JSON text, PLAIN: a 4-byte length, then the UTF-8 bytes. */
class ByteArrayEncoder extends ColumnEncoder {
  readonly #json: boolean;
  readonly #encoder = new TextEncoder();
  #min?: Uint8Array;
  #max?: Uint8Array;

  constructor(column: FlatColumn, compress?: Compress, pageBytes?: number) {
    super(column, compress, pageBytes);
    this.#json = column.type === "json";
  }

  pushText(bytes: Uint8Array, start: number, end: number, escaped: boolean): void {
    const values = this.values;
    values.reserve(4 + end - start);
    const at = values.length;
    values.length += 4;
    if (!escaped) values.pushBytes(bytes, start, end);
    else {
      const target = values.bytes;
      let out = values.length;
      for (let i = start; i < end; i++) {
        const byte = bytes[i]!;
        target[out++] = byte === BACKSLASH && i + 1 < end ? UNESCAPED[bytes[++i]!]! : byte;
      }
      values.length = out;
    }
    this.#added(at);
  }

  pushValue(value: JsonValue): void {
    const text = !this.#json && typeof value === "string" ? value : stringifyJson(value);
    const values = this.values;
    values.reserve(4 + text.length * 3);
    const at = values.length;
    const { written } = this.#encoder.encodeInto(text, values.bytes.subarray(at + 4));
    values.length = at + 4 + written;
    this.#added(at);
  }

  /** The value at `at` (its length not yet written) is complete. */
  #added(at: number): void {
    const values = this.values;
    const start = at + 4, end = values.length;
    values.view.setUint32(at, end - start, true);
    const bytes = values.bytes;
    if (this.#min === undefined || compareBytes(bytes, start, end, this.#min) < 0) {
      this.#min = bytes.slice(start, end);
    }
    if (this.#max === undefined || compareBytes(bytes, start, end, this.#max) > 0) {
      this.#max = bytes.slice(start, end);
    }
    this.present();
  }

  protected takeStatistics(): ColumnStatistics {
    const stats = { min_value: this.#min, max_value: this.#max };
    this.#min = this.#max = undefined;
    return stats;
  }
}

/** The encoder of a column's type (`pageBytes`: values per page). */
export function columnEncoder(
  column: FlatColumn,
  compress?: Compress,
  pageBytes?: number,
): ColumnEncoder {
  switch (column.type) {
    case "int64":
      return new Int64Encoder(column, compress, pageBytes);
    case "timestamp":
      return new TimestampEncoder(column, compress, pageBytes);
    case "int32":
    case "date":
      return new Int32Encoder(column, compress, pageBytes);
    case "double":
      return new DoubleEncoder(column, compress, pageBytes);
    case "boolean":
      return new BooleanEncoder(column, compress, pageBytes);
    case "string":
    case "json":
      return new ByteArrayEncoder(column, compress, pageBytes);
  }
}
