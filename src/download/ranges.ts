/** Pure helpers for S3's answer headers: ETag MD5s, Range and Content-Range. */

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

/** The request headers that ask for the bytes from `offset` on (none from 0). */
export function rangeHeaders(offset: number): Record<string, string> {
  return offset > 0 ? { range: `bytes=${offset}-` } : {};
}

/** The object's whole size as an answer announces it (206: from Content-Range; 200: Content-Length). */
export function announcedTotal(
  status: number,
  headers: Headers,
  offset: number,
): number | undefined {
  if (status === 206) return parseContentRange(headers.get("content-range"))?.total;
  const length = headers.get("content-length");
  return length === null ? undefined : offset + Number(length);
}
