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
import { check, dap, fresh, median, say, stat, verdict, WORK } from "./support.ts";

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

interface SizeResult {
  /** seconds and peak RSS per format label */
  runs: Map<string, MergeRun[]>;
  duck: { jsonl: number[]; tsv: number[] };
  download: number;
}

/** Downloads the parts once per part format (timed), then `runs` rounds of every merge and DuckDB. */
async function measureSize(url: string, rows: number, runs: number): Promise<SizeResult> {
  const parts: Record<string, string> = {};
  let download = 0;
  for (const partFormat of ["jsonl", "csv", "tsv"]) {
    parts[partFormat] = await fresh(join(WORK, `parts-${partFormat}`));
    const result = await downloadParts(url, partFormat, parts[partFormat]);
    if (partFormat === "tsv") download = result.seconds;
    say(
      `download only, ${partFormat.toUpperCase()} parts as served: ${
        result.seconds.toFixed(2)
      } s, peak RSS ${result.rssMb.toFixed(0)} MB`,
    );
  }
  const result: SizeResult = { runs: new Map(), duck: { jsonl: [], tsv: [] }, download };
  for (let run = 0; run < runs; run++) {
    for (const [format, codec] of FORMATS) {
      const label = format === "parquet" ? `parquet ${codec}` : format;
      result.runs.set(label, [
        ...(result.runs.get(label) ?? []),
        await mergeOnce(url, format, codec),
      ]);
    }
    const target = join(WORK, "duck.parquet");
    result.duck.jsonl.push(
      await duckdb(`read_json('${parts.jsonl}/*/*.json.gz', format='newline_delimited')`, target),
    );
    result.duck.tsv.push(await duckdb(tsvSource(parts.tsv!), target));
  }
  for (const dir of Object.values(parts)) await fresh(dir);
  report(rows, result);
  return result;
}

function report(rows: number, result: SizeResult): void {
  for (const [label, runs] of result.runs) {
    const seconds = runs.map((r) => r.seconds);
    say(
      `${label.padEnd(15)} ${stat(seconds)} s   ${
        (rows / median(seconds) / 1000).toFixed(0)
      }k rows/s   peak RSS ${Math.max(...runs.map((r) => r.rssMb)).toFixed(0)} MB   ${
        runs[0]!.sizeMb.toFixed(0)
      } MiB`,
    );
  }
  const { jsonl, tsv } = result.duck;
  say(
    `DuckDB, local parts to Parquet (zstd): JSONL ${stat(jsonl)} s (${
      (rows / median(jsonl) / 1000).toFixed(0)
    }k rows/s), TSV ${stat(tsv)} s (${(rows / median(tsv) / 1000).toFixed(0)}k rows/s)`,
  );
}

/** Section 6. */
export async function benchMerge(
  options: { rows: number; smallRows: number; runs: number },
): Promise<void> {
  say(
    `## 6. --merge of canvas.wiki_pages (13 columns): rows per second and peak RSS per format, download included`,
  );
  const sizes: SizeResult[] = [];
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
    sizes.push(await measureSize(server.url, rows, rows === options.rows ? options.runs : 1));
  }
  mergeVerdicts(options.rows, sizes);
  await fresh(join(WORK, "out"));
  say();
}

function mergeVerdicts(rows: number, sizes: SizeResult[]): void {
  const large = sizes[sizes.length - 1]!;
  const seconds = (label: string) => median(large.runs.get(label)!.map((r) => r.seconds));
  for (const format of ["csv", "tsv"]) {
    const rate = rows / seconds(format);
    verdict(
      "merge",
      `${format.toUpperCase()} at least 300k rows/s (${
        rows.toLocaleString("en")
      } rows, download included)`,
      `${(rate / 1000).toFixed(0)}k rows/s`,
      rate >= 300_000,
    );
  }
  const duck = Math.min(median(large.duck.jsonl), median(large.duck.tsv));
  const parquet = seconds("parquet zstd");
  const ratio = parquet / duck;
  verdict(
    "merge",
    "Parquet (zstd) within 2 × DuckDB's time on the same parts",
    `dap ${parquet.toFixed(2)} s (download included) / DuckDB ${duck.toFixed(2)} s = ${
      ratio.toFixed(2)
    }; without dap's download ${((parquet - large.download) / duck).toFixed(2)}`,
    ratio <= 2,
  );
  const peaks = [...large.runs.keys()].map((label) =>
    [label, sizes.map((size) => Math.max(...size.runs.get(label)!.map((r) => r.rssMb)))] as const
  );
  const worst = Math.max(...peaks.flatMap(([, mb]) => mb));
  verdict(
    "merge",
    "peak RSS under 150 MB for every format at both sizes",
    `${
      peaks.map(([label, mb]) => `${label} ${mb.map((m) => m.toFixed(0)).join("/")}`).join(", ")
    } MB`,
    worst < 150,
  );
}
