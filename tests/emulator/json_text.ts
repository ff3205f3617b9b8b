/**
 * JSON text with 64-bit integers: DAP ids can exceed 2^53, which `JSON.parse`
 * and `JSON.stringify` would round. Integers are carried as `bigint`.
 */

/** A JSON value whose large integers are bigints. */
export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

/** Serializes a value compactly; with `omitNulls`, null object properties are left out. */
export function stringifyJson(value: Json, omitNulls = false): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
    case "boolean":
    case "string":
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => stringifyJson(v, omitNulls)).join(",")}]`;
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === null && omitNulls) continue;
    parts.push(`${JSON.stringify(key)}:${stringifyJson(v, omitNulls)}`);
  }
  return `{${parts.join(",")}}`;
}

/** Parses JSON text, keeping integers beyond 2^53 exact as bigints. */
export function parseJson(text: string): Json {
  return JSON.parse(
    text,
    function (_key: string, value: unknown, context?: { source?: string }) {
      if (
        typeof value === "number" && !Number.isSafeInteger(value) && context?.source &&
        /^-?\d+$/.test(context.source)
      ) return BigInt(context.source);
      return value;
    } as (this: unknown, key: string, value: unknown) => unknown,
  );
}
