/**
 * The bytes of one Parquet data page (DATA_PAGE_V2, PLAIN values), as the
 * format specifies: a Thrift compact `PageHeader`, the definition levels
 * (RLE/bit-packed hybrid, bit width 1, never compressed in V2), then the
 * values, compressed. The file's footer is hyparquet-writer's.
 */
import { ByteBuffer } from "./byte_buffer.ts";

/** A compressor of page values. */
export type Compress = (bytes: Uint8Array) => Uint8Array;

/** One encoded page and what the column chunk's metadata needs of it. */
export interface EncodedPage {
  /** header, levels and values, to be written in this order */
  parts: Uint8Array[];
  /** their length */
  size: number;
  /** header, levels and values before compression */
  uncompressedSize: number;
  values: number;
}

const COMPACT_I32 = 5;
const COMPACT_STRUCT = 12;
const COMPACT_FALSE = 2;
const DATA_PAGE_V2 = 3;
const PLAIN = 0;

function field(out: ByteBuffer, delta: number, type: number): void {
  out.pushByte((delta << 4) | type);
}

function i32(out: ByteBuffer, delta: number, value: number): void {
  field(out, delta, COMPACT_I32);
  out.pushVarint(value >= 0 ? value * 2 : -value * 2 - 1);
}

/** Thrift compact `PageHeader` of a DATA_PAGE_V2 holding PLAIN values. */
function pageHeader(
  out: ByteBuffer,
  page: { rows: number; nulls: number; levels: number; raw: number; stored: number },
  compressed: boolean,
): void {
  i32(out, 1, DATA_PAGE_V2);
  i32(out, 1, page.levels + page.raw);
  i32(out, 1, page.levels + page.stored);
  field(out, 5, COMPACT_STRUCT); // field 8: data_page_header_v2
  i32(out, 1, page.rows);
  i32(out, 1, page.nulls);
  i32(out, 1, page.rows);
  i32(out, 1, PLAIN);
  i32(out, 1, page.levels);
  i32(out, 1, 0);
  if (!compressed) field(out, 1, COMPACT_FALSE); // is_compressed defaults to true
  out.pushByte(0);
  out.pushByte(0);
}

/**
 * Definition levels of a flat OPTIONAL column (1 = present), RLE/bit-packed
 * hybrid: one RLE run when all rows agree, else one bit-packed run over the
 * bitmap (bit i of byte i/8 is row i, least significant bit first).
 */
export function definitionLevels(bitmap: Uint8Array, rows: number, nulls: number): Uint8Array {
  const out = new ByteBuffer(16 + (rows >> 3));
  if (nulls === 0 || nulls === rows) {
    out.pushVarint(rows * 2);
    out.pushByte(nulls === 0 ? 1 : 0);
  } else {
    const groups = Math.ceil(rows / 8);
    out.pushVarint(groups * 2 + 1);
    out.pushBytes(bitmap, 0, groups);
  }
  return out.content();
}

/** One page: header, levels (empty for REQUIRED columns), values compressed by `compress`. */
export function encodePage(
  values: Uint8Array,
  levels: Uint8Array,
  counts: { rows: number; nulls: number },
  compress?: Compress,
): EncodedPage {
  const stored = compress ? compress(values) : values;
  const header = new ByteBuffer(64);
  pageHeader(header, {
    ...counts,
    levels: levels.length,
    raw: values.length,
    stored: stored.length,
  }, compress !== undefined);
  // The values are copied once (when not compressed: the buffer is reused for the next page).
  const kept = compress ? stored : stored.slice();
  return {
    parts: [header.content(), levels, kept],
    size: header.length + levels.length + stored.length,
    uncompressedSize: header.length + levels.length + values.length,
    values: counts.rows,
  };
}
