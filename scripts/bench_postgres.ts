/**
 * The PostgreSQL engine measured alone (no download): initdb of N rows given
 * as gzipped DAP TSV parts, through the seam exactly as `dap initdb` drives
 * it, against `psql \copy` of the same rows (without the meta columns) into
 * a table of the same shape, primary key included; then a syncdb of a tenth
 * as many changes (staged, merged newest-wins). The engine runs in a child
 * process that samples its own RSS, so the numbers are the loader's alone.
 *
 *   deno run -A scripts/bench_postgres.ts [--rows 1000000] [--part-rows 100000] [--runs 2]
 *
 * BENCH_V8_FLAGS=--max-old-space-size=48 caps the child's heap: that 3M rows
 * still load shows the loader keeps no rows in memory.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { parseConnectionString } from "../src/db/connection_string.ts";
import { createPostgresEngine } from "../src/db/postgres_engine.ts";
import { createTableSql } from "../src/db/postgres_sql.ts";
import { TableSync } from "../src/db/sync_table.ts";
import { tableModel } from "../src/db/table_model.ts";
import { SILENT_LOG } from "../src/runtime.ts";
import { startPostgres } from "../tests/support/postgres_server.ts";

const STATES = ["created", "claimed", "available", "completed", "deleted", "__dap_unspecified__"];
const SCHEMA = {
  type: "object",
  properties: {
    key: { type: "object", properties: { id: { type: "integer", format: "int64" } } },
    value: {
      type: "object",
      required: ["workflow_state"],
      properties: {
        name: { type: "string" },
        workflow_state: { type: "string", enum: STATES },
        created_at: { type: "string", format: "date-time" },
        is_public: { type: "boolean" },
        settings: { type: "object" },
        account_id: { type: "integer", format: "int64" },
        score: { type: "number" },
        code: { type: "string", maxLength: 255 },
        updated_at: { type: "string", format: "date-time" },
      },
    },
  },
};
/** One line on stdout (scripts print; src/ does not). */
function print(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${text}\n`));
}

const MODEL = tableModel("canvas", "bench", { schema: SCHEMA, version: 1 });
const HEADER = ["meta.ts", ...MODEL.columns.map((c) => c.header)].join("\t");

/** Row `i`'s columns as COPY text (the hard parts: escapes, NULLs, JSON, big ids). */
function columns(i: number, salt = ""): string {
  const day = String(1 + (i % 28)).padStart(2, "0");
  return [
    10_000_000_000_000 + i,
    `course ${i}${salt} intro biology \\t tab, naïve café`,
    STATES[i % STATES.length],
    `2024-01-${day}T03:04:05.${String(i % 1000).padStart(3, "0")}Z`,
    i % 2 === 0 ? "true" : "false",
    i % 7 === 0 ? "\\N" : `{"a": [${i}, 2], "b": "x"}`,
    1000 + (i % 50),
    (i / 7).toFixed(3),
    `CODE-${i}`,
    "2025-06-01T00:00:00Z",
  ].join("\t");
}

async function writeParts(dir: string, rows: number, perPart: number): Promise<void> {
  const encoder = new TextEncoder();
  using plain = await Deno.open(join(dir, "rows.tsv"), { write: true, create: true });
  for (let start = 0, n = 0; start < rows; start += perPart, n++) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(rows, start + perPart); i++) lines.push(columns(i));
    const text = lines.join("\n") + "\n";
    await plain.write(encoder.encode(text));
    const part = lines.map((line) => `2026-11-01T00:00:00Z\t${line}`).join("\n");
    const gz = gzipSync(encoder.encode(`${HEADER}\n${part}\n`), { level: 1 });
    await Deno.writeFile(join(dir, `part-${String(n).padStart(5, "0")}.tsv.gz`), gz);
  }
}

async function writeChanges(dir: string, rows: number, changes: number): Promise<void> {
  const lines = [["meta.ts", "meta.action", ...MODEL.columns.map((c) => c.header)].join("\t")];
  for (let k = 0; k < changes; k++) {
    const i = Math.floor((k * rows) / changes);
    const ts = "2026-11-21T00:00:00Z";
    lines.push(
      k % 3 === 2
        ? `${ts}\tD\t${10_000_000_000_000 + i}${"\t\\N".repeat(9)}`
        : `${ts}\tU\t${columns(k % 3 === 1 ? rows + k : i, " (changed)")}`,
    );
  }
  const text = new TextEncoder().encode(lines.join("\n") + "\n");
  await Deno.writeFile(join(dir, "changes", "part-00000.tsv.gz"), gzipSync(text, { level: 1 }));
}

/** Child: one initdb (or syncdb) through the seam; prints seconds and peak RSS as JSON. */
async function child(url: string, dir: string, command: "initdb" | "syncdb"): Promise<void> {
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  const engine = await createPostgresEngine(parseConnectionString(url), {
    log: SILENT_LOG,
    signal: new AbortController().signal,
  });
  await engine.prepare();
  const partsDir = command === "initdb" ? dir : join(dir, "changes");
  const parts = [...Deno.readDirSync(partsDir)].filter((e) => e.name.endsWith(".gz"))
    .map((e) => join(partsDir, e.name)).sort();
  const started = performance.now();
  const session = await engine.begin("canvas", "bench", command === "initdb" ? "init" : "sync");
  const sync = new TableSync(session, MODEL, SILENT_LOG);
  if (command === "initdb") await sync.create();
  else await sync.migrate();
  for (const part of parts) await sync.addPart(part);
  const counts = await sync.commit(
    command === "initdb" ? { at: "2026-11-20T08:00:00Z" } : {
      until: "2026-11-21T08:00:00Z",
    },
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await engine.close();
  print(JSON.stringify({ seconds, peakMb: peak / 1e6, counts }));
}

async function run(program: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(program, { args, stderr: "piped", stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`${program} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return text;
}

