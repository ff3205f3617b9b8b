/**
 * One column of a Parquet row group being encoded: values go straight into a
 * PLAIN byte buffer (no object per value), presence into a bitmap, and every
 * ~1 MiB of values becomes a compressed page. At the end of a row group the
 * column hands over its pages and statistics. The value types are in
 * `parquet_values.ts`; the file around the pages is `parquet_sink.ts`'s.
 */
import { ByteBuffer } from "./byte_buffer.ts";
import type { FlatColumn } from "./flatten_schema.ts";
import type { JsonValue } from "./json_values.ts";
import { type Compress, definitionLevels, type EncodedPage, encodePage } from "./parquet_page.ts";

/** Values per page at most, in bytes before compression. */
export const PAGE_BYTES = 1 << 20;
/** Values buffered for pages, all columns together: wide tables get smaller pages. */
export const PAGES_BUDGET = 16 << 20;
/** Values per page at least, however wide the table. */
export const MIN_PAGE_BYTES = 64 << 10;

/** Min and max as hyparquet-writer's statistics take them. */
export interface ColumnStatistics {
  min_value?: unknown;
  max_value?: unknown;
  nan_count?: bigint;
}

/** A column's part of one row group. */
export interface ColumnChunkData {
  pages: EncodedPage[];
  rows: number;
  nulls: number;
  statistics: ColumnStatistics;
}

/** Values per page for a table of `columns` columns: at most PAGE_BYTES, within PAGES_BUDGET. */
export function pageBytesFor(columns: number): number {
  return Math.max(MIN_PAGE_BYTES, Math.min(PAGE_BYTES, Math.floor(PAGES_BUDGET / columns)));
}

/** The encoder of one column; subclasses append values of their type. */
export abstract class ColumnEncoder {
  readonly column: FlatColumn;
  protected readonly values: ByteBuffer;
  readonly #compress?: Compress;
  readonly #pageBytes: number;
  #bitmap = new Uint8Array(4096);
  #pageRows = 0;
  #pageNulls = 0;
  #pages: EncodedPage[] = [];
  #rows = 0;
  #nulls = 0;
  /** value bytes in this row group, compressed pages included before compression */
  bytes = 0;

  /** `pageBytes`: values per page (see `pageBytesFor`) @default PAGE_BYTES */
  constructor(column: FlatColumn, compress?: Compress, pageBytes = PAGE_BYTES) {
    this.column = column;
    this.#compress = compress;
    this.#pageBytes = pageBytes;
    // A page is cut past pageBytes: room for one more value of average size avoids growing.
    this.values = new ByteBuffer(pageBytes + (64 << 10));
  }

  /** Appends one field of a TSV line, `bytes[start, end)`, COPY-escaped when `escaped`. */
  abstract pushText(bytes: Uint8Array, start: number, end: number, escaped: boolean): void;

  /** Appends one non-null value of a parsed record. */
  abstract pushValue(value: JsonValue): void;

  /** Min and max of this row group; then forgets them. */
  protected abstract takeStatistics(): ColumnStatistics;

  /** Appends a value or a NULL. */
  push(value: JsonValue): void {
    if (value === null) this.pushNull();
    else this.pushValue(value);
  }

  /** Appends a NULL (a missing value of a REQUIRED column is an error). */
  pushNull(): void {
    if (this.column.required) {
      throw new SyntaxError(`Cannot write ${this.column.name}: a record has no value for it`);
    }
    this.#pageRows++;
    this.#pageNulls++;
    if (this.#pageRows >= this.#bitmap.length * 8) this.#growBitmap();
  }

  /** Subclasses call this once a present value is in `values`. */
  protected present(): void {
    if (!this.column.required) {
      const row = this.#pageRows;
      this.#bitmap[row >> 3]! |= 1 << (row & 7);
    }
    if (++this.#pageRows >= this.#bitmap.length * 8) this.#growBitmap();
    if (this.values.length >= this.#pageBytes) this.#cutPage();
  }

  #growBitmap(): void {
    const next = new Uint8Array(this.#bitmap.length * 2);
    next.set(this.#bitmap);
    this.#bitmap = next;
  }

  /** The buffered values as one page (booleans override to close their last byte). */
  protected pageValues(): Uint8Array {
    return this.values.content();
  }

  #cutPage(): void {
    if (this.#pageRows === 0) return;
    const values = this.pageValues();
    const levels = this.column.required
      ? new Uint8Array(0)
      : definitionLevels(this.#bitmap, this.#pageRows, this.#pageNulls);
    const counts = { rows: this.#pageRows, nulls: this.#pageNulls };
    this.#pages.push(encodePage(values, levels, counts, this.#compress));
    this.bytes += values.length;
    this.#rows += this.#pageRows;
    this.#nulls += this.#pageNulls;
    this.#bitmap.fill(0, 0, (this.#pageRows >> 3) + 1);
    this.#pageRows = 0;
    this.#pageNulls = 0;
    this.values.clear();
  }

  /** Value bytes held for the current row group (for sizing row groups). */
  get heldBytes(): number {
    return this.bytes + this.values.length;
  }

  /** Ends the row group: its pages, counts and statistics; the column starts afresh. */
  takeChunk(): ColumnChunkData {
    this.#cutPage();
    const chunk = {
      pages: this.#pages,
      rows: this.#rows,
      nulls: this.#nulls,
      statistics: this.takeStatistics(),
    };
    this.#pages = [];
    this.#rows = 0;
    this.#nulls = 0;
    this.bytes = 0;
    return chunk;
  }
}
