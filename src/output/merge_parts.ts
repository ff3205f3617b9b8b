/**
 * Merges a table's downloaded parts (gzipped, verified; JSONL, or CSV/TSV as
 * `partFormat` says) into one file in the chosen format, streaming: part ->
 * gunzip -> lines or fields -> writer -> `<file>.partial` -> rename. Nothing holds a part, a table or a column
 * whole; Parquet holds one bounded row group. Parts are added one at a time,
 * in order, as they arrive.
 */
import type { DataFormat } from "./data_format.ts";
import { MERGED_FORMATS, type MergedFormat, type MergedFormatOptions } from "./merged_format.ts";
import { AtomicFile, writeError } from "./write_atomically.ts";

/** How to merge. */
export interface MergeOptions extends MergedFormatOptions {
  format: DataFormat;
  signal?: AbortSignal;
}

/** What a merge wrote. */
export interface MergeResult {
  path: string;
  rows: number;
  size: number;
}

/** One merged file being written: add parts in order, then commit or abort. */
export class MergedFile {
  readonly #atomic: AtomicFile;
  readonly #writer: MergedFormat;
  readonly #signal: AbortSignal;
  #rows = 0;

  private constructor(atomic: AtomicFile, options: MergeOptions) {
    this.#atomic = atomic;
    this.#writer = MERGED_FORMATS[options.format](atomic.file, options);
    this.#signal = options.signal ?? new AbortController().signal;
  }

  /** Starts `<path>.partial`. */
  static async open(path: string, options: MergeOptions): Promise<MergedFile> {
    return new MergedFile(await AtomicFile.open(path), options);
  }

  /** Appends one part's records. */
  async add(part: string): Promise<void> {
    try {
      this.#rows += await this.#writer.addPart(part, this.#signal);
    } catch (error) {
      throw localFailure(this.#atomic.path, error);
    }
  }

  /** Finishes the file and makes it final. */
  async commit(): Promise<MergeResult> {
    try {
      await this.#writer.finish();
      await this.#atomic.commit();
      const path = this.#atomic.path;
      return { path, rows: this.#rows, size: (await Deno.stat(path)).size };
    } catch (error) {
      throw localFailure(this.#atomic.path, error);
    }
  }

  /** Removes the unfinished file. */
  abort(): Promise<void> {
    return this.#atomic.abort();
  }
}

/** A file-system failure (a full disk, say) as a WriteError naming the file; anything else as it is. */
function localFailure(path: string, error: unknown): unknown {
  const fileSystem = error instanceof Error && !(error instanceof SyntaxError) &&
    (error instanceof Deno.errors.PermissionDenied || /\(os error \d+\)/.test(error.message));
  return fileSystem ? writeError(`${path}.partial`, error) : error;
}

/** Merges `parts` (in order) into `destination`, atomically. */
export async function mergeParts(
  parts: readonly string[],
  destination: string,
  options: MergeOptions,
): Promise<MergeResult> {
  const file = await MergedFile.open(destination, options);
  try {
    for (const part of parts) await file.add(part);
    return await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  }
}
