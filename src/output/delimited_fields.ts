/**
 * The DAP dialect of CSV and TSV, as the contract defines it. No CSV library
 * on npm tells NULL from the empty string this way or speaks COPY escapes, so
 * the writer is ours.
 *
 * - CSV: a NULL is an empty field; an empty string is `""`; a field with `"`,
 *   the delimiter, CR, LF or tab is quoted, with `""` for each `"`.
 * - TSV (PostgreSQL COPY text): NULL is `\N`; `\b \f \n \r \t \v \\` are escaped.
 */
import type { ColumnType, FlatColumn } from "./flatten_schema.ts";
import { compileGetter, type JsonValue, stringifyJson } from "./json_values.ts";

/** The text of a non-null value in a column of this type. */
export function valueText(value: JsonValue, type: ColumnType): string {
  if (type === "json") return stringifyJson(value);
  if (typeof value === "string") return value;
  if (typeof value === "object") return stringifyJson(value);
  return String(value);
}

const NEEDS_QUOTES = /[",\r\n\t]/;

/** One CSV field. */
export function csvField(value: JsonValue, type: ColumnType): string {
  if (value === null) return "";
  const text = valueText(value, type);
  if (text === "") return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const TSV_SPECIAL = /[\\\b\f\n\r\t\v]/g;
const TSV_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

/** One TSV field. */
export function tsvField(value: JsonValue, type: ColumnType): string {
  if (value === null) return "\\N";
  return valueText(value, type).replace(TSV_SPECIAL, (c) => TSV_ESCAPES[c]!);
}

/** Turns records into CSV or TSV lines over fixed columns. */
export class DelimitedEncoder {
  readonly #columns: readonly FlatColumn[];
  readonly #cells: ((record: JsonValue) => string)[];
  readonly #field: (value: JsonValue, type: ColumnType) => string;
  readonly #delimiter: string;

  constructor(columns: readonly FlatColumn[], format: "csv" | "tsv") {
    this.#columns = columns;
    this.#field = format === "csv" ? csvField : tsvField;
    this.#delimiter = format === "csv" ? "," : "\t";
    const field = this.#field;
    this.#cells = columns.map((column) => {
      const get = compileGetter(column.path);
      return (record: JsonValue) => field(get(record), column.type);
    });
  }

  /** The header line (dotted names), with its newline. */
  header(): string {
    return this.#columns.map((c) => this.#field(c.name, "string")).join(this.#delimiter) + "\n";
  }

  /** One record as a line, with its newline. */
  line(record: JsonValue): string {
    const cells = this.#cells;
    let out = cells[0]!(record);
    for (let i = 1; i < cells.length; i++) out += this.#delimiter + cells[i]!(record);
    return out + "\n";
  }
}
