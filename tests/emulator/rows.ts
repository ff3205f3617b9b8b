/**
 * Deterministic synthetic rows. A row's key and values in each of its states
 * are a pure function of (seed, namespace, table, key index, version), and
 * its history one of (seed, namespace, table, slot) (`row_history.ts`), so
 * objects can be generated lazily, one at a time, and two runs give the same
 * bytes. The values exercise every column kind and the cases that break naive
 * writers: NULL against empty string, delimiters, quotes, CR/LF, tabs,
 * backslashes, non-ASCII text, int64 beyond 2^53, the DAP placeholder values,
 * nested objects and arrays.
 */
import { type Column, TRUNCATED, UNSPECIFIED } from "./columns.ts";
import type { Json } from "./json_text.ts";
import { hashOf, Random } from "./random.ts";
import type { TableSpec } from "./columns.ts";
import { type HistorySource, type RowState, stateAt } from "./row_history.ts";

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

/** Where a table's rows come from: its history and the columns served. */
export interface RowSource extends HistorySource {
  spec: TableSpec;
  /**
   * Set when `spec` ends in the schema bump column: rows changed at or after
   * this instant fill it, older ones leave it null.
   */
  bumpedAt?: number;
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

/** The key of generation `k`: int64 ids are dense, some beyond 2^53; uuid keys are random. */
export function rowKey(source: RowSource, k: number): Record<string, Json> {
  const key: Record<string, Json> = {};
  for (const column of source.spec.key) {
    if (column.kind === "uuid") key[column.name] = rowRandom(source, k, "/key").uuid();
    else if (column.kind === "int32") key[column.name] = 1 + k;
    else if (k % 50 === 7) key[column.name] = TWO_53 + BigInt(k);
    else key[column.name] = 10_000_000_000_000 + k;
  }
  return key;
}

/**
 * The values of a row in one state: a pure function of its key and version.
 * `created_at` and `updated_at` follow its history; the schema bump column is
 * filled once the row changed after the bump.
 */
function valuesAt(source: RowSource, state: RowState): Record<string, Json> {
  const { k, born } = state.generation;
  const bumped = source.bumpedAt !== undefined;
  const columns = bumped ? source.spec.value.slice(0, -1) : source.spec.value;
  const salt = state.version === 0 ? "" : `/v${state.version}`;
  const value = objectOf(rowRandom(source, k, salt), columns, state.ts);
  for (const column of columns) {
    if (column.kind !== "date-time") continue;
    if (column.name === "created_at") value.created_at = new Date(born).toISOString();
    if (column.name === "updated_at") value.updated_at = new Date(state.ts).toISOString();
  }
  if (bumped) {
    const note = `${rowRandom(source, k, `/bump${salt}`).pick(WORDS)} ${state.version}`;
    value[source.spec.value.at(-1)!.name] = state.ts >= source.bumpedAt! ? note : null;
  }
  return value;
}

/**
 * Generation `k` as a record at instant `t`: a snapshot's carries `meta.ts`
 * only; an incremental's adds `meta.action`, and a deleted row is a `D` with
 * its key and no value.
 */
export function recordAt(source: RowSource, k: number, t: number, kind: QueryKind): DapRecord {
  const state = stateAt(source, k, t);
  if (!state) {
    throw new RangeError(
      `Row ${k} of ${source.namespace}.${source.table} does not exist at ${
        new Date(t).toISOString()
      }`,
    );
  }
  const ts = new Date(state.ts).toISOString();
  const action = state.alive ? "U" as const : "D" as const;
  const meta = kind === "snapshot" ? { ts } : { ts, action };
  const key = rowKey(source, k);
  if (!state.alive) return { meta, key };
  return { meta, key, value: valuesAt(source, state) };
}
