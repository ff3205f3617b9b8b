/** RFC 3339 timestamps and dates as Parquet stores them: microseconds and days since the epoch. */

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Microseconds since the epoch of an RFC 3339 timestamp, exact to the microsecond. */
export function timestampMicros(text: string): bigint {
  const match = text.match(TIMESTAMP);
  if (!match) throw new SyntaxError(`Cannot read timestamp '${text}'`);
  const seconds = Date.parse(`${match[1]}${match[3] ?? "Z"}`);
  if (Number.isNaN(seconds)) throw new SyntaxError(`Cannot read timestamp '${text}'`);
  const fraction = (match[2] ?? "").padEnd(6, "0").slice(0, 6);
  return BigInt(seconds) * 1000n + BigInt(fraction);
}

/** Days since the epoch of a `YYYY-MM-DD` date. */
export function dateDays(text: string): number {
  const ms = Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new SyntaxError(`Cannot read date '${text}'`);
  return Math.floor(ms / 86_400_000);
}
