/**
 * Section 7 of `deno task bench` (issue 14): database sync on real servers
 * started for the run (tests/support), each measured side by side.
 *
 * - initdb: `dap initdb` as shipped, end to end (the emulator serves the
 *   table as TSV parts; dap downloads, verifies and loads them), at two
 *   table sizes for peak RSS; then the engine alone on the same parts, in a
 *   child process (`engine_load.ts`, through `TableSync` as the database
 *   destination drives it, no download). PostgreSQL is compared with `psql
 *   \copy` of the same rows (exported from the loaded table) into a table of
 *   the same shape, primary key included, and the engine alone is run once
 *   more with V8's old space capped at 48 MB, which only works if no rows
 *   are kept in memory.
 * - syncdb: exact counts of changes need generated records, so this one is
 *   the engine alone too, on one gzipped TSV part of the emulator's records:
 *   `upserts` (half updates of live keys with a newer meta.ts, half new
 *   keys) and `deletes` of other live keys.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { delimitedText, flatColumns } from "../../tests/emulator/encode.ts";
import { snapshotKeys } from "../../tests/emulator/row_history.ts";
import { type DapRecord, recordAt } from "../../tests/emulator/rows.ts";
import { serveEmulator } from "../../tests/emulator/serve_emulator.ts";
import { tableAt } from "../../tests/emulator/table_at.ts";
import { HISTORY_ANCHOR } from "../../tests/emulator/row_history.ts";
import { startMariadb } from "../../tests/support/mariadb_server.ts";
import { startPostgres } from "../../tests/support/postgres_server.ts";
import { check, dap, fresh, median, objectUrls, say, timed, verdict, WORK } from "./support.ts";

const NAMESPACE = "canvas";
const TABLE = "wiki_pages";

/** Sizes of the database section. */
export interface DatabaseBench {
  rows: number;
  smallRows: number;
  upserts: number;
  deletes: number;
  /** PostgreSQL initdb and psql \copy pairs on the larger table */
  runs: number;
}

interface Engine {
  label: string;
  /** a fresh, empty database for one table size */
  start(): Promise<{ url: string; stop(): Promise<void> } & Record<string, unknown>>;
}

/** The emulator's records for a syncdb: half updates, half inserts, then deletes; gzipped TSV as served. */
export function changesPart(rows: number, upserts: number, deletes: number): Uint8Array {
  const served = tableAt(NAMESPACE, TABLE, HISTORY_ANCHOR)!;
  const source = { seed: 1, namespace: NAMESPACE, table: TABLE, rows, spec: served.spec };
  const live = snapshotKeys(source, HISTORY_ANCHOR);
  if (live.length < upserts + deletes) throw new RangeError("Cannot bench syncdb: too few rows");
  const later = new Date(HISTORY_ANCHOR + 3_600_000).toISOString();
  const records: DapRecord[] = [];
  for (let i = 0; i < upserts + deletes; i++) {
    const record = recordAt(source, live[i]!, HISTORY_ANCHOR, "incremental");
    if (i >= upserts) records.push({ meta: { ts: later, action: "D" }, key: record.key });
    else if (i % 2 === 0) records.push({ ...record, meta: { ts: later, action: "U" } });
    else {
      const key = { ...record.key, id: 10_000_000_000_000 + 1_000_000_000 + i };
      records.push({ ...record, key, meta: { ts: later, action: "U" } });
    }
  }
  const columns = flatColumns(served.spec, { mode: "condensed", kind: "incremental" });
  return new Uint8Array(gzipSync(delimitedText(records, columns, "tsv"), { level: 1 }));
}

async function initdb(url: string, connection: string) {
  return check(
    await dap(url, [
      "initdb",
      "--namespace",
      NAMESPACE,
      "--table",
      TABLE,
      "--connection-string",
      connection,
    ]),
    `dap initdb (${connection.split(":")[0]})`,
  );
}

interface Loaded {
  seconds: number;
  upserted: number;
  deleted: number;
  rssMb: number;
}

/** initdb or syncdb through the engine seam in a child process: its own seconds, the counts, peak RSS. */
async function engineLoad(
  command: "initdb" | "syncdb",
  connection: string,
  parts: string[],
  v8Flags: string[] = [],
): Promise<Loaded> {
  const script = join(import.meta.dirname!, "engine_load.ts");
  const result = check(
    await timed(
      Deno.execPath(),
      [
        "run",
        "--allow-all",
        ...v8Flags,
        script,
        command,
        connection,
        NAMESPACE,
        TABLE,
        ...parts,
      ],
      {},
      true,
    ),
    `engine_load.ts ${command}`,
  );
  return { ...JSON.parse(result.stdout), rssMb: result.rssMb };
}

