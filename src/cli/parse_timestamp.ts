/**
 * Reads user timestamps for `--since`/`--until`: RFC 3339 with `Z` or an
 * offset; a timestamp (or date) without a zone is read as UTC, as DAP reads
 * every timestamp, and the caller says so on stderr.
 */
import { UsageError } from "../errors.ts";

/** A timestamp as sent to the API, and whether a zone had to be assumed. */
export interface ParsedTimestamp {
  /** ISO 8601 in UTC with `Z`, as the official client sends */
  iso: string;
  assumedUtc: boolean;
}

const WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/i;

/** Whether the calendar date and time of day in `text` exist (Date.parse rolls Feb 30 over to March). */
function isRealDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  const time = text.slice(11).match(/^(\d{2}):(\d{2})(?::(\d{2}))?/);
  const clock = !time ||
    (Number(time[1]) < 24 && Number(time[2]) < 60 && Number(time[3] ?? 0) < 60);
  return clock && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day;
}

function toIso(text: string): string | undefined {
  if (!isRealDate(text)) return undefined;
  // Date.parse keeps milliseconds only: drop finer digits first, as the API works in microseconds at most.
  const normalized = text.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1").replace(
    /([+-]\d{2})(\d{2})$/,
    "$1:$2",
  );
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Parses `text` for the flag `name`; throws UsageError when it is not a timestamp. */
export function parseTimestamp(name: string, text: string): ParsedTimestamp {
  const trimmed = text.trim();
  if (WITH_ZONE.test(trimmed)) {
    const iso = toIso(trimmed);
    if (iso) return { iso, assumedUtc: false };
  } else if (WITHOUT_ZONE.test(trimmed)) {
    const iso = toIso(trimmed.length === 10 ? `${trimmed}T00:00:00Z` : `${trimmed}Z`);
    if (iso) return { iso, assumedUtc: true };
  }
  throw new UsageError(
    `Cannot read ${name} '${text}': expected an RFC 3339 timestamp such as 2026-11-19T08:00:00Z${
      name === "--since" ? ", a manifest file, or 'latest'" : ""
    }`,
  );
}
