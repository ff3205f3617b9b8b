/**
 * PostgreSQL COPY text format, the DAP TSV dialect: `\N` is NULL; `\b \f \n
 * \r \t \v \\` are escapes. For engines that bind values rather than stream
 * COPY text. Pure.
 */

const UNESCAPES: Record<string, string> = {
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** The value of one field: `null` for `\N`, the unescaped text otherwise. */
export function unescapeTsv(field: string): string | null {
  if (field === "\\N") return null;
  if (!field.includes("\\")) return field;
  return field.replace(/\\(.)/g, (_match, c: string) => UNESCAPES[c] ?? c);
}

/** The fields of one line, unescaped. */
export function splitTsv(line: string): (string | null)[] {
  return line.split("\t").map(unescapeTsv);
}
