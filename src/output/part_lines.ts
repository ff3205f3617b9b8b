/**
 * Reading a downloaded part: gunzip (node:zlib, multi-member safe) in large
 * chunks; JSONL lines in batches, records with 64-bit integers kept exact;
 * the body of a CSV/TSV part once its header is checked against the table's.
 */
import { basename } from "node:path";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { printable } from "../printable.ts";
import { type JsonValue, parseJsonLossless } from "./json_values.ts";

/**
 * Compressed bytes per read, and decompressed bytes per chunk. Each chunk is a
 * new buffer that V8 frees lazily, so larger chunks cost resident memory (1M
 * rows of TSV: 32 KiB chunks peak near 85 MB, 256 KiB ones near 120 MB) for
 * little speed.
 */
const READ_BYTES = 64 * 1024;
const CHUNK_BYTES = 32 * 1024;
const NEWLINE = 10;

/**
 * The decompressed bytes of one gzipped part (multi-member gzip included),
 * as plain Uint8Arrays: node:zlib hands out Buffers, whose `indexOf` is much
 * slower than the typed array's.
 */
export async function* partBytes(path: string): AsyncGenerator<Uint8Array> {
  const source = createReadStream(path, { highWaterMark: READ_BYTES });
  // pipeline() forwards a read error to the gunzip stream, and destroys both when either stops.
  const gunzip = pipeline(source, createGunzip({ chunkSize: CHUNK_BYTES }), () => {});
  try {
    for await (const chunk of gunzip as AsyncIterable<Uint8Array>) {
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } finally {
    gunzip.destroy();
    source.destroy();
  }
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

function headerError(path: string, served: Uint8Array, header: Uint8Array): SyntaxError {
  const decoder = new TextDecoder();
  const expected = decoder.decode(header).trimEnd();
  const delimiter = expected.includes("\t") ? "\t" : ",";
  const want = expected.split(delimiter);
  const got = decoder.decode(served).replace(/\r?\n$/, "").split(delimiter);
  let at = 0;
  while (at < want.length && got[at] === want[at]) at++;
  const shown = (name: string | undefined) => (name === undefined ? "nothing" : `'${name}'`);
  const message = `Cannot merge ${basename(path)}: its header is not the table's columns: ` +
    `column ${at + 1} is ${shown(got[at])} where ${shown(want[at])} belongs ` +
    `(${got.length} columns served, ${want.length} expected)`;
  return new SyntaxError(printable(message));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The decompressed bytes of a CSV or TSV part after its header line, which
 * must be `header` (with its newline) exactly: the columns are the schema's,
 * in the schema's order, so the rows can be used as they are.
 */
export async function* partBody(path: string, header: Uint8Array): AsyncGenerator<Uint8Array> {
  let head: Uint8Array | undefined = new Uint8Array(0);
  for await (const chunk of partBytes(path)) {
    if (!head) {
      yield chunk;
      continue;
    }
    const joined: Uint8Array = head.length === 0 ? chunk : concatBytes(head, chunk);
    const end = joined.indexOf(NEWLINE);
    if (end < 0 && joined.length <= header.length) {
      head = joined;
      continue;
    }
    if (end < 0 || !sameBytes(joined.subarray(0, end + 1), header)) {
      throw headerError(path, joined.subarray(0, end < 0 ? header.length + 1 : end + 1), header);
    }
    head = undefined;
    if (end + 1 < joined.length) yield joined.subarray(end + 1);
  }
  // A part of only a header may lack its last newline.
  if (head && head.length > 0 && !sameBytes(concatBytes(head, [NEWLINE]), header)) {
    throw headerError(path, head, header);
  }
}

/** `a` then `b`, in a new array. */
export function concatBytes(a: Uint8Array, b: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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
