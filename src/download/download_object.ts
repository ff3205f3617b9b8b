/**
 * Downloads one object to disk, streaming: the body goes chunk by chunk into
 * a `PartialFile`, which becomes `<name>` only when the bytes are whole
 * (length as announced, MD5 as the ETag when it is one). A cut body resumes
 * with a Range request; a server that ignores the range, or bytes that do not
 * verify, mean a fresh download; an expired pre-signed URL is replaced. The
 * retry loop drives the attempts; this module only classifies them. Every
 * request runs under the runtime's deadlines and asks for the bytes as
 * stored (`Accept-Encoding: identity`), so fetch never decompresses them.
 */
import { DownloadError } from "../errors.ts";
import { DeadlineError, fetchWithDeadlines, type TimedResponse } from "../fetch_with_deadlines.ts";
import { objectUrlProblem } from "../object_url.ts";
import { printable } from "../printable.ts";
import { type Attempt, withRetry } from "../retry.ts";
import type { Runtime } from "../runtime.ts";
import { checkComplete, classifyAnswer } from "./classify_download.ts";
import { errorText, PartialFile } from "./partial_file.ts";
import { rangeHeaders } from "./ranges.ts";

/** Collaborators and settings of one download. */
export interface DownloadObjectOptions {
  runtime: Runtime;
  /** a fresh pre-signed URL, after the old one expired (403) */
  refreshUrl: () => Promise<string>;
  /** progress: bytes added (negative when a fresh start discards bytes) */
  onBytes?: (bytes: number) => void;
  /** flush the file to the disk before renaming it @default true */
  fsync?: boolean;
  /** called once the bytes are verified, before the flush and rename (the download slot can go) */
  beforeCommit?: () => void;
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
  const state: DownloadState = { name, url, file, options };
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
    options.beforeCommit?.();
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
  /** the object's size, once an answer announced it */
  total?: number;
}

async function restart(state: DownloadState, reason: string): Promise<void> {
  state.options.runtime.log.warning(`Downloading ${state.name} again from the start: ${reason}`, {
    file: state.name,
  });
  state.options.onBytes?.(-state.file.offset);
  state.total = undefined;
  await state.file.restart();
}

/** The bytes from the file's offset on, as stored: never decoded by fetch. */
function request(state: DownloadState): Promise<TimedResponse> {
  const headers = { ...rangeHeaders(state.file.offset), "accept-encoding": "identity" };
  return fetchWithDeadlines(state.url, { headers }, state.options.runtime);
}

/** A redirect may only lead where an object URL may point. */
function checkRedirect(state: DownloadState, response: Response): void {
  const problem = response.redirected ? objectUrlProblem(response.url) : undefined;
  if (problem) {
    throw new DownloadError(`Cannot download ${state.name}: it was redirected and ${problem}`);
  }
}

/** One GET: classify the answer, stream the body, check the bytes. */
async function attemptDownload(
  state: DownloadState,
  _n: number,
): Promise<Attempt<{ size: number; md5: string }>> {
  const { runtime } = state.options;
  let response: TimedResponse;
  try {
    response = await request(state);
  } catch (error) {
    runtime.signal.throwIfAborted();
    const why = error instanceof DeadlineError
      ? error.message
      : `network error (${errorText(error)})`;
    return { kind: "retry", reason: why };
  }
  const asked = { offset: state.file.offset, total: state.total };
  const verdict = classifyAnswer(state.name, response, asked, runtime.now());
  if (verdict.kind !== "accept") {
    await response.cancel();
    if (verdict.kind === "fail") throw verdict.error;
    return verdict;
  }
  try {
    checkRedirect(state, response.response);
  } catch (error) {
    await response.cancel();
    throw error;
  }
  if (verdict.fromZero) await restart(state, "the server ignored the Range request");
  state.total = verdict.total;
  const broken = await streamBody(response, state);
  if (broken) return { kind: "retry", reason: broken };
  return checkComplete({ size: state.file.offset, digest: () => state.file.digest() }, verdict);
}

/** Appends the body to the file; returns why it broke off, or undefined when it ended. */
async function streamBody(
  response: TimedResponse,
  state: DownloadState,
): Promise<string | undefined> {
  try {
    for await (const chunk of response.chunks()) {
      await state.file.append(chunk);
      state.options.onBytes?.(chunk.length);
    }
    return undefined;
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    state.options.runtime.signal.throwIfAborted();
    const why = error instanceof DeadlineError ? error.message : errorText(error);
    return `the body broke off at byte ${state.file.offset} (${printable(why)})`;
  }
}
