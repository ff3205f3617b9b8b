/**
 * Independent readers for the DAP CSV and TSV dialects, for tests only: CSV
 * per RFC 4180 telling an empty unquoted field (NULL) from `""` (empty
 * string), TSV per PostgreSQL COPY text format (`\N` is NULL).
 */

/** Reads CSV text into rows of cells; NULL cells are `null`. */
export function readCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    let cell: string | null;
    if (text[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new SyntaxError("unterminated quoted field");
        value += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      cell = value;
    } else {
      let end = i;
      while (end < text.length && text[end] !== "," && text[end] !== "\n" && text[end] !== "\r") {
        end++;
      }
      cell = end === i ? null : text.slice(i, end);
      i = end;
    }
    row.push(cell);
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n" || i >= text.length) {
      i++;
      rows.push(row);
      row = [];
    }
  }
  return rows;
}

const UNESCAPE: Record<string, string> = {
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** Reads TSV (COPY text) into rows of cells; `\N` cells are `null`. */
export function readTsv(text: string): (string | null)[][] {
  return text.split("\n").filter((line, i, all) => !(i === all.length - 1 && line === "")).map((
    line,
  ) =>
    line.split("\t").map((field) =>
      field === "\\N" ? null : field.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c)
    )
  );
}
