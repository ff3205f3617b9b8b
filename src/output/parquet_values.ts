/**
 * The column encoders of each value type: INT64 (ids, and timestamps in
 * microseconds), INT32 (and dates in days), DOUBLE, BOOLEAN and BYTE_ARRAY
 * (strings and JSON text). Each reads a TSV field's bytes without making a
 * string on the usual path, or a parsed record's value, and keeps its min and
 * max. Values that do not fit their type are errors naming the column.
 */
import type { ColumnType, FlatColumn } from "./flatten_schema.ts";
import { type JsonValue, stringifyJson } from "./json_values.ts";
import { ColumnEncoder, type ColumnStatistics } from "./parquet_column.ts";
import type { Compress } from "./parquet_page.ts";
import { dateDays, timestampMicros } from "./parquet_time.ts";
import { latin1, simpleDate, simpleDouble, simpleTimestamp, smallInteger } from "./text_values.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const utf8 = new TextDecoder();

function unreadable(column: FlatColumn, text: string, why: string): SyntaxError {
  return new SyntaxError(`Cannot write ${column.name}: '${text.slice(0, 80)}' ${why}`);
}

/** INT64 values; safe integers stay numbers, the rest bigints. */
class Int64Encoder extends ColumnEncoder {
  #min = Infinity;
  #max = -Infinity;
  #bigMin?: bigint;
  #bigMax?: bigint;

  pushText(bytes: Uint8Array, start: number, end: number): void {
    const value = smallInteger(bytes, start, end);
    if (value !== undefined) this.pushNumber(value);
    else this.pushBig(this.parseText(latin1(bytes, start, end)));
  }

  protected parseText(text: string): bigint {
    try {
      return BigInt(text);
    } catch {
      throw unreadable(this.column, text, "is not an integer");
    }
  }

  pushValue(value: JsonValue): void {
    if (typeof value === "number" && Number.isSafeInteger(value)) this.pushNumber(value);
    else this.pushBig(BigInt(value as number));
  }

  protected pushNumber(value: number): void {
    this.values.pushInt64(value);
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    this.present();
  }

