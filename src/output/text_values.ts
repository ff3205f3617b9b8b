/**
 * Values read straight from the bytes of a TSV field, without making a
 * string: integers, doubles, RFC 3339 timestamps and dates in the shapes DAP
 * writes them. Each fast path answers `undefined` for anything unusual, and
 * the caller falls back to the general (string) reading, so the result is
 * always the general reading's. Pure.
 */

const ZERO = 48;
const MINUS = 45;
const DOT = 46;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `bytes[start, end)` as text, one character per byte (ASCII fields). */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** An integer of at most 15 digits (always exact as a number), or undefined. */
export function smallInteger(bytes: Uint8Array, start: number, end: number): number | undefined {
  const negative = bytes[start] === MINUS;
  let i = negative ? start + 1 : start;
  if (i === end || end - i > 15) return undefined;
  let value = 0;
  for (; i < end; i++) {
    const digit = bytes[i]! - ZERO;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

const POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A decimal `-?digits(.digits)?` with at most 15 significant digits: the
 * digits as an integer divided by an exact power of ten, which IEEE division
 * rounds correctly (the classic fast path of strtod), so it equals `Number(text)`.
 */
export function simpleDouble(bytes: Uint8Array, start: number, end: number): number | undefined {
  const negative = bytes[start] === MINUS;
  let i = negative ? start + 1 : start;
  let mantissa = 0, digits = 0, decimals = -1;
  for (; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === DOT && decimals < 0 && digits > 0) {
      decimals = 0;
      continue;
    }
    const digit = byte - ZERO;
    if (digit < 0 || digit > 9) return undefined;
    mantissa = mantissa * 10 + digit;
    digits++;
    if (decimals >= 0) decimals++;
  }
  if (digits === 0 || digits > 15 || decimals === 0 || decimals > 22) return undefined;
  const value = decimals > 0 ? mantissa / POWERS[decimals]! : mantissa;
  return negative ? -value : value;
}

function twoDigits(bytes: Uint8Array, at: number): number {
  const a = bytes[at]! - ZERO, b = bytes[at + 1]! - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (days past the month's end roll over, as Date.parse does). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) +
    dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** `YYYY-MM-DD` at `start`: days since the epoch, or undefined. */
function civilDays(bytes: Uint8Array, start: number): number | undefined {
  const high = twoDigits(bytes, start), low = twoDigits(bytes, start + 2);
  const month = twoDigits(bytes, start + 5), day = twoDigits(bytes, start + 8);
  if (high < 0 || low < 0 || bytes[start + 4] !== MINUS || bytes[start + 7] !== MINUS) {
    return undefined;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return daysFromCivil(high * 100 + low, month, day);
}

/** A date `YYYY-MM-DD` (what follows is ignored, as `dateDays` does): days since the epoch, or undefined. */
export function simpleDate(bytes: Uint8Array, start: number, end: number): number | undefined {
  return end - start >= 10 ? civilDays(bytes, start) : undefined;
}

/** The fraction's first six digits as microseconds, or -1 when it is not 1 to 9 digits up to `end`. */
function fractionMicros(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 1 || end - start > 9) return -1;
  let micros = 0;
  for (let i = 0; i < 6; i++) {
    const digit = start + i < end ? bytes[start + i]! - ZERO : 0;
    if (digit < 0 || digit > 9) return -1;
    micros = micros * 10 + digit;
  }
  for (let i = start + 6; i < end; i++) {
    if (bytes[i]! < ZERO || bytes[i]! > ZERO + 9) return -1;
  }
  return micros;
}

/**
 * A UTC timestamp `YYYY-MM-DDTHH:MM:SS(.f{1,9})?Z`: microseconds since the
 * epoch (fraction truncated), or undefined for any other shape or a value
 * beyond 2^53 microseconds.
 */
export function simpleTimestamp(bytes: Uint8Array, start: number, end: number): number | undefined {
  if (end - start < 20 || bytes[end - 1] !== 90 || bytes[start + 10] !== 84) return undefined;
  const days = civilDays(bytes, start);
  const hour = twoDigits(bytes, start + 11), minute = twoDigits(bytes, start + 14);
  const second = twoDigits(bytes, start + 17);
  if (days === undefined || bytes[start + 13] !== 58 || bytes[start + 16] !== 58) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return undefined;
  }
  let fraction = 0;
  if (end - start > 20) {
    if (bytes[start + 19] !== DOT) return undefined;
    fraction = fractionMicros(bytes, start + 20, end - 1);
    if (fraction < 0) return undefined;
  }
  const seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
  const micros = seconds * 1_000_000 + fraction;
  return Math.abs(micros) <= MAX_SAFE ? micros : undefined;
}
