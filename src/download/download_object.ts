/**
 * Downloads one object to disk, streaming: the body goes chunk by chunk into
 * `<name>.partial`, which is renamed to `<name>` only when the bytes are whole
 * (length as announced, MD5 as the ETag when it is one). A cut body resumes
 * with a Range request; a server that ignores the range, or bytes that do not
 * verify, mean a fresh download; an expired pre-signed URL is replaced.
 */
import { withDefaults } from "../defaults.ts";
import { createHash, type Hash } from "node:crypto";
import { DownloadError, InterruptedError } from "../errors.ts";
import type { Logger } from "../report/logger.ts";
import {
  abortableSleep,
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  type RetryPolicy,
} from "../retry.ts";

/** Collaborators and settings of one download. */
export interface DownloadObjectOptions {
  logger: Logger;
  /** a fresh pre-signed URL, after the old one expired (403) */
  refreshUrl: () => Promise<string>;
  /** progress: bytes added (negative when a fresh start discards bytes) */
  onBytes?: (bytes: number) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default abortableSleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
  /** @default Date.now */
  now?: () => number;
  signal?: AbortSignal;
  /** @default DEFAULT_RETRY */
  retry?: RetryPolicy;
  /** give up on a body that sends nothing for this long (ms) @default 60000 */
  idleTimeoutMs?: number;
  /** flush the file to the disk before renaming it @default true */
  fsync?: boolean;
}

/** A complete file on disk. */
export interface DownloadedFile {
  path: string;
  size: number;
  md5: string;
}

const MAX_URL_REFRESHES = 5;

/** The MD5 in an S3 ETag, or undefined for multipart ETags (`"<md5>-<parts>"`) and others. */
export function etagMd5(etag: string | null): string | undefined {
  const match = etag?.match(/^(?:W\/)?"?([0-9a-f]{32})"?$/i);
  return match?.[1]?.toLowerCase();
}

/** The start and total of a `Content-Range: bytes a-b/total` header. */
export function parseContentRange(
  value: string | null,
): { start: number; total?: number } | undefined {
  const match = value?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

/** An MD5 fed with the bytes already in `path`, and their count. */
export async function hashFile(path: string): Promise<{ hash: Hash; size: number }> {
  const hash = createHash("md5");
  let size = 0;
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hash, size };
}

async function existingSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

class WriteFailure extends Error {}

