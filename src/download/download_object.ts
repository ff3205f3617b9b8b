/**
 * Downloads one object to disk, streaming: the body goes chunk by chunk into
 * a `PartialFile`, which becomes `<name>` only when the bytes are whole
 * (length as announced, MD5 as the ETag when it is one). A cut body resumes
 * with a Range request; a server that ignores the range, or bytes that do not
 * verify, mean a fresh download; an expired pre-signed URL is replaced. The
 * retry loop drives the attempts; this module only classifies them.
 */
import { DownloadError } from "../errors.ts";
import { type Attempt, withRetry } from "../retry.ts";
import type { Runtime } from "../runtime.ts";
import { checkComplete, classifyAnswer } from "./classify_download.ts";
import { errorText, PartialFile } from "./partial_file.ts";
import { rangeHeaders } from "./ranges.ts";
import { readChunks } from "./read_chunks.ts";

/** Collaborators and settings of one download. */
export interface DownloadObjectOptions {
  runtime: Runtime;
  /** a fresh pre-signed URL, after the old one expired (403) */
  refreshUrl: () => Promise<string>;
  /** progress: bytes added (negative when a fresh start discards bytes) */
  onBytes?: (bytes: number) => void;
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

/** New URLs asked for one object before giving up. */
const MAX_URL_REFRESHES = 5;

/** Downloads `url` to `path` and returns its size and MD5. */
export async function downloadObject(
  url: string,
  path: string,
  options: DownloadObjectOptions,
): Promise<DownloadedFile> {
  const { runtime } = options;
  const name = path.split(/[\\/]/).pop() ?? path;
  const file = await PartialFile.open(path, { fsync: options.fsync });
  const state = { name, url, file, options };
  try {
    if (file.offset > 0) {
      runtime.log.info(`Resuming ${name} from byte ${file.offset}`, { file: name });
    }
    const done = await withRetry((n) => attemptDownload(state, n), {
      what: name,
      runtime,
      fields: { file: name },
      giveUp: (reason, attempts) =>
        new DownloadError(`Cannot download ${name}: ${reason} (after ${attempts} attempts)`),
      refresh: {
        max: MAX_URL_REFRESHES,
        run: async () => {
          runtime.log.info(
            `The URL of ${name} was refused (HTTP 403, likely expired); asking for a new one`,
            { file: name },
          );
          state.url = await options.refreshUrl();
        },
        exhausted: () =>
          new DownloadError(
            `Cannot download ${name}: access denied after ${MAX_URL_REFRESHES} new URLs`,
          ),
      },
      restart: (reason) => restart(state, reason),
    });
    await file.commit();
    return { path, ...done };
  } finally {
    file.close();
  }
}

interface DownloadState {
  name: string;
  url: string;
  file: PartialFile;
  options: DownloadObjectOptions;
}

async function restart(state: DownloadState, reason: string): Promise<void> {
  state.options.runtime.log.warning(`Downloading ${state.name} again from the start: ${reason}`, {
    file: state.name,
  });
  state.options.onBytes?.(-state.file.offset);
  await state.file.restart();
}

/** One GET: classify the answer, stream the body, check the bytes. */
async function attemptDownload(
  state: DownloadState,
  _n: number,
): Promise<Attempt<{ size: number; md5: string }>> {
  const { runtime } = state.options;
  const idle = new IdleTimer(state.options.idleTimeoutMs ?? 60_000);
  try {
    let response: Response;
    try {
      const signal = AbortSignal.any([runtime.signal, idle.signal]);
      response = await runtime.fetch(state.url, {
        headers: rangeHeaders(state.file.offset),
        signal,
      });
    } catch (error) {
      runtime.signal.throwIfAborted();
      return {
        kind: "retry",
        reason: idle.fired ? "no answer" : `network error (${errorText(error)})`,
      };
    }
    const verdict = classifyAnswer(state.name, response, state.file.offset, runtime.now());
    if (verdict.kind !== "accept") {
      await response.body?.cancel();
      if (verdict.kind === "fail") throw verdict.error;
      return verdict;
    }
    if (verdict.fromZero) await restart(state, "the server ignored the Range request");
    const broken = await streamBody(response, state, idle);
    if (broken) return { kind: "retry", reason: broken };
    return checkComplete({ size: state.file.offset, digest: () => state.file.digest() }, verdict);
  } finally {
    idle.clear();
  }
}

/** Appends the body to the file; returns why it broke off, or undefined when it ended. */
async function streamBody(
  response: Response,
  state: DownloadState,
  idle: IdleTimer,
): Promise<string | undefined> {
  if (!response.body) return undefined;
  try {
    for await (const chunk of readChunks(response.body)) {
      idle.touch();
      await state.file.append(chunk);
      state.options.onBytes?.(chunk.length);
    }
    return undefined;
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    state.options.runtime.signal.throwIfAborted();
    const why = idle.fired ? "stalled" : errorText(error);
    return `the body broke off at byte ${state.file.offset} (${why})`;
  }
}

/** Aborts its signal when `touch()` has not been called for `ms`. */
class IdleTimer {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: ReturnType<typeof setTimeout>;

  constructor(ms: number) {
    this.#ms = ms;
    this.#timer = setTimeout(() => this.#controller.abort(), ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get fired(): boolean {
    return this.#controller.signal.aborted;
  }

  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#controller.abort(), this.#ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}
