/**
 * Values between DAP's TSV (PostgreSQL COPY text) and MySQL/MariaDB: what
 * `LOAD DATA` reads differently from COPY text, SQL literals for the INSERT
 * fallback, and `table_sync.timestamp` both ways. Pure.
 */
import { unescapeTsv } from "./tsv_text.ts";

/**
 * How a TSV field becomes a value of its target column: as it is, a boolean
 * (`t`/`true` -> 1), an RFC 3339 timestamp (`...T...Z` -> `... ...`), or,
 * in a table laid out by the official client, a uuid or IPv4 address stored
 * as binary(16) / binary(4).
 */
export type Conversion = "plain" | "boolean" | "timestamp" | "uuid-binary" | "inet-binary";

const UTC_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z$/;
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})?$/;

/**
 * An RFC 3339 timestamp as a MySQL DATETIME literal in UTC, its fraction cut
 * (never rounded: rounding up could skip changes) to `precision` digits.
 */
export function toMysqlDatetime(text: string, precision = 6): string {
  // DAP's usual form, in one test and two slices.
  if (precision === 6 && UTC_MICROS.test(text)) return `${text.slice(0, 10)} ${text.slice(11, -1)}`;
  const match = RFC3339.exec(text.trim());
  if (!match) throw new SyntaxError(`Cannot read timestamp '${text}': it is not RFC 3339`);
  const [, date, time, fraction = "", zone = "Z"] = match;
  let stamp = `${date} ${time}`;
  if (!/^(?:[Zz]|[+-]00:?00)$/.test(zone)) {
    const offset = zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
    stamp = new Date(`${date}T${time}${offset}`).toISOString().slice(0, 19).replace("T", " ");
  }
  const digits = fraction.slice(0, precision);
  return digits === "" ? stamp : `${stamp}.${digits}`;
}

/** A DATETIME as the server gives it (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC) in RFC 3339, trailing zeros cut. */
export function fromMysqlDatetime(text: string): string {
  const [date, time = "00:00:00"] = text.trim().split(" ");
  const [seconds, fraction = ""] = time.split(".");
  const digits = fraction.replace(/0+$/, "");
  return `${date}T${seconds}${digits === "" ? "" : `.${digits}`}Z`;
}

/**
 * One normalized line as `LOAD DATA ... ESCAPED BY '\\'` must see it: MySQL
 * knows `\b \n \r \t \\ \N` as COPY does but reads `\f` and `\v` as plain
 * `f` and `v`, so those two become the raw control characters.
 */
export function loadDataLine(line: string): string {
  if (!line.includes("\\f") && !line.includes("\\v")) return line;
  return line.replace(/\\([\s\S])/g, (escape, c: string) => {
    if (c === "f") return "\f";
    if (c === "v") return "\v";
    return escape;
  });
}

const LITERAL_ESCAPES: Record<string, string> = {
  "\0": "\\0",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
  "\x1a": "\\Z",
  "'": "\\'",
  "\\": "\\\\",
};
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /[\0\b\t\n\r\x1a'\\]/;
// deno-lint-ignore no-control-regex
const ESCAPES = /[\0\b\t\n\r\x1a'\\]/g;

/** A quoted SQL string literal (backslash escapes on: the session's sql_mode has no NO_BACKSLASH_ESCAPES). */
export function sqlString(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `'${text}'`;
  return `'${text.replace(ESCAPES, (c) => LITERAL_ESCAPES[c]!)}'`;
}

/** The SQL literal of one TSV field for the INSERT fallback, converted for its column. */
export function sqlLiteral(field: string, conversion: Conversion): string {
  const text = unescapeTsv(field);
  if (text === null) return "NULL";
  switch (conversion) {
    case "plain":
      return sqlString(text);
    case "boolean":
      return booleanLiteral(text);
    case "timestamp":
      return sqlString(toMysqlDatetime(text));
    case "uuid-binary":
      return `UNHEX(REPLACE(${sqlString(text)}, '-', ''))`;
    case "inet-binary":
      return `INET6_ATON(${sqlString(text)})`;
  }
}

function booleanLiteral(text: string): string {
  switch (text) {
    case "t":
    case "true":
    case "1":
      return "1";
    case "f":
    case "false":
    case "0":
      return "0";
  }
  throw new SyntaxError(`Cannot read boolean '${text}': expected t, f, true or false`);
}

/**
 * The SQL expression that turns the user variable a `LOAD DATA` field was
 * read into into its column's value (NULL stays NULL), for the `SET` clause.
 */
export function loadExpression(variable: string, conversion: Conversion): string {
  switch (conversion) {
    case "plain":
      return variable;
    case "boolean":
      // Anything else goes in as it is, so that the server warns and the load fails.
      return `CASE ${variable} WHEN 't' THEN 1 WHEN 'true' THEN 1 WHEN 'f' THEN 0 ` +
        `WHEN 'false' THEN 0 ELSE ${variable} END`;
    case "timestamp":
      return `REPLACE(REPLACE(REPLACE(${variable}, 'T', ' '), 'Z', ''), '+00:00', '')`;
    case "uuid-binary":
      return `UNHEX(REPLACE(${variable}, '-', ''))`;
    case "inet-binary":
      return `INET6_ATON(${variable})`;
  }
}