const V8 = Deno.env.get("BENCH_V8_FLAGS") ? [`--v8-flags=${Deno.env.get("BENCH_V8_FLAGS")}`] : [];

async function engineRun(url: string, dir: string, command: string) {
  const self = new URL(import.meta.url).pathname;
  const text = await run(Deno.execPath(), ["run", "-A", ...V8, self, "--child", command, url, dir]);
  return JSON.parse(text.trim().split("\n").pop()!) as { seconds: number; peakMb: number };
}

async function psqlCopy(url: string, dir: string, n: number): Promise<number> {
  const name = `bench_copy_${n}`;
  const ddl = ["CREATE SCHEMA IF NOT EXISTS canvas", ...createTableSql({ ...MODEL, table: name })]
    .join("; ");
  await run("psql", ["-q", "-X", url, "-c", ddl]);
  const started = performance.now();
  await run("psql", [
    "-q",
    "-X",
    url,
    "-c",
    `\\copy canvas.${name} FROM '${join(dir, "rows.tsv")}'`,
  ]);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rows: { type: "string", default: "1000000" },
      "part-rows": { type: "string", default: "100000" },
      runs: { type: "string", default: "2" },
    },
  });
  const rows = Number(values.rows);
  const dir = await Deno.makeTempDir({ prefix: "dap-bench-postgres-" });
  await Deno.mkdir(join(dir, "changes"));
  await writeParts(dir, rows, Number(values["part-rows"]));
  await writeChanges(dir, rows, Math.floor(rows / 10));
  await using server = await startPostgres({ password: false });
  try {
    for (let r = 1; r <= Number(values.runs); r++) {
      await server.sql.unsafe(
        "DROP TABLE IF EXISTS canvas.bench; DROP TABLE IF EXISTS instructure_dap.table_sync",
      );
      const copy = await psqlCopy(server.url, dir, r);
      const init = await engineRun(server.url, dir, "initdb");
      const sync = await engineRun(server.url, dir, "syncdb");
      print(
        `run ${r}: ${rows} rows: psql \\copy ${copy.toFixed(2)} s (${
          (rows / copy / 1000).toFixed(0)
        }k rows/s); ` +
          `dap initdb ${init.seconds.toFixed(2)} s (${
            (rows / init.seconds / 1000).toFixed(0)
          }k rows/s, ` +
          `${(init.seconds / copy).toFixed(2)}x, peak RSS ${init.peakMb.toFixed(0)} MB); ` +
          `dap syncdb of ${rows / 10} changes ${sync.seconds.toFixed(2)} s (peak RSS ${
            sync.peakMb.toFixed(0)
          } MB)`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (Deno.args[0] === "--child") {
  await child(Deno.args[2]!, Deno.args[3]!, Deno.args[1] as "initdb" | "syncdb");
} else {
  await main();
}
