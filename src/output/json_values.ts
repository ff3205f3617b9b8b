/**
 * JSON values with 64-bit integers: DAP ids can exceed 2^53, which plain
 * `JSON.parse`/`JSON.stringify` would round. Integers beyond the safe range
 * are carried as `bigint`.
 */

/** A parsed JSON value. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | {
  [key: string]: JsonValue;
};

const INTEGER = /^-?\d+$/;

/** Parses JSON text, keeping integers beyond 2^53 exact as bigints. */
export function parseJsonLossless(text: string): JsonValue {
  return JSON.parse(
    text,
    function (_key: string, value: unknown, context?: { source?: string }) {
      if (
        typeof value === "number" && !Number.isSafeInteger(value) && context?.source &&
        INTEGER.test(context.source)
      ) {
        return BigInt(context.source);
      }
      return value;
    } as (this: unknown, key: string, value: unknown) => unknown,
  );
}

/** Compact JSON text of a value, bigints as digits. */
export function stringifyJson(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
    case "boolean":
    case "string":
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(stringifyJson).join(",")}]`;
  let out = "";
  for (const key in value) {
    out += `${out ? "," : ""}${JSON.stringify(key)}:${stringifyJson(value[key]!)}`;
  }
  return `{${out}}`;
}

/** The value at a path of a record, or null when any step is missing. */
export function valueAt(record: JsonValue, path: readonly string[]): JsonValue {
  let node: JsonValue = record;
  for (const part of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return null;
    node = (node as Record<string, JsonValue>)[part] ?? null;
  }
  return node;
}

/** A fast accessor for one path (what `valueAt` does, without the loop). */
export function compileGetter(path: readonly string[]): (record: JsonValue) => JsonValue {
  const step = (node: JsonValue, key: string): JsonValue =>
    node !== null && typeof node === "object" && !Array.isArray(node) ? node[key] ?? null : null;
  if (path.length === 2) {
    const [a, b] = path as [string, string];
    return (record) => step(step(record, a), b);
  }
  if (path.length === 3) {
    const [a, b, c] = path as [string, string, string];
    return (record) => step(step(step(record, a), b), c);
  }
  return (record) => valueAt(record, path);
}