/** The TSV parts of the job dap's initdb ran (condensed), downloaded into `dir`, in order. */
async function downloadParts(url: string, dir: string): Promise<string[]> {
  await fresh(dir);
  const urls = await objectUrls(url, TABLE, { format: "tsv", mode: "condensed" });
  const parts: string[] = [];
  for (const [i, objectUrl] of urls.entries()) {
    const path = join(dir, `part-${String(i).padStart(5, "0")}.tsv.gz`);
    await Deno.writeFile(path, new Uint8Array(await (await fetch(objectUrl)).arrayBuffer()));
    parts.push(path);
  }
  return parts;
}

/** `psql \copy` of the rows dap loaded, into an empty table of the same shape: seconds. */
async function psqlCopy(superuserUrl: string): Promise<number> {
  const file = join(WORK, "copy.tsv");
  const psql = (command: string) => timed("psql", ["-q", "-X", superuserUrl, "-c", command]);
  check(await psql(`\\copy ${NAMESPACE}.${TABLE} TO '${file}'`), "psql \\copy TO");
  check(
    await psql(`CREATE TABLE ${NAMESPACE}.bench_copy (LIKE ${NAMESPACE}.${TABLE} INCLUDING ALL)`),
    "psql CREATE TABLE",
  );
  const copy = check(
    await psql(`\\copy ${NAMESPACE}.bench_copy FROM '${file}'`),
    "psql \\copy FROM",
  );
  await Deno.remove(file);
  // The copy uses the table's enum types: dropped, so that the table can be replaced.
  check(await psql(`DROP TABLE ${NAMESPACE}.bench_copy`), "psql DROP TABLE");
  return copy.seconds;
}

interface Database {
  url: string;
  /** PostgreSQL: the superuser's URL, for psql */
  superuserUrl?: string;
  stop(): Promise<void>;
}

const MARIADB_ARGS = ["--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"];

/** The engines measured, each on a fresh database per table size. */
const ENGINES: { label: string; start: () => Promise<Database> }[] = [
  { label: "PostgreSQL (COPY)", start: () => startPostgres() },
  {
    label: "SQLite",
    start: async () => {
      const path = join(WORK, "bench.db");
      await Deno.remove(path).catch(() => {});
      return { url: `sqlite:///${path}`, stop: () => Deno.remove(path).catch(() => {}) };
    },
  },
  {
    label: "MariaDB (LOAD DATA)",
    start: () => startMariadb({ localInfile: true, serverArgs: MARIADB_ARGS }),
  },
  {
    label: "MariaDB (INSERT fallback)",
    start: () => startMariadb({ localInfile: false, serverArgs: MARIADB_ARGS }),
  },
];

interface EngineResult {
  /** dap initdb's peak RSS, per table size */
  initRss: number[];
  /** the larger table, per run: dap initdb end to end, the engine alone, psql \copy */
  init: number[];
  alone: Loaded[];
  copy: number[];
  capped?: Loaded;
  sync?: Loaded;
}

/** An emulator serving canvas.wiki_pages, its TSV parts made once by a throwaway initdb into SQLite. */
async function warmEmulator(rows: number) {
  const server = serveEmulator({
    rows,
    rowsPerObject: 100_000,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    gzipLevel: 1,
    cacheBytes: 2 * 1024 * 1024 * 1024,
  });
  const warm = join(WORK, "warm.db");
  await initdb(server.url, `sqlite:///${warm}`);
  await Deno.remove(warm);
  return server;
}

const seconds = (s: number) => `${s.toFixed(2)} s`;

/**
 * The larger table, after dap initdb: syncdb (first run only), then the
 * engine alone loading the same parts again (replacing the table, so it
 * holds the snapshot's rows once more), psql \copy of those rows, and the
 * heap-capped run. syncdb goes first: a MySQL syncdb right after a
 * replaced table was measured waiting about 10 s (reported to the engine).
 */
async function engineDetails(
  database: Database,
  first: boolean,
  large: { parts: string[]; changes: string },
  result: EngineResult,
): Promise<string> {
  let after = "";
  if (first) {
    const sync = result.sync = await engineLoad("syncdb", database.url, [large.changes]);
    after = `\n${"".padEnd(26)} syncdb (engine alone): ${seconds(sync.seconds)}, applied ` +
      `${sync.upserted} upserts + ${sync.deleted} deletes, peak RSS ${sync.rssMb.toFixed(0)} MB`;
  }
  const alone = await engineLoad("initdb", database.url, large.parts);
  result.alone.push(alone);
  let line = `; engine alone ${seconds(alone.seconds)}, peak RSS ${alone.rssMb.toFixed(0)} MB`;
  if (database.superuserUrl) {
    const copy = await psqlCopy(database.superuserUrl);
    result.copy.push(copy);
    line += `; psql \\copy ${seconds(copy)}`;
    if (first) {
      const flags = ["--v8-flags=--max-old-space-size=48"];
      result.capped = await engineLoad("initdb", database.url, large.parts, flags);
      line += `; engine alone, old space capped at 48 MB: ${seconds(result.capped.seconds)}, ` +
        `peak RSS ${result.capped.rssMb.toFixed(0)} MB`;
    }
  }
  return line + after;
}