/** Downloads `url` to `path` and returns its size and MD5. */
export async function downloadObject(
  url: string,
  path: string,
  options: DownloadObjectOptions,
): Promise<DownloadedFile> {
  const o = withDefaults({
    fetch: globalThis.fetch.bind(globalThis),
    sleep: abortableSleep,
    random: Math.random,
    now: Date.now,
    retry: DEFAULT_RETRY,
    idleTimeoutMs: 60_000,
    fsync: true,
  }, options);
  const name = path.split(/[\\/]/).pop() ?? path;
  const partial = `${path}.partial`;
  let offset = await existingSize(partial);
  let hash: Hash = offset > 0 ? (await hashFile(partial)).hash : createHash("md5");
  if (offset > 0) o.logger.info(`Resuming ${name} from byte ${offset}`);
  let currentUrl = url;
  let refreshes = 0;

  const restart = async (reason: string) => {
    o.logger.warning(`Downloading ${name} again from the start: ${reason}`);
    o.onBytes?.(-offset);
    offset = 0;
    hash = createHash("md5");
    await Deno.truncate(partial, 0).catch(() => {});
  };

  for (let attempt = 1;; attempt++) {
    if (o.signal?.aborted) throw new InterruptedError();
    const failed = async (reason: string, retryAfterMs?: number) => {
      if (attempt >= o.retry.maxAttempts) {
        throw new DownloadError(`Cannot download ${name}: ${reason} (after ${attempt} attempts)`);
      }
      const delay = retryDelay(attempt, { policy: o.retry, retryAfterMs, random: o.random });
      o.logger.warning(`Retrying ${name} in ${delay} ms (attempt ${attempt + 1}): ${reason}`);
      try {
        await o.sleep(delay, o.signal);
      } catch {
        throw new InterruptedError();
      }
    };
    const idle = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, idle.signal]) : idle.signal;
    let timer = setTimeout(() => idle.abort(), o.idleTimeoutMs);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), o.idleTimeoutMs);
    };
    try {
      let response: Response;
      try {
        response = await o.fetch(currentUrl, {
          headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
          signal,
        });
      } catch (error) {
        if (o.signal?.aborted) throw new InterruptedError();
        await failed(idle.signal.aborted ? "no answer" : `network error (${errorText(error)})`);
        continue;
      }
      const status = response.status;
      if (status === 403) {
        await response.body?.cancel();
        if (++refreshes > MAX_URL_REFRESHES) {
          throw new DownloadError(
            `Cannot download ${name}: access denied after ${MAX_URL_REFRESHES} new URLs`,
          );
        }
        o.logger.info(
          `The URL of ${name} was refused (HTTP 403, likely expired); asking for a new one`,
        );
        currentUrl = await o.refreshUrl();
        attempt--;
        continue;
      }
      if (status === 416) {
        await response.body?.cancel();
        await restart("the server cannot serve the rest of the object (HTTP 416)");
        continue;
      }
      if (isRetryableStatus(status)) {
        await response.body?.cancel();
        await failed(
          `HTTP ${status}`,
          parseRetryAfter(response.headers.get("retry-after"), o.now()),
        );
        continue;
      }
      if (status !== 200 && status !== 206) {
        await response.body?.cancel();
        throw new DownloadError(`Cannot download ${name}: HTTP ${status}`);
      }
      const range = parseContentRange(response.headers.get("content-range"));
      if (offset > 0 && (status === 200 || range?.start !== offset)) {
        await restart("the server ignored the Range request");
      }
      const length = response.headers.get("content-length");
      const total = status === 206
        ? range?.total
        : length === null
        ? undefined
        : offset + Number(length);
      const expectedMd5 = etagMd5(response.headers.get("etag"));
      try {
        await appendBody(response, partial, offset, (chunk) => {
          touch();
          hash.update(chunk);
          offset += chunk.length;
          o.onBytes?.(chunk.length);
        });
      } catch (error) {
        if (error instanceof WriteFailure) {
          throw new DownloadError(`Cannot write ${partial}: ${errorText(error.cause)}`, {
            cause: error.cause,
          });
        }
        if (o.signal?.aborted) throw new InterruptedError();
        await failed(
          `the body broke off at byte ${offset} (${
            idle.signal.aborted ? "stalled" : errorText(error)
          })`,
        );
        continue;
      }
      if (total !== undefined && offset < total) {
        await failed(`the body ended at byte ${offset} of ${total}`);
        continue;
      }
      const md5 = hash.digest("hex");
      if ((total !== undefined && offset !== total) || (expectedMd5 && md5 !== expectedMd5)) {
        const reason = expectedMd5 && md5 !== expectedMd5
          ? `MD5 ${md5} does not match the ETag ${expectedMd5}`
          : `${offset} bytes received, ${total} announced`;
        await failed(reason);
        await restart(reason);
        continue;
      }
      await finish(partial, path, o.fsync);
      return { path, size: offset, md5 };
    } finally {
      clearTimeout(timer);
    }
  }
}

async function appendBody(
  response: Response,
  partial: string,
  offset: number,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(partial, { write: true, create: true });
    await file.truncate(offset);
    await file.seek(offset, Deno.SeekMode.Start);
  } catch (error) {
    await response.body?.cancel();
    throw new WriteFailure("open", { cause: error });
  }
  try {
    if (!response.body) return;
    for await (const chunk of readChunks(response.body)) {
      try {
        for (let written = 0; written < chunk.length;) {
          written += await file.write(chunk.subarray(written));
        }
      } catch (error) {
        throw new WriteFailure("write", { cause: error });
      }
      onChunk(chunk);
    }
  } finally {
    file.close();
  }
}

/** Read size for byte streams: large reads mean fewer writes; one reused buffer means no garbage per chunk. */
const READ_BYTES = 1 << 18;

/**
 * The chunks of a body. A byte stream (what fetch gives) is read into one
 * reused 256 KiB buffer, so memory stays flat whatever the object size; the
 * chunk handed out is only valid until the next one is asked for. Other
 * streams are read as they come.
 */
async function* readChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    yield* body;
    return;
  }
  try {
    let buffer = new Uint8Array(READ_BYTES);
    for (;;) {
      const { done, value } = await reader.read(buffer);
      if (done || !value) return;
      yield value;
      buffer = new Uint8Array(value.buffer);
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function finish(partial: string, path: string, fsync: boolean): Promise<void> {
  try {
    if (fsync) {
      using file = await Deno.open(partial, { read: true, write: true });
      await file.syncData();
    }
    await Deno.rename(partial, path);
  } catch (error) {
    throw new DownloadError(`Cannot finish ${path}: ${errorText(error)}`, { cause: error });
  }
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.split("\n")[0]!;
}
