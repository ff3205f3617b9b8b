/**
 * The per-attempt classifier of a download: what an answer's status and
 * headers mean (take the body, refresh the URL, restart, retry, fail), and
 * whether the bytes received make the whole object. Pure.
 */
import { DownloadError } from "../errors.ts";
import { printable } from "../printable.ts";
import { type Attempt, isRetryableStatus, parseRetryAfter } from "../retry.ts";
import { contentLength, etagMd5, isExactRest, parseContentRange } from "./ranges.ts";

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

/** What was asked: the bytes from `offset` on, of an object whose size may be known already. */
export interface AskedFor {
  offset: number;
  /** the size an earlier answer announced */
  total?: number;
}

/** Classifies an answer to a download request. */
export function classifyAnswer(
  name: string,
  answer: { status: number; headers: Headers },
  asked: AskedFor,
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
  if (status === 206) return classifyPart(headers, asked);
  if (status !== 200) {
    return { kind: "fail", error: new DownloadError(`Cannot download ${name}: HTTP ${status}`) };
  }
  const length = contentLength(headers);
  return {
    kind: "accept",
    fromZero: asked.offset > 0,
    total: length,
    md5: etagMd5(headers.get("etag")),
  };
}

/**
 * A 206 is taken only when a range was asked for and its Content-Range is
 * exactly that rest (start, end and total); any other part (unasked, shifted,
 * multipart, of another size) would land at the wrong offset: start over.
 */
function classifyPart(headers: Headers, asked: AskedFor): AnswerVerdict {
  const header = headers.get("content-range");
  const range = parseContentRange(header);
  if (asked.offset > 0 && isExactRest(range, asked.offset, asked.total)) {
    return {
      kind: "accept",
      fromZero: false,
      total: range.total,
      md5: etagMd5(headers.get("etag")),
    };
  }
  const got = header === null ? "no Content-Range" : `Content-Range ${printable(header, 100)}`;
  if (asked.offset === 0) {
    return {
      kind: "restart",
      reason: `the server answered 206 (${got}) to a request without Range`,
    };
  }
  const last = asked.total === undefined ? "<last>" : asked.total - 1;
  const expected = `bytes ${asked.offset}-${last}/${asked.total ?? "<size>"}`;
  return { kind: "restart", reason: `the server answered 206 with ${got}, not ${expected}` };
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
