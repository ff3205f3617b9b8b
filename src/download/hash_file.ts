/** MD5 of a file's bytes, streaming; files inside the output directory are opened without following symlinks. */
import { createHash, type Hash } from "node:crypto";
import { DownloadError } from "../errors.ts";

/** `path` exists but is a symlink, a directory, a device or another non-regular file. */
export class NotRegularFileError extends DownloadError {
  override name = "NotRegularFileError";
}

function notRegular(path: string, kind: string): NotRegularFileError {
  return new NotRegularFileError(
    `Cannot use ${path}: it is ${kind}, not a regular file; dap never follows links in its output directory. Move it away and rerun`,
  );
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  return info.isDirectory ? "a directory" : "a device, pipe or socket";
}

/**
 * Opens `path` only when it is a regular file (a symlink is never followed):
 * checked before opening, and the opened file checked to be the same one.
 */
export async function openRegularFile(
  path: string,
  options: Deno.OpenOptions,
): Promise<Deno.FsFile> {
  const before = await Deno.lstat(path);
  if (!before.isFile) throw notRegular(path, kindOf(before));
  const file = await Deno.open(path, options);
  const after = await file.stat().catch((error) => {
    file.close();
    throw error;
  });
  if (!after.isFile || after.ino !== before.ino || after.dev !== before.dev) {
    file.close();
    throw notRegular(path, "replaced while being opened");
  }
  return file;
}

/** An MD5 fed with the bytes already in `path` (a regular file, never a symlink's target), and their count. */
export async function hashFile(path: string): Promise<{ hash: Hash; size: number }> {
  const hash = createHash("md5");
  let size = 0;
  using file = await openRegularFile(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hash, size };
}
