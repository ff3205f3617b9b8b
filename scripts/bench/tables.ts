/**
 * Section 4 of `deno task bench`: many tables under the documented rate
 * limits (5 jobs per minute), time-scaled. N tables cannot finish before
 * the rate-limit floor: ⌈N/5⌉−1 windows of waiting, plus the time of the
 * last table's job and download, measured as one table alone. Each run is
 * reported as a ratio to that floor, with the 429 answers it provoked.
 */
import { join } from "node:path";
import { DEMO_CREDENTIAL } from "../../tests/emulator/emulator.ts";
import { serveEmulator } from "../../tests/emulator/serve_emulator.ts";
import { TABLE_NAMES } from "../../tests/emulator/table_names.ts";
import { runOfficialPattern } from "../official_pattern.ts";
import { check, dap, fresh, median, say, stat, verdict, WORK } from "./support.ts";

/** Limits scaled by 1/scale. */
function scaledLimits(windowMs: number) {
  return {
    tables: { limit: 5, windowMs },
    query: { limit: 5, windowMs },
    job: { limit: 500, windowMs },
    urls: { limit: 200, windowMs },
  };
}

interface TableRun {
  seconds: number;
  throttled: number;
}

/** A fresh emulator of small tables under the documented limits scaled to `windowMs`. */
function tablesServer(windowMs: number) {
  return serveEmulator({
    rows: 40,
    rowsPerObject: 10,
    jobWaitingMs: 100,
    jobRunningMs: 200,
    rateLimits: scaledLimits(windowMs),
  });
}

/** One `dap snapshot` of `tables` against a fresh emulator under the scaled limits. */
async function dapRun(tables: string[], windowMs: number): Promise<TableRun> {
  await using server = tablesServer(windowMs);
  const started = performance.now();
  check(
    await dap(server.url, [
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      tables.join(","),
      "--output-directory",
      await fresh(join(WORK, "out")),
      "--rate-limits",
      `tables=5/${windowMs}ms,query=5/${windowMs}ms,job=500/${windowMs}ms,urls=200/${windowMs}ms`,
    ]),
    "dap",
  );
  return {
    seconds: (performance.now() - started) / 1000,
    throttled: server.emulator.countStatus(429),
  };
}

async function officialRun(tables: string[], windowMs: number, scale: number): Promise<TableRun> {
  await using server = tablesServer(windowMs);
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
  return {
    seconds: (performance.now() - started) / 1000,
    throttled: server.emulator.countStatus(429),
  };
}

/** Section 4. */
export async function benchTables(options: { runs: number; tables: number }): Promise<void> {
  const scale = 20;
  const windowMs = 60_000 / scale;
  const tables = TABLE_NAMES.canvas!.slice(0, options.tables);
  const waits = Math.ceil(tables.length / 5) - 1;
  say(
    `## 4. ${tables.length} tables under the documented limits, time scaled 1/${scale} (5 jobs per ${
      windowMs / 1000
    } s)`,
  );
  const ratios: number[] = [], dapSeconds: number[] = [], throttled: number[] = [];
  const official: TableRun[] = [];
  for (let run = 0; run < options.runs; run++) {
    const one = await dapRun(tables.slice(0, 1), windowMs);
    const all = await dapRun(tables, windowMs);
    const floor = waits * windowMs / 1000 + one.seconds;
    ratios.push(all.seconds / floor);
    dapSeconds.push(all.seconds);
    throttled.push(all.throttled + one.throttled);
    say(
      `  run ${run + 1}: ${all.seconds.toFixed(2)} s; floor ${waits} × ${
        windowMs / 1000
      } s + one table alone ${one.seconds.toFixed(2)} s = ${floor.toFixed(2)} s; ratio ${
        (all.seconds / floor).toFixed(3)
      }; 429 answers ${all.throttled}`,
    );
    official.push(await officialRun(tables, windowMs, scale));
  }
  say(`dap (all at once)          ${stat(dapSeconds)} s   429 answers ${stat(throttled, 0)}`);
  say(
    `official pattern (serial)  ${stat(official.map((o) => o.seconds))} s   429 answers ${
      stat(official.map((o) => o.throttled), 0)
    }`,
  );
  const worst = Math.max(...ratios);
  verdict(
    "many tables",
    `${tables.length} tables: each run at most 1.1 × the rate-limit floor, no 429`,
    `ratios ${ratios.map((r) => r.toFixed(3)).join(", ")}; ${Math.max(...throttled)} × 429`,
    worst <= 1.1 && Math.max(...throttled) === 0,
  );
  say(
    `unscaled that is ${(median(dapSeconds) * scale / 60).toFixed(1)} min against ${
      (median(official.map((o) => o.seconds)) * scale / 60).toFixed(1)
    } min for the serial pattern`,
  );
  await fresh(join(WORK, "out"));
  say();
}
