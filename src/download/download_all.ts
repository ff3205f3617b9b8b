/**
 * Downloads many objects with bounded concurrency. One object's failure does
 * not stop the others; every object ends with exactly one result. A file that
 * already exists under its final name is complete by construction (it was
 * renamed from `.partial` after verifying) and is skipped when its size and
 * MD5 still match what the server announces.
 */
import { join } from "node:path";
import { describeError, InterruptedError } from "../errors.ts";
import { Semaphore } from "./semaphore.ts";
import {
  type DownloadedFile,
  downloadObject,
  type DownloadObjectOptions,
  etagMd5,
  hashFile,
  parseContentRange,
} from "./download_object.ts";

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
export interface DownloadAllOptions extends Omit<DownloadObjectOptions, "refreshUrl" | "onBytes"> {
  /** objects downloaded at once @default 8 */
  concurrency?: number;
  /** a fresh URL for an object whose URL expired */
  refreshUrl: (id: string) => Promise<string>;
  onBytes?: (bytes: number) => void;
  onResult?: (result: DownloadResult) => void;
  /** download slots shared with other tables; each object holds one while it downloads */
  slots?: Semaphore;
}

/** Runs `worker` over `items` with at most `limit` at once, in order of start. */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await worker(items[next++]!);
  });
  await Promise.all(lanes);
}

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
  fetcher: typeof fetch,
  signal?: AbortSignal,
): Promise<{ size: number; md5: string } | undefined> {
  const local = await fileMd5(path);
  if (!local) return undefined;
  // A one-byte GET reveals the size and ETag; pre-signed URLs are signed for GET only.
  const response = await fetcher(task.url, { headers: { range: "bytes=0-0" }, signal });
  await response.body?.cancel();
  if (!response.ok) return undefined;
  const total = parseContentRange(response.headers.get("content-range"))?.total ??
    Number(response.headers.get("content-length"));
  const md5 = etagMd5(response.headers.get("etag"));
  return total === local.size && (md5 === undefined || md5 === local.md5) ? local : undefined;
}

/** Downloads every task into `directory`; resolves with one result per task, in task order. */
export async function downloadAll(
  tasks: readonly DownloadTask[],
  directory: string,
  options: DownloadAllOptions,
): Promise<DownloadResult[]> {
  const results = new Map<string, DownloadResult>();
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const slots = options.slots ?? new Semaphore(options.concurrency ?? 8);
  await runPool(tasks, options.concurrency ?? 8, (task) =>
    slots.run(async () => {
      if (options.signal?.aborted) throw new InterruptedError();
      const path = join(directory, task.fileName);
      let result: DownloadResult;
      try {
        const existing = await reusable(task, path, fetcher, options.signal).catch(() => undefined);
        if (existing) {
          options.onBytes?.(existing.size);
          result = {
            id: task.id,
            fileName: task.fileName,
            ok: true,
            reused: true,
            path,
            ...existing,
          };
        } else {
          const file = await downloadObject(task.url, path, {
            ...options,
            refreshUrl: () => options.refreshUrl(task.id),
          });
          result = { id: task.id, fileName: task.fileName, ok: true, reused: false, ...file };
        }
      } catch (error) {
        if (error instanceof InterruptedError || options.signal?.aborted) {
          throw new InterruptedError();
        }
        options.logger.error(`${task.fileName}: ${describeError(error)}`);
        result = { id: task.id, fileName: task.fileName, ok: false, error };
      }
      results.set(task.id, result);
      options.onResult?.(result);
    }));
  return tasks.map((task) => results.get(task.id)!);
}
