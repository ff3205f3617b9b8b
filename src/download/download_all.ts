/**
 * Downloads many objects with bounded concurrency. One object's failure does
 * not stop the others; every object ends with exactly one result. A file that
 * already exists under its final name is complete by construction (it was
 * renamed from `.partial` after verifying) and is skipped when its size and
 * MD5 still match what the server announces. A final name that is not a
 * regular file (a symlink, say) is an error, never followed; so is a
 * download directory that is a symlink.
 */
import { join } from "node:path";
import { describeError, DownloadError, InterruptedError } from "../errors.ts";
import { fetchWithDeadlines } from "../fetch_with_deadlines.ts";
import { printable } from "../printable.ts";
import type { Runtime } from "../runtime.ts";
import { type DownloadedFile, downloadObject } from "./download_object.ts";
import { hashFile } from "./hash_file.ts";
import { etagMd5, probedTotal } from "./ranges.ts";
import { Semaphore } from "./semaphore.ts";

/** One object to fetch. */
export interface DownloadTask {
  id: string;
  url: string;
  fileName: string;
}

/** What became of one object. */
export type DownloadResult =
  | ({ id: string; fileName: string; ok: true; reused: boolean } & DownloadedFile)
  | { id: string; fileName: string; ok: false; error: unknown };

/** Settings of a batch. */
export interface DownloadAllOptions {
  runtime: Runtime;
  /** a fresh URL for an object whose URL expired */
  refreshUrl: (id: string) => Promise<string>;
  /** objects downloaded at once @default 8 */
  concurrency?: number;
  /**
   * download slots shared with other tables; each object holds one while it
   * downloads, and gives it up once verified, before its flush to the disk
   */
  slots?: Semaphore;
  onBytes?: (bytes: number) => void;
  /** called as each object ends, with its index in `tasks` */
  onResult?: (result: DownloadResult, index: number) => void;
  /** flush files to the disk before renaming them @default true */
  fsync?: boolean;
}

/** Runs `worker` over `items` with at most `limit` at once, in order of start. */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      await worker(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}

/** Downloads every task into `directory`; resolves with one result per task, in task order. */
export async function downloadAll(
  tasks: readonly DownloadTask[],
  directory: string,
  options: DownloadAllOptions,
): Promise<DownloadResult[]> {
  const results: DownloadResult[] = new Array(tasks.length);
  if (tasks.length > 0) await checkDirectory(directory);
  const concurrency = options.concurrency ?? 8;
  const slots = options.slots ?? new Semaphore(concurrency);
  // Twice the lanes: while some flush verified files to the disk, others hold the slots.
  await runPool(tasks, 2 * concurrency, async (task, index) => {
    const release = await slots.acquire();
    try {
      options.runtime.signal.throwIfAborted();
      const path = join(directory, task.fileName);
      const result = await downloadTask(task, path, { ...options, beforeCommit: release });
      results[index] = result;
      options.onResult?.(result, index);
    } finally {
      release();
    }
  });
  return results;
}

async function downloadTask(
  task: DownloadTask,
  path: string,
  options: DownloadAllOptions & { beforeCommit: () => void },
): Promise<DownloadResult> {
  const base = { id: task.id, fileName: task.fileName };
  try {
    const existing = await reusable(task, path, options.runtime);
    if (existing) {
      options.onBytes?.(existing.size);
      return { ...base, ok: true, reused: true, path, ...existing };
    }
    const file = await downloadObject(task.url, path, {
      ...options,
      refreshUrl: () => options.refreshUrl(task.id),
    });
    return { ...base, ok: true, reused: false, ...file };
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    options.runtime.log.error(`${task.fileName}: ${printable(describeError(error))}`, {
      file: task.fileName,
    });
    return { ...base, ok: false, error };
  }
}

/** The directory downloads go into must be a real directory, not a symlink to one elsewhere. */
async function checkDirectory(directory: string): Promise<void> {
  const info = await Deno.lstat(directory);
  if (info.isSymlink || !info.isDirectory) {
    throw new DownloadError(
      `Cannot download into ${directory}: it is ${
        info.isSymlink ? "a symbolic link" : "not a directory"
      }; dap never follows links in its output directory. Move it away and rerun`,
    );
  }
}

/** Size and MD5 of a complete file from an earlier run; a final name that is not a regular file fails. */
async function fileMd5(path: string): Promise<{ size: number; md5: string } | undefined> {
  try {
    const { hash, size } = await hashFile(path);
    return { size, md5: hash.digest("hex") };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Whether a file already on disk is the object the server has now. */
async function reusable(
  task: DownloadTask,
  path: string,
  runtime: Runtime,
): Promise<{ size: number; md5: string } | undefined> {
  const local = await fileMd5(path);
  if (!local) return undefined;
  const remote = await probe(task.url, runtime).catch((error) => {
    if (error instanceof InterruptedError) throw error;
    return undefined; // no answer in time, or none that says: download it again
  });
  if (remote === undefined) return undefined;
  const { total, md5 } = remote;
  return total === local.size && (md5 === undefined || md5 === local.md5) ? local : undefined;
}

/**
 * A one-byte GET reveals the object's size and ETag (pre-signed URLs are
 * signed for GET only); undefined unless the answer says so exactly.
 */
async function probe(
  url: string,
  runtime: Runtime,
): Promise<{ total: number; md5?: string } | undefined> {
  const headers = { range: "bytes=0-0", "accept-encoding": "identity" };
  const answer = await fetchWithDeadlines(url, { headers }, runtime);
  await answer.cancel();
  const total = probedTotal(answer.status, answer.headers);
  return total === undefined ? undefined : { total, md5: etagMd5(answer.headers.get("etag")) };
}
