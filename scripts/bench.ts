/**
 * `deno task bench`: measures `dap` side by side with the floor and the
 * alternatives in one run, on loopback, and prints medians, spreads, ratios
 * and whether each target is met. It never fails on a slow machine.
 *
 *   --size MB         table size for throughput (default 1024)
 *   --objects N       objects per table (default 64)
 *   --runs N          repetitions of each measurement (default 3)
 *   --concurrency N   download concurrency for dap and curl (default 8)
 *   --sweep           also time dap at concurrency 1, 2, 4, 8, 16, 32
 *   --merge-rows N    rows of the table merged in section 6 (default 1000000; one run per format)
 *   --quick           small sizes, for a smoke run
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DEMO_CREDENTIAL, type EmulatorOptions } from "../tests/emulator/emulator.ts";
import { serveEmulator } from "../tests/emulator/serve_emulator.ts";
import { TABLE_NAMES } from "../tests/emulator/table_names.ts";
import { runOfficialPattern } from "./official_pattern.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "1024" },
    objects: { type: "string", default: "64" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8" },
    sweep: { type: "boolean", default: false },
    "merge-rows": { type: "string", default: "1000000" },
    quick: { type: "boolean", default: false },
  },
});
const SIZE_MB = values.quick ? 64 : Number(values.size);
const OBJECTS = values.quick ? 16 : Number(values.objects);
const RUNS = Math.max(1, Number(values.runs));
const CONCURRENCY = Number(values.concurrency);
const MERGE_ROWS = values.quick ? 100_000 : Number(values["merge-rows"]);
const WORK = join(Deno.cwd(), ".bench");
const BUNDLE = join(WORK, "dap.js");
const encoder = new TextEncoder();
const say = (text = "") => Deno.stdout.writeSync(encoder.encode(text + "\n"));
const CREDENTIALS = {
  DAP_CLIENT_ID: DEMO_CREDENTIAL.clientId,
  DAP_CLIENT_SECRET: DEMO_CREDENTIAL.clientSecret,
};

interface Timed {
  seconds: number;
  rssMb: number;
  code: number;
  stderr: string;
}

/** Runs a command under /usr/bin/time: wall seconds and peak RSS. */
async function timed(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Timed> {
  const output = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIME %e %M", command, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const match = stderr.match(/TIME ([\d.]+) (\d+)\s*$/);
  return {
    seconds: Number(match?.[1] ?? NaN),
    rssMb: Number(match?.[2] ?? NaN) / 1024,
    code: output.code,
    stderr,
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function stat(xs: number[], digits = 2): string {
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${
    Math.max(...xs).toFixed(digits)
  })`;
}

function verdict(met: boolean, detail: string): string {
  return `${met ? "MET" : "MISSED"}: ${detail}`;
}

async function fresh(dir: string): Promise<string> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

const DAP_FLAGS = [
  "run",
  "--no-config",
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  BUNDLE,
];

function dapSnapshot(url: string, out: string, extra: string[] = []): Promise<Timed> {
  return timed(Deno.execPath(), [
    ...DAP_FLAGS,
    "snapshot",
    "--namespace",
    "canvas",
    "--table",
    "courses",
    "--output-directory",
    out,
    ...extra,
  ], { DAP_API_URL: url, ...CREDENTIALS });
}

/** Fresh pre-signed URLs for the table's objects, the way any client gets them. */
async function presignedUrls(url: string): Promise<string[]> {
  const login = await fetch(`${url}/ids/auth/login`, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`)}`,
    },
    body: "grant_type=client_credentials",
  });
  const token = (await login.json()).access_token;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const job = await (await fetch(`${url}/dap/query/canvas/table/courses/data`, {
    method: "POST",
    headers,
    body: JSON.stringify({ format: "jsonl" }),
  })).json();
  const answer = await (await fetch(`${url}/dap/object/url`, {
    method: "POST",
    headers,
    body: JSON.stringify(job.objects),
  })).json();
  return Object.values(answer.urls as Record<string, { url: string }>).map((u) => u.url);
}

async function curlParallel(urls: string[], out: string, parallel: number): Promise<Timed> {
  const config = join(WORK, "curl.conf");
  await Deno.writeTextFile(
    config,
    urls.map((u, i) => `url = "${u}"\noutput = "${join(out, `object-${i}`)}"\n`).join(""),
  );
  return timed("curl", ["-s", "-S", "-Z", "--parallel-max", String(parallel), "-K", config]);
}

async function curlXargs(urls: string[], out: string, parallel: number): Promise<Timed> {
  const list = join(WORK, "urls.txt");
  await Deno.writeTextFile(list, urls.join("\n") + "\n");
  return timed("sh", ["-c", `cd '${out}' && xargs -P ${parallel} -n 1 curl -s -S -O < '${list}'`]);
}

function syntheticServer(sizeMb: number, objects: number, extra: EmulatorOptions = {}) {
  const objectBytes = Math.floor((sizeMb * 1024 * 1024) / objects);
  return serveEmulator({
    synthetic: { objects, objectBytes },
    jobWaitingMs: 0,
    jobRunningMs: 0,
    cacheBytes: (sizeMb + 64) * 1024 * 1024,
    ...extra,
  });
}

// ---------------------------------------------------------------------------

await Deno.mkdir(WORK, { recursive: true });
const bundle = await new Deno.Command(Deno.execPath(), {
  args: ["bundle", "--quiet", "--platform", "deno", "--output", BUNDLE, "src/main.ts"],
}).output();
if (!bundle.success) throw new Error("deno bundle failed");

const cpu =
  (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/model name\s*:\s*(.+)/)?.[1] ??
    "?";
say(`# dap benchmark — ${new Date().toISOString()}`);
say(
  `machine: ${navigator.hardwareConcurrency} cores (${cpu}), ${Deno.build.target}, Deno ${Deno.version.deno}`,
);
say(
  `dap as shipped: the bundle (${BUNDLE}) under deno run; all traffic on loopback; ${RUNS} runs each, median (min–max)`,
);
say();

// 1. Throughput against curl -Z ------------------------------------------------
{
  await using server = syntheticServer(SIZE_MB, OBJECTS);
  const out = join(WORK, "out");
  say(
    `## 1. Snapshot throughput: ${SIZE_MB} MiB in ${OBJECTS} objects, concurrency ${CONCURRENCY}`,
  );
  const warm = await dapSnapshot(server.url, await fresh(out), [
    "--concurrency",
    String(CONCURRENCY),
  ]);
  if (warm.code !== 0) throw new Error(`dap failed: ${warm.stderr}`);
  const dap: number[] = [], rss: number[] = [], curl: number[] = [], xargs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const d = await dapSnapshot(server.url, await fresh(out), [
      "--concurrency",
      String(CONCURRENCY),
    ]);
    dap.push(d.seconds);
    rss.push(d.rssMb);
    const urls = await presignedUrls(server.url);
    curl.push((await curlParallel(urls, await fresh(out), CONCURRENCY)).seconds);
    xargs.push((await curlXargs(urls, await fresh(out), CONCURRENCY)).seconds);
  }
  const ratio = median(dap) / median(curl);
  say(
    `dap snapshot            ${stat(dap)} s   ${
      (SIZE_MB / median(dap)).toFixed(0)
    } MiB/s   peak RSS ${stat(rss, 0)} MB`,
  );
  say(`curl -Z --parallel-max  ${stat(curl)} s   ${(SIZE_MB / median(curl)).toFixed(0)} MiB/s`);
  say(`(xargs -P curl          ${stat(xargs)} s: mostly process start-up)`);
  say(
    `ratio dap / curl -Z     ${ratio.toFixed(3)}   ${
      verdict(ratio <= 1.15, "target within 1.15x")
    }`,
  );
  say(`(dap's time includes login, job, URL call and an fsync per file; curl's does not)`);
  if (values.sweep) {
    say(`concurrency sweep (one run each):`);
    for (const c of [1, 2, 4, 8, 16, 32]) {
      const d = await dapSnapshot(server.url, await fresh(out), ["--concurrency", String(c)]);
      say(
        `  --concurrency ${String(c).padStart(2)}  ${d.seconds.toFixed(2)} s  ${
          (SIZE_MB / d.seconds).toFixed(0)
        } MiB/s`,
      );
    }
  }
  await fresh(out);
  say();
}

