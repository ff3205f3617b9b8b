/**
 * A growing byte buffer for the encoders of merged files: values are appended
 * in place (little-endian, as Parquet stores them), with no object per value.
 */

const TWO_32 = 4294967296;

/** Bytes appended at the end; `bytes.subarray(0, length)` is the content. */
export class ByteBuffer {
  bytes: Uint8Array;
  view: DataView;
  length = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): void {
    if (this.length + extra > this.bytes.length) this.#grow(this.length + extra);
  }

  #grow(needed: number): void {
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** The content so far (a view, valid until the next append). */
  content(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Forgets the content and keeps the memory. */
  clear(): void {
    this.length = 0;
  }

  pushByte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  pushUint32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  pushInt32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }

  pushFloat64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** A safe integer as a little-endian int64, without a bigint. */
  pushInt64(value: number): void {
    this.reserve(8);
    const high = Math.floor(value / TWO_32);
    this.view.setUint32(this.length, value - high * TWO_32, true);
    this.view.setInt32(this.length + 4, high, true);
    this.length += 8;
  }

  pushBigInt64(value: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, value, true);
    this.length += 8;
  }

  /** `source[start, end)`, copied. */
  pushBytes(source: Uint8Array, start = 0, end = source.length): void {
    const size = end - start;
    this.reserve(size);
    const target = this.bytes;
    let at = this.length;
    if (size < 32) { for (let i = start; i < end; i++) target[at++] = source[i]!; }
    else target.set(source.subarray(start, end), at);
    this.length += size;
  }

  /** An unsigned LEB128 varint (Thrift compact, RLE run headers). */
  pushVarint(value: number): void {
    while (value >= 0x80) {
      this.pushByte((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    this.pushByte(value);
  }
}
