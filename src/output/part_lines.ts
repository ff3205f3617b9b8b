/**
 * Reading a downloaded JSONL part: gunzip (node:zlib, multi-member safe),
 * lines in batches, records with 64-bit integers kept exact.
 */
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { type JsonValue, parseJsonLossless } from "./json_values.ts";

/** The decompressed bytes of one gzipped part (multi-member gzip included). */
export async function* partBytes(path: string): AsyncGenerator<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  yield* Readable.fromWeb(file.readable as never).pipe(createGunzip()) as AsyncIterable<Uint8Array>;
}

/**
 * The decompressed lines of one gzipped part, in order, in batches (one per
 * decompressed chunk): a promise per batch rather than per line.
 */
export async function* partLines(path: string): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of partBytes(path)) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    const batch = lines.filter((line) => line !== "");
    if (batch.length > 0) yield batch;
  }
  rest += decoder.decode();
  if (rest !== "") yield [rest];
}

/** Whether a parsed value holds an integer that JSON.parse may have rounded. */
function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === "number") return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (value === null || typeof value !== "object") return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  for (let i = 0; i < items.length; i++) if (hasUnsafeInteger(items[i])) return true;
  return false;
}

/** The fast parse, and the lossless one only for records with integers beyond 2^53. */
export function parseRecord(line: string): JsonValue {
  const record = JSON.parse(line);
  return hasUnsafeInteger(record) ? parseJsonLossless(line) : record;
}