// 2. Memory at two sizes ----------------------------------------------------------
{
  say(`## 2. Peak RSS of dap at two table sizes`);
  const sizes = [Math.max(16, Math.floor(SIZE_MB / 4)), SIZE_MB];
  const peaks: number[] = [];
  for (const size of sizes) {
    await using server = syntheticServer(size, OBJECTS);
    const out = await fresh(join(WORK, "out"));
    const samples: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      samples.push((await dapSnapshot(server.url, await fresh(out))).rssMb);
    }
    peaks.push(median(samples));
    say(`${String(size).padStart(5)} MiB: peak RSS ${stat(samples, 0)} MB`);
  }
  const flat = Math.max(...peaks) < 80 && Math.max(...peaks) / Math.min(...peaks) < 1.5;
  say(verdict(flat, `flat and under 80 MB at both sizes (official client: about 45 MB)`));
  await fresh(join(WORK, "out"));
  say();
}

// 3. Latency after the job completes, and API calls per table -------------------
{
  say(
    `## 3. Job completes after 3 s: time to first byte after completion, API calls per table (${OBJECTS} objects)`,
  );
  const jobMs = { jobWaitingMs: 1000, jobRunningMs: 2000 };
  const dapLatency: number[] = [],
    dapCalls: number[] = [],
    offLatency: number[] = [],
    offCalls: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    {
      await using server = syntheticServer(16, OBJECTS, jobMs);
      const result = await dapSnapshot(server.url, await fresh(join(WORK, "out")));
      if (result.code !== 0) throw new Error(result.stderr);
      const requests = server.emulator.requests;
      const done = requests.find((r) => r.endpoint === "query")!.at + 3000;
      dapLatency.push((requests.find((r) => r.endpoint === "object")!.at - done) / 1000);
      dapCalls.push(requests.filter((r) => !["object", "login"].includes(r.endpoint)).length);
    }
    {
      await using server = syntheticServer(16, OBJECTS, jobMs);
      let firstByte = 0;
      const calls = await runOfficialPattern({
        baseUrl: server.url,
        clientId: DEMO_CREDENTIAL.clientId,
        clientSecret: DEMO_CREDENTIAL.clientSecret,
        namespace: "canvas",
        tables: ["courses"],
        format: "jsonl",
        outputDirectory: await fresh(join(WORK, "out")),
        onFirstByte: () => (firstByte = Date.now()),
      });
      const done = server.emulator.requests.find((r) => r.endpoint === "query")!.at + 3000;
      offLatency.push((firstByte - done) / 1000);
      offCalls.push(calls);
    }
  }
  say(`dap                 latency ${stat(dapLatency)} s   API calls ${stat(dapCalls, 0)}`);
  say(`official pattern    latency ${stat(offLatency)} s   API calls ${stat(offCalls, 0)}`);
  say(verdict(median(dapLatency) < 0.5, "first byte within 0.5 s of completion"));
  say(
    `(dap's first byte is taken at its first object request, the official pattern's at its first written chunk)`,
  );
  await fresh(join(WORK, "out"));
  say();
}