async function benchEngine(
  engine: { label: string; start: () => Promise<Database> },
  url: string,
  rows: number,
  large: { parts: string[]; changes: string } | undefined,
  result: EngineResult,
): Promise<void> {
  const database = await engine.start();
  try {
    const init = await initdb(url, database.url);
    // one peak per table size: the largest of the runs
    if (!large || result.init.length === 0) result.initRss.push(init.rssMb);
    else result.initRss[1] = Math.max(result.initRss[1]!, init.rssMb);
    let line = `${engine.label.padEnd(26)} dap initdb ${seconds(init.seconds)} (${
      (rows / init.seconds / 1000).toFixed(0)
    }k rows/s), peak RSS ${init.rssMb.toFixed(0)} MB`;
    if (large) {
      result.init.push(init.seconds);
      line += await engineDetails(database, result.sync === undefined, large, result);
    }
    say(line);
  } finally {
    await database.stop();
  }
}

/** Section 7. */
export async function benchDatabase(bench: DatabaseBench): Promise<void> {
  say(`## 7. Database sync of canvas.wiki_pages (13 columns)`);
  const changes = join(WORK, "changes.tsv.gz");
  await Deno.writeFile(changes, changesPart(bench.rows, bench.upserts, bench.deletes));
  const results = new Map(
    ENGINES.map((e) => [e.label, { initRss: [], init: [], alone: [], copy: [] } as EngineResult]),
  );
  for (const rows of [bench.smallRows, bench.rows]) {
    say(`### ${rows.toLocaleString("en")} rows`);
    await using server = await warmEmulator(rows);
    const large = rows === bench.rows
      ? { parts: await downloadParts(server.url, join(WORK, "db-parts")), changes }
      : undefined;
    for (const engine of ENGINES) {
      // PostgreSQL against psql \copy is the target: repeated, on a fresh server each time.
      const runs = large && engine === ENGINES[0] ? bench.runs : 1;
      for (let run = 0; run < runs; run++) {
        await benchEngine(engine, server.url, rows, large, results.get(engine.label)!);
      }
    }
  }
  await Deno.remove(changes);
  await fresh(join(WORK, "db-parts"));
  databaseVerdicts(bench, results);
  say();
}

function databaseVerdicts(bench: DatabaseBench, results: Map<string, EngineResult>): void {
  const pg = results.get(ENGINES[0]!.label)!;
  const [init, copy] = [median(pg.init), median(pg.copy)];
  const alone = median(pg.alone.map((a) => a.seconds));
  verdict(
    "database",
    `PostgreSQL initdb of ${
      bench.rows.toLocaleString("en")
    } rows within 1.5 × psql \\copy of the same rows`,
    `dap initdb ${seconds(init)} / psql \\copy ${seconds(copy)} = ${(init / copy).toFixed(2)} ` +
      `(download included); the engine alone ${(alone / copy).toFixed(2)}`,
    init / copy <= 1.5,
  );
  const exact = [...results.values()].every((r) =>
    r.sync?.upserted === bench.upserts && r.sync?.deleted === bench.deletes
  );
  verdict(
    "database",
    `syncdb applies exactly ${bench.upserts} upserts and ${bench.deletes} deletes on every engine`,
    [...results].map(([label, r]) =>
      `${label} ${r.sync!.upserted}+${r.sync!.deleted} in ${seconds(r.sync!.seconds)}`
    ).join("; "),
    exact,
  );
  const peaks = [...results].map(([label, r]) => [label, [...r.initRss, r.sync!.rssMb]] as const);
  const flat = peaks.every(([, mb]) => Math.max(...mb) < 150 && mb[1]! <= mb[0]! * 1.3);
  verdict(
    "database",
    "peak RSS flat (the larger table within 1.3 × the smaller) and under 150 MB",
    peaks.map(([label, mb]) => `${label} ${mb.map((m) => m.toFixed(0)).join("/")}`).join(", ") +
      ` MB (dap initdb small/large, syncdb); PostgreSQL's engine with old space capped at 48 MB ` +
      `${pg.capped ? `completes, peak RSS ${pg.capped.rssMb.toFixed(0)} MB` : "was not run"}`,
    flat,
  );
}
