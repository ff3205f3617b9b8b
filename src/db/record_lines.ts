/**
 * The records of a downloaded DAP TSV part (gzipped, header first, PostgreSQL
 * COPY text format), normalized for loading: one line per record,
 * `<action>\t<meta.ts>\t<col 1>\t...\t<col N>` with the model's columns in
 * model order (`\N` where the part has no such column), so engines need no
 * header logic. Snapshot records (no `meta.action`) get `U`.
 */
import { partLines } from "../output/part_lines.ts";
import type { TableModel } from "./table_model.ts";

/** How to turn one part's lines into normalized lines, from its header. */
export function lineLayout(header: string, model: TableModel): (line: string) => string {
  const names = header.split("\t");
  const at = (name: string) => names.indexOf(name);
  const ts = at("meta.ts");
  const action = at("meta.action");
  const positions = model.columns.map((c) => at(c.header));
  if (ts < 0) throw new SyntaxError("Cannot read a TSV part: its header has no meta.ts column");
  // The usual case: the header is meta.ts (and meta.action), then the model's columns in order.
  const served = [
    action < 0 ? "meta.ts" : "meta.ts\tmeta.action",
    ...model.columns.map((c) => c.header),
  ];
  if (header === served.join("\t")) {
    return action < 0 ? (line) => `U\t${line}` : (line) => {
      const tab = line.indexOf("\t");
      const tab2 = line.indexOf("\t", tab + 1);
      return `${line.slice(tab + 1, tab2)}\t${line.slice(0, tab)}${line.slice(tab2)}`;
    };
  }
  return (line) => {
    const fields = line.split("\t");
    const cells = positions.map((p) => (p < 0 ? "\\N" : fields[p] ?? "\\N"));
    return `${action < 0 ? "U" : fields[action]}\t${fields[ts]}\t${cells.join("\t")}`;
  };
}

/** The normalized records of one gzipped TSV part, in batches. */
export async function* partRecords(path: string, model: TableModel): AsyncGenerator<string[]> {
  let layout: ((line: string) => string) | undefined;
  for await (const batch of partLines(path)) {
    let lines = batch;
    if (!layout) {
      layout = lineLayout(lines[0]!, model);
      lines = lines.slice(1);
    }
    if (lines.length > 0) yield lines.map(layout);
  }
}
