/**
 * Section 6 of `deno task bench`: `--merge` of canvas.wiki_pages in every
 * format, download included, with rows per second and peak RSS at two table
 * sizes, against DuckDB converting the same parts (local) to Parquet in this
 * process. dap asks the API for CSV parts for CSV, TSV for TSV and Parquet,
 * JSONL for JSONL; DuckDB is timed on the JSONL and on the TSV parts (the
 * JSON column read as text, since DuckDB does not undo COPY escapes), and the
 * faster is the reference.
 */
import { join } from "node:path";
import { serveEmulator } from "../../tests/emulator/serve_emulator.ts";
import { check, dap, fresh, say, verdict, WORK } from "./support.ts";

const TABLE = ["--namespace", "canvas", "--table", "wiki_pages"];
const FORMATS = [
  ["jsonl", "zstd"],
  ["csv", "zstd"],
  ["tsv", "zstd"],
  ["parquet", "zstd"],
  ["parquet", "snappy"],
  ["parquet", "gzip"],
  ["parquet", "none"],
] as const;

interface MergeRun {
  seconds: number;
  rssMb: number;
  sizeMb: number;
}

async function mergeOnce(url: string, format: string, codec: string): Promise<MergeRun> {
  const out = await fresh(join(WORK, "out"));
  const result = check(
    await dap(url, [
      "snapshot",
      ...TABLE,
      "--merge",
      "--format",
      format,
      "--codec",
      codec,
      "--output-directory",
      out,
    ]),
    `dap --merge --format ${format}`,
  );
  const size = (await Deno.stat(join(out, "canvas", `wiki_pages.${format}`))).size;
  return { seconds: result.seconds, rssMb: result.rssMb, sizeMb: size / 1048576 };
}

/**
 * Downloads the parts as served (no merge) into `dir` and times a second
 * download; then runs the merges that ask for CSV and TSV parts once, so the
 * emulator has made every object before anything is timed.
 */
async function downloadParts(url: string, format: string, dir: string) {
  const args = ["snapshot", ...TABLE, "--format", format, "--output-directory", dir];
  check(await dap(url, args), `dap snapshot --format ${format}`);
  const timed = check(
    await dap(url, [...args.slice(0, -1), await fresh(join(WORK, "out"))]),
    "dap",
  );
  if (format !== "jsonl") await mergeOnce(url, format, "zstd");
  return timed;
}

const TSV_TYPES: Record<string, string> = {
  "meta.ts": "TIMESTAMPTZ",
  "key.id": "BIGINT",
  "value.created_at": "TIMESTAMPTZ",
  "value.updated_at": "TIMESTAMPTZ",
  "value.root_account_id": "BIGINT",
  "value.context_id": "BIGINT",
  "value.position": "INTEGER",
  "value.score": "DOUBLE",
  "value.enabled": "BOOLEAN",
};