// 4. Many tables under the documented limits, time-scaled -------------------------
{
  const scale = 20;
  const window = 60_000 / scale;
  const tables = TABLE_NAMES.canvas!.slice(0, 20);
  const limits = {
    tables: { limit: 5, windowMs: window },
    query: { limit: 5, windowMs: window },
    job: { limit: 500, windowMs: window },
    urls: { limit: 200, windowMs: window },
  };
  say(
    `## 4. ${tables.length} tables under the documented limits, time scaled 1/${scale} (5 jobs per ${
      window / 1000
    } s)`,
  );
  const options = {
    rows: 40,
    rowsPerObject: 10,
    jobWaitingMs: 100,
    jobRunningMs: 200,
    rateLimits: limits,
  };
  const dap: number[] = [],
    official: number[] = [],
    dap429: number[] = [],
    official429: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    {
      await using server = serveEmulator(options);
      const started = performance.now();
      const result = await timed(Deno.execPath(), [
        ...DAP_FLAGS,
        "snapshot",
        "--namespace",
        "canvas",
        "--table",
        tables.join(","),
        "--output-directory",
        await fresh(join(WORK, "out")),
        "--rate-limits",
        `tables=5/${window}ms,query=5/${window}ms,job=500/${window}ms,urls=200/${window}ms`,
      ], { DAP_API_URL: server.url, ...CREDENTIALS });
      if (result.code !== 0) throw new Error(result.stderr);
      dap.push((performance.now() - started) / 1000);
      dap429.push(server.emulator.countStatus(429));
    }
    {
      await using server = serveEmulator(options);
      const started = performance.now();
      await runOfficialPattern({
        baseUrl: server.url,
        clientId: DEMO_CREDENTIAL.clientId,
        clientSecret: DEMO_CREDENTIAL.clientSecret,
        namespace: "canvas",
        tables,
        format: "jsonl",
        outputDirectory: await fresh(join(WORK, "out")),
        pollMs: 5000 / scale,
        rateLimitWaitMs: 30_000 / scale,
      });
      official.push((performance.now() - started) / 1000);
      official429.push(server.emulator.countStatus(429));
    }
  }
  say(`dap (all at once)          ${stat(dap)} s   429 answers ${stat(dap429, 0)}`);
  say(`official pattern (serial)  ${stat(official)} s   429 answers ${stat(official429, 0)}`);
  say(
    `speed-up ${(median(official) / median(dap)).toFixed(2)}x; unscaled that is ${
      (median(dap) * scale / 60).toFixed(1)
    } min against ${(median(official) * scale / 60).toFixed(1)} min`,
  );
  await fresh(join(WORK, "out"));
  say();
}

