/** Pure helpers for S3's answer headers: ETag MD5s, Range and Content-Range. */

/** The MD5 in an S3 ETag, or undefined for multipart ETags (`"<md5>-<parts>"`) and others. */
export function etagMd5(etag: string | null): string | undefined {
  const match = etag?.match(/^(?:W\/)?"?([0-9a-f]{32})"?$/i);
  return match?.[1]?.toLowerCase();
}

/** A `Content-Range: bytes a-b/total` header: first and last byte, and the total when known. */
export interface ContentRange {
  start: number;
  end: number;
  total?: number;
}

/** Reads `Content-Range: bytes a-b/total` (or `/*`); undefined for anything else. */
export function parseContentRange(value: string | null): ContentRange | undefined {
  const match = value?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (!match) return undefined;
  const [start, end] = [Number(match[1]), Number(match[2])];
  if (end < start) return undefined;
  return { start, end, total: match[3] === "*" ? undefined : Number(match[3]) };
}

/** The request headers that ask for the bytes from `offset` on (none from 0). */
export function rangeHeaders(offset: number): Record<string, string> {
  return offset > 0 ? { range: `bytes=${offset}-` } : {};
}

/**
 * Whether a 206's Content-Range is exactly the rest asked for: from
 * `offset` to the last byte of a known total (the one already announced,
 * when there was one).
 */
export function isExactRest(
  range: ContentRange | undefined,
  offset: number,
  knownTotal?: number,
): range is ContentRange & { total: number } {
  if (range?.total === undefined) return false;
  if (knownTotal !== undefined && range.total !== knownTotal) return false;
  return range.start === offset && range.end === range.total - 1;
}

/** The size of a whole object as an answer to a `Range: bytes=0-0` probe announces it, if it does so exactly. */
export function probedTotal(status: number, headers: Headers): number | undefined {
  if (status === 206) {
    const range = parseContentRange(headers.get("content-range"));
    return range && range.start === 0 && range.end === 0 ? range.total : undefined;
  }
  return status === 200 ? contentLength(headers) : undefined;
}

/** `Content-Length` as a number, when it is one. */
export function contentLength(headers: Headers): number | undefined {
  const text = headers.get("content-length");
  return text !== null && /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}