  protected pushBig(value: bigint): void {
    if (value >= -(2n ** 53n) && value <= 2n ** 53n) return this.pushNumber(Number(value));
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new RangeError(`Cannot write ${this.column.name}: ${value} is beyond 64 bits`);
    }
    this.values.pushBigInt64(value);
    if (this.#bigMin === undefined || value < this.#bigMin) this.#bigMin = value;
    if (this.#bigMax === undefined || value > this.#bigMax) this.#bigMax = value;
    this.present();
  }

  protected takeStatistics(): ColumnStatistics {
    const min = [this.#min, this.#bigMin].filter((v) => v !== undefined && v !== Infinity);
    const max = [this.#max, this.#bigMax].filter((v) => v !== undefined && v !== -Infinity);
    const stats = {
      min_value: min.length
        ? min.map((v) => BigInt(v!)).reduce((a, b) => (b < a ? b : a))
        : undefined,
      max_value: max.length
        ? max.map((v) => BigInt(v!)).reduce((a, b) => (b > a ? b : a))
        : undefined,
    };
    this.#min = Infinity;
    this.#max = -Infinity;
    this.#bigMin = this.#bigMax = undefined;
    return stats;
  }
}

/** TIMESTAMP(MICROS) as INT64: RFC 3339 text to microseconds since the epoch. */
class TimestampEncoder extends Int64Encoder {
  override pushText(bytes: Uint8Array, start: number, end: number): void {
    const micros = simpleTimestamp(bytes, start, end);
    if (micros !== undefined) this.pushNumber(micros);
    else this.pushBig(this.parseText(utf8.decode(bytes.subarray(start, end))));
  }

  protected override parseText(text: string): bigint {
    return timestampMicros(text);
  }

  override pushValue(value: JsonValue): void {
    this.pushBig(timestampMicros(value as string));
  }
}

/** INT32 values, and DATE as days since the epoch. */
class Int32Encoder extends ColumnEncoder {
  readonly #date: boolean;
  #min = Infinity;
  #max = -Infinity;

  constructor(column: FlatColumn, compress?: Compress, pageBytes?: number) {
    super(column, compress, pageBytes);
    this.#date = column.type === "date";
  }

  pushText(bytes: Uint8Array, start: number, end: number): void {
    const fast = this.#date ? simpleDate(bytes, start, end) : smallInteger(bytes, start, end);
    if (fast !== undefined) return this.#push(fast);
    const text = utf8.decode(bytes.subarray(start, end));
    this.#push(this.#date ? dateDays(text) : text.trim() === "" ? NaN : Number(text));
  }

  pushValue(value: JsonValue): void {
    this.#push(this.#date ? dateDays(value as string) : value as number);
  }

  #push(value: number): void {
    if (!Number.isSafeInteger(value) || value < -2147483648 || value > 2147483647) {
      throw unreadable(this.column, String(value), "is not a 32-bit integer");
    }
    this.values.pushInt32(value);
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    this.present();
  }

  protected takeStatistics(): ColumnStatistics {
    const seen = this.#min !== Infinity;
    const stats = {
      min_value: seen ? this.#min : undefined,
      max_value: seen ? this.#max : undefined,
    };
    this.#min = Infinity;
    this.#max = -Infinity;
    return stats;
  }
}

/** DOUBLE values; NaN counted and left out of min and max, as the format asks. */
class DoubleEncoder extends ColumnEncoder {
  #min = Infinity;
  #max = -Infinity;
  #nan = 0;

  pushText(bytes: Uint8Array, start: number, end: number): void {
    const fast = simpleDouble(bytes, start, end);
    if (fast !== undefined) return this.#push(fast);
    const text = latin1(bytes, start, end);
    const value = text.trim() === "" ? NaN : Number(text);
    if (Number.isNaN(value) && text !== "NaN") {
      throw unreadable(this.column, text, "is not a number");
    }
    this.#push(value);
  }

  pushValue(value: JsonValue): void {
    if (typeof value !== "number" && typeof value !== "bigint") {
      throw unreadable(this.column, stringifyJson(value), "is not a number");
    }
    this.#push(Number(value));
  }

  #push(value: number): void {
    this.values.pushFloat64(value);
    if (Number.isNaN(value)) this.#nan++;
    else {
      if (value < this.#min) this.#min = value;
      if (value > this.#max) this.#max = value;
    }
    this.present();
  }

  protected takeStatistics(): ColumnStatistics {
    const seen = this.#min !== Infinity || this.#max !== -Infinity;
    // signed zero: min -0, max +0 (the Parquet specification)
    const stats = {
      min_value: seen ? (this.#min === 0 ? -0 : this.#min) : undefined,
      max_value: seen ? (this.#max === 0 ? 0 : this.#max) : undefined,
      nan_count: BigInt(this.#nan),
    };
    this.#min = Infinity;
    this.#max = -Infinity;
    this.#nan = 0;
    return stats;
  }
}

/** BOOLEAN values, bit-packed (PLAIN). */
class BooleanEncoder extends ColumnEncoder {
  #count = 0;
  #seen = [false, false];

  pushText(bytes: Uint8Array, start: number, end: number): void {
    const text = latin1(bytes, start, end);
    if (text === "true" || text === "t") this.#push(true);
    else if (text === "false" || text === "f") this.#push(false);
    else throw unreadable(this.column, text, "is not a boolean");
  }

  pushValue(value: JsonValue): void {
    if (typeof value !== "boolean") {
      throw unreadable(this.column, stringifyJson(value), "is not a boolean");
    }
    this.#push(value);
  }

  #push(value: boolean): void {
    const bit = this.#count & 7;
    if (bit === 0) this.values.pushByte(0);
    if (value) this.values.bytes[this.values.length - 1]! |= 1 << bit;
    this.#count++;
    this.#seen[value ? 1 : 0] = true;
    this.present();
  }

  protected override pageValues(): Uint8Array {
    this.#count = 0;
    return this.values.content();
  }

  protected takeStatistics(): ColumnStatistics {
    const [no, yes] = this.#seen;
    this.#seen = [false, false];
    return no || yes ? { min_value: !no, max_value: !!yes } : {};
  }
}

export { BooleanEncoder, DoubleEncoder, Int32Encoder, Int64Encoder, TimestampEncoder };
export type { ColumnType };
