/**
 * Measures the MySQL engine on a throwaway MariaDB: initdb of a table of
 * `--rows` rows (10 columns, every kind of conversion) through LOAD DATA
 * LOCAL INFILE and through the batched INSERT fallback, then a syncdb of
 * `--changes` records; prints seconds, rows/s and the process's peak RSS.
 * Records are made on the fly, as the pipeline makes them from parts.
 *
 *   deno run -A scripts/bench_mysql.ts [--rows 1000000] [--changes 100000] [--runs 3]
 */
import { parseArgs } from "node:util";
import { parseConnectionString } from "../src/db/connection_string.ts";
import type { Engine } from "../src/db/engine.ts";
import { createMysqlEngine } from "../src/db/mysql_engine.ts";
import { tableModel } from "../src/db/table_model.ts";
import { SILENT_LOG } from "../src/runtime.ts";
import { startMariadb } from "../tests/support/mariadb_server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    changes: { type: "string", default: "100000" },
    runs: { type: "string", default: "3" },
    parts: { type: "string", default: "10" },
  },
});
const ROWS = Number(values.rows);
const CHANGES = Number(values.changes);
const RUNS = Number(values.runs);
const PARTS = Number(values.parts);
const BATCH = 300; // lines per batch, about what one decompressed chunk of a part holds
const encoder = new TextEncoder();
const say = (text: string) => Deno.stdout.writeSync(encoder.encode(text + "\n"));

const SCHEMA = {
  type: "object",
  properties: {
    key: { type: "object", properties: { id: { type: "integer", format: "int64" } } },
    value: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", maxLength: 255 },
        body: { type: "string" },
        count: { type: "integer", format: "int32" },
        score: { type: "number" },
        flag: { type: "boolean" },
        at: { type: "string", format: "date-time" },
        day: { type: "string", format: "date" },
        state: { type: "string", enum: ["active", "deleted", "completed"] },
        data: { type: "object" },
      },
    },
  },
};
const STATES = ["active", "deleted", "completed", "__dap_unspecified__"];

function line(i: number, action = "U", version = 0): string {
  const ts = new Date(Date.UTC(2026, 0, 1) + i * 997 + version).toISOString();
  if (action === "D") return `D\t${ts}\t${10_000_000_000_000 + i}${"\t\\N".repeat(9)}`;
  return [
    action,
    ts,
    10_000_000_000_000 + i,
    `course ${i} v${version}`,
    i % 7 === 0 ? "a tab\\there, a line\\nthere, a back\\\\slash" : `body of row ${i}`,
    i % 100_000,
    i / 7,
    i % 2 === 0 ? "true" : "f",
    ts,
    `20${10 + (i % 15)}-0${1 + (i % 9)}-1${i % 9}`,
    STATES[i % 4],
    `{"n":${i},"tags":["x","y"],"ok":true}`,
  ].join("\t");
}

async function* records(from: number, to: number, make: (i: number) => string) {
  for (let start = from; start < to; start += BATCH) {
    const batch: string[] = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) batch.push(make(i));
    yield batch;
  }
}

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 50);

async function timed(work: () => Promise<unknown>): Promise<{ seconds: number; peakMb: number }> {
  peak = Deno.memoryUsage().rss;
  const started = performance.now();
  await work();
  peak = Math.max(peak, Deno.memoryUsage().rss);
  return { seconds: (performance.now() - started) / 1000, peakMb: Math.round(peak / 1e6) };
}

async function initdb(engine: Engine, table: string): Promise<void> {
  const model = tableModel("bench", table, { schema: SCHEMA, version: 1 });
  const session = await engine.begin("bench", table, "init");
  await session.createTable(model);
  const per = Math.ceil(ROWS / PARTS);
  for (let p = 0; p < PARTS; p++) {
    await session.load(model, records(p * per, Math.min(ROWS, (p + 1) * per), (i) => line(i)));
  }
  await session.finish(model);
  await session.writeSync({
    namespace: "bench",
    table,
    timestamp: "2026-11-20T08:00:00Z",
    schemaVersion: 1,
    schemaDescription: JSON.stringify(SCHEMA),
  });
  await session.commit();
}

/** Changes: a quarter deletes, a quarter new rows, half updates (some keys twice). */
async function syncdb(engine: Engine, table: string): Promise<void> {
  const model = tableModel("bench", table, { schema: SCHEMA, version: 1 });
  const session = await engine.begin("bench", table, "sync");
  await session.migrate(model, model);
  await session.load(
    model,
    records(0, CHANGES, (j) => {
      const kind = j % 4;
      const i = kind === 0 ? ROWS + j : Math.floor((j * 7919) % ROWS);
      return line(i, kind === 1 ? "D" : "U", 1000 + j);
    }),
  );
  await session.finish(model);
  await session.writeSync({
    namespace: "bench",
    table,
    timestamp: "2026-11-21T08:00:00Z",
    schemaVersion: 1,
    schemaDescription: JSON.stringify(SCHEMA),
  });
  await session.commit();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function report(label: string, rows: number, results: { seconds: number; peakMb: number }[]) {
  const seconds = results.map((r) => r.seconds);
  say(
    `${label.padEnd(34)} ${median(seconds).toFixed(2).padStart(7)} s  ` +
      `(${Math.min(...seconds).toFixed(2)}-${Math.max(...seconds).toFixed(2)})  ` +
      `${Math.round(rows / median(seconds)).toLocaleString("en").padStart(9)} rows/s  ` +
      `peak RSS ${Math.max(...results.map((r) => r.peakMb))} MB`,
  );
}

const generate = await timed(async () => {
  for await (const _ of records(0, ROWS, (i) => line(i))) { /* only the lines */ }
});
report(`making ${ROWS} lines (no database)`, ROWS, [generate]);

for (const localInfile of [true, false]) {
  await using server = await startMariadb({
    localInfile,
    serverArgs: ["--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"],
  });
  const engine = await createMysqlEngine(parseConnectionString(server.url), {
    log: SILENT_LOG,
    signal: new AbortController().signal,
  });
  await engine.prepare();
  const how = localInfile ? "LOAD DATA LOCAL INFILE" : "INSERT fallback";
  const inits = [];
  const syncs = [];
  for (let run = 0; run < RUNS; run++) {
    inits.push(await timed(() => initdb(engine, `t${run}`)));
    syncs.push(await timed(() => syncdb(engine, `t${run}`)));
  }
  report(`initdb ${ROWS} rows, ${how}`, ROWS, inits);
  report(`syncdb ${CHANGES} changes, ${how}`, CHANGES, syncs);
  await engine.close();
}
clearInterval(sampler);
