/**
 * A download in progress: `<name>.partial`, resumed from what an earlier run
 * left, hashed as bytes arrive, and committed (flushed, then renamed to
 * `<name>`) only when whole. A file under its final name is therefore
 * complete by construction. The file is created at the first byte, so a
 * download that never starts leaves nothing behind. No symlink is ever
 * followed: a `.partial` that is one is removed (the link, not its target)
 * and the download starts afresh; a new `.partial` is created exclusively.
 */
import { createHash, type Hash } from "node:crypto";
import { DownloadError } from "../errors.ts";
import { hashFile, NotRegularFileError, openRegularFile } from "./hash_file.ts";

/** One `.partial` file. */
export class PartialFile {
  readonly path: string;
  readonly partialPath: string;
  readonly #fsync: boolean;
  #file?: Deno.FsFile;
  #hash: Hash;
  #offset: number;

  private constructor(path: string, offset: number, hash: Hash, fsync: boolean) {
    this.path = path;
    this.partialPath = `${path}.partial`;
    this.#offset = offset;
    this.#hash = hash;
    this.#fsync = fsync;
  }

  /** Opens the download of `path`, resuming the bytes of an existing `.partial`. */
  static async open(path: string, options: { fsync?: boolean } = {}): Promise<PartialFile> {
    const existing = await resumable(`${path}.partial`);
    const hash = existing?.hash ?? createHash("md5");
    return new PartialFile(path, existing?.size ?? 0, hash, options.fsync ?? true);
  }

  /** Bytes held so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Appends one chunk and feeds the hash. */
  async append(chunk: Uint8Array): Promise<void> {
    try {
      const file = this.#file ??= await this.#openFile();
      for (let written = 0; written < chunk.length;) {
        written += await file.write(chunk.subarray(written));
      }
    } catch (error) {
      throw new DownloadError(`Cannot write ${this.partialPath}: ${errorText(error)}`, {
        cause: error,
      });
    }
    this.#hash.update(chunk);
    this.#offset += chunk.length;
  }

  /** Discards every byte: the next append starts the file anew. */
  async restart(): Promise<void> {
    this.#offset = 0;
    this.#hash = createHash("md5");
    if (this.#file) {
      await this.#file.truncate(0);
      await this.#file.seek(0, Deno.SeekMode.Start);
    } else {
      await removeEntry(this.partialPath);
    }
  }

  /** The MD5 of the bytes so far (hex); ends hashing. */
  digest(): string {
    return this.#hash.digest("hex");
  }

  /** Flushes the bytes to the disk and renames the file to its final name. */
  async commit(): Promise<void> {
    try {
      const file = this.#file ??= await this.#openFile();
      if (this.#fsync) await file.syncData();
      this.close();
      await Deno.rename(this.partialPath, this.path);
    } catch (error) {
      throw new DownloadError(`Cannot finish ${this.path}: ${errorText(error)}`, { cause: error });
    }
  }

  /** Closes the file (it stays as `.partial` unless committed). */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  /** Reopens the bytes kept (never through a symlink), or creates the file anew and exclusively. */
  async #openFile(): Promise<Deno.FsFile> {
    if (this.#offset === 0) {
      await removeEntry(this.partialPath);
      return await Deno.open(this.partialPath, { read: true, write: true, createNew: true });
    }
    const file = await openRegularFile(this.partialPath, { read: true, write: true });
    await file.truncate(this.#offset);
    await file.seek(this.#offset, Deno.SeekMode.Start);
    return file;
  }
}

/** The bytes of an earlier `.partial`, when it is a regular file; a symlink there is removed. */
async function resumable(partialPath: string): Promise<{ hash: Hash; size: number } | undefined> {
  try {
    return await hashFile(partialPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (!(error instanceof NotRegularFileError)) throw error;
    const info = await Deno.lstat(partialPath);
    if (!info.isSymlink) throw error;
    await removeEntry(partialPath);
    return undefined;
  }
}

/** Removes `path` itself (a symlink, not its target); nothing there is fine. */
async function removeEntry(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** The first line of an error's message and cause. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.split("\n")[0]!;
}
