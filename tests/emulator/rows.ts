/**
 * Deterministic synthetic rows. Row `i` of a table is a pure function of
 * (seed, namespace, table, i), so objects can be generated lazily, one at a
 * time, and two runs give the same bytes. The values exercise every column
 * kind and the cases that break naive writers: NULL against empty string,
 * delimiters, quotes, CR/LF, tabs, backslashes, non-ASCII text, int64 beyond
 * 2^53, the DAP placeholder values, nested objects and arrays.
 */
import { type Column, TRUNCATED, UNSPECIFIED } from "./columns.ts";
import type { Json } from "./json_text.ts";
import { hashOf, Random } from "./random.ts";
import type { TableSpec } from "./columns.ts";

/** What a query asks for: the table at an instant, or the changes in a window. */
export type QueryKind = "snapshot" | "incremental";

/**
 * One DAP record; deletes carry no value section. Snapshot records carry
 * `meta.ts` only, incremental ones `meta.action` too (contract §3.1).
 */
export interface DapRecord {
  meta: { ts: string; action?: "U" | "D" };
  key: Record<string, Json>;
  value?: Record<string, Json>;
}

/** Where a table's rows come from and which period their changes span. */
export interface RowSource {
  seed: number;
  namespace: string;
  table: string;
  spec: TableSpec;
  /** epoch ms of the oldest change kept */
  start: number;
  /** epoch ms of the newest change: the snapshot's `at` */
  end: number;
}

/** Texts that break naive CSV/TSV/JSON handling. */
export const HARD_STRINGS: readonly string[] = [
  "",
  "comma, inside",
  'say "hello"',
  "line one\nline two",
  "windows\r\nline",
  "tab\tseparated",
  "back\\slash \\N",
  "naïve café – 日本語 – Ελληνικά – 🎓",
  "NULL",
  "\\N",
  "  padded  ",
  "'single' and ;semi",
  "ctrl\b\f\v chars",
  '"',
  "",
];

const WORDS = [
  "intro",
  "biology",
  "calculus",
  "history",
  "seminar",
  "lab",
  "fall",
  "spring",
  "section",
  "online",
  "advanced",
  "world",
  "literature",
  "physics",
  "ethics",
  "design",
];

const TWO_53 = 2n ** 53n;

function rowRandom(source: RowSource, index: number, salt = ""): Random {
  return new Random(hashOf(source.seed, `${source.namespace}.${source.table}#${index}${salt}`));
}

/** When row `index` last changed (epoch ms, whole milliseconds). */
export function rowTimestamp(source: RowSource, index: number): number {
  const random = rowRandom(source, index, "/ts");
  return source.start + Math.floor(random.next() * (source.end - source.start));
}

/** Whether row `index` is a delete: absent from snapshots, `D` in incrementals. */
export function isDeleted(source: RowSource, index: number): boolean {
  return rowRandom(source, index, "/deleted").chance(0.03);
}

function text(random: Random, maxLength?: number): string {
  let out = random.chance(0.3) ? random.pick(HARD_STRINGS) : "";
  if (out === "" && random.chance(0.85)) {
    const words = 1 + random.int(5);
    const parts: string[] = [];
    for (let i = 0; i < words; i++) parts.push(random.pick(WORDS));
    out = parts.join(" ");
  }
  return maxLength === undefined ? out : Array.from(out).slice(0, maxLength).join("");
}

function int64(random: Random): number | bigint {
  const roll = random.next();
  if (roll < 0.08) return TWO_53 + BigInt(random.int(1_000_000_000));
  if (roll < 0.1) return -random.int(1_000_000);
  return 10_000_000_000_000 + random.int(10_000_000);
}

const NUMBERS = [0, 0.1, 1 / 3, -2.5, 100, 1e21, 12.75, -0.001];

function scalar(random: Random, column: Column, end: number): Json {
  switch (column.kind) {
    case "int64":
      return int64(random);
    case "int32":
      return random.chance(0.05) ? -2147483648 + random.int(10) : random.int(100_000);
    case "number":
      return random.chance(0.4) ? random.pick(NUMBERS) : Math.round(random.next() * 1e6) / 100;
    case "boolean":
      return random.chance(0.5);
    case "string":
      return text(random, column.maxLength);
    case "date-time":
      return new Date(end - random.int(5 * 365 * 86_400_000)).toISOString();
    case "date":
      return new Date(Date.UTC(1950 + random.int(60), random.int(12), 1 + random.int(28)))
        .toISOString().slice(0, 10);
    case "uuid":
      return random.uuid();
    case "ipv4":
      return `${10 + random.int(200)}.${random.int(256)}.${random.int(256)}.${random.int(256)}`;
    case "enum":
      return random.chance(0.03) ? UNSPECIFIED : random.pick(column.values ?? ["x"]);
    case "truncatable":
      return random.chance(0.06) ? TRUNCATED : `<p>${text(random)}</p>`;
    case "array": {
      const items: Json[] = [];
      for (let i = random.int(4); i > 0; i--) items.push(text(random));
      return items;
    }
    case "json":
      return {
        enabled: random.chance(0.5),
        count: random.int(1000),
        tags: [text(random), random.pick(WORDS)],
        nested: { label: text(random), weight: random.pick(NUMBERS) },
      };
    case "object":
      return objectOf(random, column.properties ?? [], end);
  }
}

function objectOf(random: Random, columns: readonly Column[], end: number): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const column of columns) {
    out[column.name] = !column.required && random.chance(0.12) ? null : scalar(random, column, end);
  }
  return out;
}

/** The key of row `index`: int64 ids are dense, some beyond 2^53; uuid keys are random. */
export function rowKey(source: RowSource, index: number): Record<string, Json> {
  const key: Record<string, Json> = {};
  for (const column of source.spec.key) {
    if (column.kind === "uuid") key[column.name] = rowRandom(source, index, "/key").uuid();
    else if (column.kind === "int32") key[column.name] = 1 + index;
    else if (index % 50 === 7) key[column.name] = TWO_53 + BigInt(index);
    else key[column.name] = 10_000_000_000_000 + index;
  }
  return key;
}

/** Row `index` as a DAP record of a snapshot or an incremental. */
export function generateRecord(source: RowSource, index: number, kind: QueryKind): DapRecord {
  const ts = new Date(rowTimestamp(source, index)).toISOString();
  const deleted = isDeleted(source, index);
  const meta = kind === "snapshot" ? { ts } : { ts, action: deleted ? "D" as const : "U" as const };
  const key = rowKey(source, index);
  if (deleted) return { meta, key };
  return { meta, key, value: objectOf(rowRandom(source, index), source.spec.value, source.end) };
}
