/**
 * The per-attempt classifier of a download: what an answer's status and
 * headers mean (take the body, refresh the URL, restart, retry, fail), and
 * whether the bytes received make the whole object. Pure.
 */
import { DownloadError } from "../errors.ts";
import { type Attempt, isRetryableStatus, parseRetryAfter } from "../retry.ts";
import { announcedTotal, etagMd5, parseContentRange } from "./ranges.ts";

/** The answer is the object (or its rest): read the body. */
export interface Accept {
  kind: "accept";
  /** the server sent the object from byte 0: discard what was kept first */
  fromZero: boolean;
  /** the object's whole size, when announced */
  total?: number;
  /** the object's MD5, when the ETag is one */
  md5?: string;
}

/** What to do with an answer before reading its body. */
export type AnswerVerdict = Accept | Exclude<Attempt<never>, { kind: "done" }> | {
  kind: "fail";
  error: DownloadError;
};

/** Classifies an answer to a download request sent from byte `offset`. */
export function classifyAnswer(
  name: string,
  answer: { status: number; headers: Headers },
  offset: number,
  now: number,
): AnswerVerdict {
  const { status, headers } = answer;
  if (status === 403) return { kind: "refresh", reason: "HTTP 403" };
  if (status === 416) {
    return { kind: "restart", reason: "the server cannot serve the rest of the object (HTTP 416)" };
  }
  if (isRetryableStatus(status)) {
    return {
      kind: "retry",
      reason: `HTTP ${status}`,
      retryAfterMs: parseRetryAfter(headers.get("retry-after"), now),
    };
  }
  if (status !== 200 && status !== 206) {
    return { kind: "fail", error: new DownloadError(`Cannot download ${name}: HTTP ${status}`) };
  }
  const range = parseContentRange(headers.get("content-range"));
  return {
    kind: "accept",
    fromZero: offset > 0 && (status === 200 || range?.start !== offset),
    total: announcedTotal(status, headers, offset),
    md5: etagMd5(headers.get("etag")),
  };
}

/**
 * Whether `size` bytes make the object the answer announced. `digest` (which
 * ends the hash) is called only once the bytes can be whole.
 */
export function checkComplete(
  received: { size: number; digest: () => string },
  expected: { total?: number; md5?: string },
): Attempt<{ size: number; md5: string }> {
  const { size } = received;
  const { total } = expected;
  if (total !== undefined && size < total) {
    return { kind: "retry", reason: `the body ended at byte ${size} of ${total}` };
  }
  const md5 = received.digest();
  if (expected.md5 && md5 !== expected.md5) {
    return { kind: "restart", reason: `MD5 ${md5} does not match the ETag ${expected.md5}` };
  }
  if (total !== undefined && size !== total) {
    return { kind: "restart", reason: `${size} bytes received, ${total} announced` };
  }
  return { kind: "done", value: { size, md5 } };
}
