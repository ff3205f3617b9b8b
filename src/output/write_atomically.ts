/**
 * The one way files are made final: write `<path>.partial`, flush it to the
 * disk, rename it to `<path>`. A file under its final name is whole; a
 * failure removes the `.partial` rather than leave a file that looks done,
 * and is a `WriteError` naming the file (exit 5).
 */
import { reasonOf, WriteError } from "../errors.ts";

/** The one-line error for a file that could not be written. */
export function writeError(path: string, error: unknown): WriteError {
  if (error instanceof WriteError) return error;
  return new WriteError(`Cannot write ${path}: ${reasonOf(error)}`, { cause: error });
}

/** A file being written under `<path>.partial` until committed. */
export class AtomicFile {
  readonly path: string;
  readonly file: Deno.FsFile;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.file = file;
  }

  /**
   * Opens `<path>.partial` anew. Whatever is there (an old attempt, or a
   * symlink pointing elsewhere) is removed first, the link itself and never
   * its target, and the file is created exclusively, so no link is followed.
   */
  static async open(path: string): Promise<AtomicFile> {
    const partial = `${path}.partial`;
    try {
      await Deno.remove(partial).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      const file = await Deno.open(partial, { write: true, createNew: true });
      return new AtomicFile(path, file);
    } catch (error) {
      throw writeError(partial, error);
    }
  }

  /** Flushes the bytes to the disk and renames the file to `path`. */
  async commit(): Promise<void> {
    try {
      try {
        await this.file.syncData();
      } finally {
        this.file.close();
      }
      await Deno.rename(`${this.path}.partial`, this.path);
    } catch (error) {
      throw writeError(this.path, error);
    }
  }

  /** Closes and removes the `.partial`. */
  async abort(): Promise<void> {
    try {
      this.file.close();
    } catch {
      // already closed by a failed commit
    }
    await Deno.remove(`${this.path}.partial`).catch(() => {});
  }
}

/** Writes `content` (text or bytes) to `path` atomically. */
export async function writeAtomically(path: string, content: string | Uint8Array): Promise<void> {
  const atomic = await AtomicFile.open(path);
  try {
    await writeAll(
      atomic.file,
      typeof content === "string" ? new TextEncoder().encode(content) : content,
    );
    await atomic.commit();
  } catch (error) {
    await atomic.abort();
    throw writeError(path, error);
  }
}

/** Writes every byte of `bytes` to `file`. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await file.write(bytes.subarray(written));
  }
}