// 6. Merged output ------------------------------------------------------------------
{
  say(
    `## 6. --merge of canvas.wiki_pages, ${
      MERGE_ROWS.toLocaleString("en")
    } rows: rows per second and peak RSS per format`,
  );
  await using server = serveEmulator({
    rows: MERGE_ROWS,
    rowsPerObject: 100_000,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    gzipLevel: 1,
    cacheBytes: 2048 * 1024 * 1024,
  });
  const env = { DAP_API_URL: server.url, ...CREDENTIALS };
  const table = ["--namespace", "canvas", "--table", "wiki_pages"];
  // Warm the emulator (it generates the rows once) and keep the parts for DuckDB.
  const parts = await fresh(join(WORK, "parts"));
  const warm = await timed(Deno.execPath(), [
    ...DAP_FLAGS,
    "snapshot",
    ...table,
    "--output-directory",
    parts,
  ], env);
  if (warm.code !== 0) throw new Error(warm.stderr);
  const download = await timed(Deno.execPath(), [
    ...DAP_FLAGS,
    "snapshot",
    ...table,
    "--output-directory",
    await fresh(join(WORK, "out")),
  ], env);
  say(
    `download only (parts as served)  ${download.seconds.toFixed(2)} s   peak RSS ${
      download.rssMb.toFixed(0)
    } MB`,
  );
  const merges = new Map<string, number>();
  for (
    const [format, codec] of [
      ["jsonl", "zstd"],
      ["csv", "zstd"],
      ["tsv", "zstd"],
      ["parquet", "zstd"],
      ["parquet", "snappy"],
      ["parquet", "gzip"],
      ["parquet", "none"],
    ]
  ) {
    const seconds: number[] = [], rss: number[] = [];
    let size = 0;
    for (let run = 0; run < 1; run++) { // one run per format: each takes tens of seconds
      const out = await fresh(join(WORK, "out"));
      const result = await timed(Deno.execPath(), [
        ...DAP_FLAGS,
        "snapshot",
        ...table,
        "--merge",
        "--format",
        format,
        "--codec",
        codec,
        "--output-directory",
        out,
      ], env);
      if (result.code !== 0) throw new Error(result.stderr);
      seconds.push(result.seconds);
      rss.push(result.rssMb);
      size = (await Deno.stat(join(out, "canvas", `wiki_pages.${format}`))).size;
    }
    merges.set(`${format}/${codec}`, median(seconds));
    const label = format === "parquet" ? `parquet ${codec}` : format;
    say(
      `${label.padEnd(15)} ${stat(seconds)} s   ${
        (MERGE_ROWS / median(seconds) / 1000).toFixed(0)
      }k rows/s   peak RSS ${stat(rss, 0)} MB   ${(size / 1048576).toFixed(0)} MiB`,
    );
  }
  // DuckDB converting the same JSONL parts to Parquet, in this process.
  const { DuckDBInstance } = await import("npm:@duckdb/node-api@1.5.6-r.1");
  const duck: number[] = [];
  for (let run = 0; run < 1; run++) {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    const started = performance.now();
    await connection.run(
      `COPY (SELECT * FROM read_json('${parts}/*/*.json.gz', format='newline_delimited')) TO '${
        join(WORK, "duck.parquet")
      }' (FORMAT parquet, COMPRESSION zstd)`,
    );
    duck.push((performance.now() - started) / 1000);
    connection.closeSync();
    instance.closeSync();
  }
  const ours = merges.get("parquet/zstd")!;
  say(
    `DuckDB JSONL -> Parquet (zstd), local parts: ${stat(duck)} s   (${
      (MERGE_ROWS / median(duck) / 1000).toFixed(0)
    }k rows/s)`,
  );
  say(
    `ratio dap merge to Parquet (download included) / DuckDB: ${(ours / median(duck)).toFixed(2)}`,
  );
  await fresh(join(WORK, "out"));
  await fresh(parts);
  say();
}

// 5. Start-up ---------------------------------------------------------------------
{
  say(`## 5. Start-up (wall time)`);
  for (const args of [["--version"], ["snapshot", "--help"]]) {
    const samples: number[] = [];
    for (let run = 0; run < Math.max(5, RUNS); run++) {
      samples.push((await timed(Deno.execPath(), [...DAP_FLAGS, ...args])).seconds);
    }
    say(`dap ${args.join(" ").padEnd(16)} ${stat(samples)} s`);
  }
}
await Deno.remove(join(WORK, "out"), { recursive: true }).catch(() => {});