/** DuckDB reading local parts and writing Parquet (zstd): seconds. */
async function duckdb(source: string, target: string): Promise<number> {
  const { DuckDBInstance } = await import("npm:@duckdb/node-api@1.5.6-r.1");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const started = performance.now();
  await connection.run(
    `COPY (SELECT * FROM ${source}) TO '${target}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  const seconds = (performance.now() - started) / 1000;
  connection.closeSync();
  instance.closeSync();
  return seconds;
}

function tsvSource(parts: string): string {
  const header = "meta.ts\tkey.id\tvalue.created_at\tvalue.updated_at\tvalue.workflow_state\t" +
    "value.root_account_id\tvalue.context_id\tvalue.name\tvalue.description\tvalue.position\t" +
    "value.score\tvalue.enabled\tvalue.metadata";
  const columns = header.split("\t").map((name) => `'${name}': '${TSV_TYPES[name] ?? "VARCHAR"}'`);
  return `read_csv('${parts}/*/*.tsv.gz', delim='\t', quote='', escape='', nullstr='\\N', ` +
    `header=true, auto_detect=false, columns={${columns.join(", ")}})`;
}

/** Section 6. */
export async function benchMerge(options: { rows: number; smallRows: number }): Promise<void> {
  say(
    `## 6. --merge of canvas.wiki_pages (13 columns): rows per second and peak RSS per format, download included`,
  );
  const peaks = new Map<string, number[]>();
  let reference = { duck: 0, parquet: 0, download: 0, jsonlDuck: 0, tsvDuck: 0 };
  const rates: Record<string, number> = {};
  for (const rows of [options.smallRows, options.rows]) {
    await using server = serveEmulator({
      rows,
      rowsPerObject: 100_000,
      jobWaitingMs: 0,
      jobRunningMs: 0,
      gzipLevel: 1,
      cacheBytes: 3 * 1024 * 1024 * 1024,
    });
    say(`### ${rows.toLocaleString("en")} rows`);
    const parts: Record<string, string> = {};
    const downloads: Record<string, number> = {};
    for (const partFormat of ["jsonl", "csv", "tsv"]) {
      parts[partFormat] = await fresh(join(WORK, `parts-${partFormat}`));
      const result = await downloadParts(server.url, partFormat, parts[partFormat]);
      downloads[partFormat] = result.seconds;
      say(
        `download only, ${partFormat.toUpperCase()} parts as served: ${
          result.seconds.toFixed(2)
        } s, peak RSS ${result.rssMb.toFixed(0)} MB`,
      );
    }
    let parquetSeconds = 0;
    for (const [format, codec] of FORMATS) {
      const run = await mergeOnce(server.url, format, codec);
      const label = format === "parquet" ? `parquet ${codec}` : format;
      const rate = rows / run.seconds;
      if (format !== "parquet" || codec === "zstd") rates[format] = rate;
      if (format === "parquet" && codec === "zstd") parquetSeconds = run.seconds;
      peaks.set(label, [...(peaks.get(label) ?? []), run.rssMb]);
      say(
        `${label.padEnd(15)} ${run.seconds.toFixed(2)} s   ${
          (rate / 1000).toFixed(0)
        }k rows/s   peak RSS ${run.rssMb.toFixed(0)} MB   ${run.sizeMb.toFixed(0)} MiB`,
      );
    }
    const jsonlDuck = await duckdb(
      `read_json('${parts.jsonl}/*/*.json.gz', format='newline_delimited')`,
      join(WORK, "duck.parquet"),
    );
    const tsvDuck = await duckdb(tsvSource(parts.tsv!), join(WORK, "duck.parquet"));
    say(
      `DuckDB, local parts to Parquet (zstd): JSONL ${jsonlDuck.toFixed(2)} s (${
        (rows / jsonlDuck / 1000).toFixed(0)
      }k rows/s), TSV ${tsvDuck.toFixed(2)} s (${(rows / tsvDuck / 1000).toFixed(0)}k rows/s)`,
    );
    reference = {
      duck: Math.min(jsonlDuck, tsvDuck),
      parquet: parquetSeconds,
      download: downloads.tsv!,
      jsonlDuck,
      tsvDuck,
    };
    for (const dir of Object.values(parts)) await fresh(dir);
  }
  mergeVerdicts(options.rows, rates, reference, peaks);
  await fresh(join(WORK, "out"));
  say();
}

function mergeVerdicts(
  rows: number,
  rates: Record<string, number>,
  reference: { duck: number; parquet: number; download: number },
  peaks: Map<string, number[]>,
): void {
  for (const format of ["csv", "tsv"]) {
    const rate = rates[format]!;
    verdict(
      "merge",
      `${format.toUpperCase()} at least 300k rows/s (${
        rows.toLocaleString("en")
      } rows, download included)`,
      `${(rate / 1000).toFixed(0)}k rows/s`,
      rate >= 300_000,
    );
  }
  const ratio = reference.parquet / reference.duck;
  const mergeOnly = (reference.parquet - reference.download) / reference.duck;
  verdict(
    "merge",
    "Parquet (zstd) within 2 × DuckDB's time on the same parts",
    `dap ${reference.parquet.toFixed(2)} s (download included) / DuckDB ${
      reference.duck.toFixed(2)
    } s = ${ratio.toFixed(2)}; without dap's download ${mergeOnly.toFixed(2)}`,
    ratio <= 2,
  );
  const worst = Math.max(...[...peaks.values()].flat());
  const list = [...peaks].map(([label, mb]) => `${label} ${mb.map((m) => m.toFixed(0)).join("/")}`);
  verdict(
    "merge",
    "peak RSS under 150 MB for every format at both sizes",
    `${list.join(", ")} MB`,
    worst < 150,
  );
}
