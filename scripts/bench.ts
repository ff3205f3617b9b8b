/**
 * `deno task bench`: measures `dap` as shipped (the bundle under `deno run`)
 * side by side with the floor and the alternatives in one run, on loopback,
 * and prints every target of issues 14 and 15 with MET or MISSED, then all
 * of them again in one table. It never fails on a slow machine.
 *
 *   --size MB         table size of the download sections (default 1024)
 *   --objects N       objects per table (default 64)
 *   --runs N          repetitions of each download measurement (default 3)
 *   --concurrency N   download concurrency for dap and curl (default 8)
 *   --sweep           also time dap at concurrency 1, 2, 4, 8, 16, 32
 *   --tables N        tables of the rate-limit section (default 20)
 *   --merge-rows N    rows merged in section 6 (default 1000000, `--runs` times per format; and
 *                     a quarter of it once, for peak RSS)
 *   --db-rows N       rows of the database section (default 1000000, and a quarter)
 *   --db-changes N    syncdb upserts (default 100000; half as many deletes)
 *   --only LIST       sections to run, e.g. `1,6,7` (default all)
 *   --quick           small sizes, for a smoke run
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchDatabase } from "./bench/database.ts";
import { benchLatency, benchMemory, benchThroughput } from "./bench/download.ts";
import { benchMerge } from "./bench/merge.ts";
import {
  BUNDLE,
  DAP_FLAGS,
  median,
  say,
  stat,
  timed,
  verdict,
  VERDICTS,
  WORK,
} from "./bench/support.ts";
import { benchTables } from "./bench/tables.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "1024" },
    objects: { type: "string", default: "64" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8" },
    sweep: { type: "boolean", default: false },
    tables: { type: "string", default: "20" },
    "merge-rows": { type: "string", default: "1000000" },
    "db-rows": { type: "string", default: "1000000" },
    "db-changes": { type: "string", default: "100000" },
    only: { type: "string", default: "1,2,3,4,5,6,7" },
    quick: { type: "boolean", default: false },
  },
});
const quick = values.quick;
const RUNS = quick ? 1 : Math.max(1, Number(values.runs));
const download = {
  sizeMb: quick ? 64 : Number(values.size),
  objects: quick ? 16 : Number(values.objects),
  runs: RUNS,
  concurrency: Number(values.concurrency),
  sweep: values.sweep,
};
const mergeRows = quick ? 40_000 : Number(values["merge-rows"]);
const dbRows = quick ? 20_000 : Number(values["db-rows"]);
const changes = quick ? 2_000 : Number(values["db-changes"]);
const only = new Set(values.only.split(",").map((s) => s.trim()));

/** The bundle as shipped: `deno task bundle`'s script, into the bench's work directory. */
async function bundle(): Promise<void> {
  await Deno.mkdir(WORK, { recursive: true });
  const script = new URL("./bundle.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      script,
      "--outdir",
      join(WORK, "bundle"),
    ],
  }).output();
  if (!output.success) {
    throw new Error(`deno task bundle failed: ${new TextDecoder().decode(output.stderr)}`);
  }
}

async function machine(): Promise<string> {
  // /proc files announce a size of 0: read them as a stream.
  const text = await Deno.open("/proc/cpuinfo").then((file) => new Response(file.readable).text())
    .catch(() => "");
  const cpu = text.match(/model name\s*:\s*(.+)/)?.[1] ?? "?";
  const memory = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${memory} GiB, ${Deno.build.target}, ` +
    `Deno ${Deno.version.deno}; load average at the start ${load}`;
}

/** The same source as one file (every driver parsed and its imports run at start), for comparison. */
async function singleFileBundle(): Promise<string> {
  const path = join(WORK, "single", "dap.js");
  const args = ["bundle", "--quiet", "--platform", "deno", "--output", path];
  await new Deno.Command(Deno.execPath(), { args: [...args, "src/main.ts"] }).output();
  return path;
}

/** Section 5: start-up of the bundle, beside a bare `deno run` and a single-file bundle. */
async function benchStartup(): Promise<void> {
  say(`## 5. Start-up (wall time, ${Math.max(9, RUNS)} runs each, interleaved)`);
  const empty = join(WORK, "empty.js");
  await Deno.writeTextFile(empty, "console.log('0.1.0');\n");
  const single = await singleFileBundle();
  const programs: [string, string[]][] = [
    ["deno run of an empty script", [...DAP_FLAGS.slice(0, -1), empty]],
    ["dap --version", [...DAP_FLAGS, "--version"]],
    ["dap snapshot --help", [...DAP_FLAGS, "snapshot", "--help"]],
    ["dap --version, single-file bundle", [...DAP_FLAGS.slice(0, -1), single, "--version"]],
  ];
  const samples = programs.map(() => [] as number[]);
  for (let run = 0; run < Math.max(9, RUNS); run++) {
    for (const [i, [, args]] of programs.entries()) {
      samples[i]!.push((await timed(Deno.execPath(), args)).seconds);
    }
  }
  for (const [i, [label]] of programs.entries()) say(`${label.padEnd(34)} ${stat(samples[i]!)} s`);
  const version = median(samples[1]!);
  verdict(
    "start-up",
    "`dap --version` from the bundle under 150 ms",
    `${(version * 1000).toFixed(0)} ms (median)`,
    version < 0.15,
  );
  say();
}

function summary(): void {
  say(`## Targets`);
  say(`| section | target | this run | verdict |`);
  say(`| --- | --- | --- | --- |`);
  for (const v of VERDICTS) {
    say(`| ${v.section} | ${v.target} | ${v.measured} | ${v.met ? "MET" : "**MISSED**"} |`);
  }
  const missed = VERDICTS.filter((v) => !v.met).length;
  say(`${VERDICTS.length - missed} of ${VERDICTS.length} targets met`);
}

await bundle();
say(
  `# dap benchmark — ${new Date().toISOString()}${
    quick ? " (--quick: small sizes, not for the record)" : ""
  }`,
);
say(`machine: ${await machine()}`);
say(
  `dap as shipped: the bundle (${BUNDLE}) under deno run; all traffic on loopback; ${RUNS} run(s) each, median (min–max)`,
);
say();
if (only.has("1")) await benchThroughput(download);
if (only.has("2")) await benchMemory(download);
if (only.has("3")) await benchLatency(download);
if (only.has("4")) await benchTables({ runs: RUNS, tables: quick ? 10 : Number(values.tables) });
if (only.has("5")) await benchStartup();
if (only.has("6")) {
  await benchMerge({ rows: mergeRows, smallRows: Math.floor(mergeRows / 4), runs: RUNS });
}
if (only.has("7")) {
  await benchDatabase({
    rows: dbRows,
    smallRows: Math.floor(dbRows / 4),
    upserts: changes,
    deletes: Math.floor(changes / 2),
    runs: RUNS,
  });
}
summary();
await Deno.remove(join(WORK, "out"), { recursive: true }).catch(() => {});
