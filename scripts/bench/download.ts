/**
 * Sections 1–3 of `deno task bench`: a verified snapshot against `curl -Z`
 * and against the honest floor (`curl -Z` then `md5sum` of the files, since
 * dap checks every object's MD5), unpinned and with the server pinned away
 * from the clients; peak RSS at two sizes; first byte after the job
 * completes and API calls per table, against the official client's pattern.
 */
import { join } from "node:path";
import { DEMO_CREDENTIAL } from "../../tests/emulator/emulator.ts";
import { runOfficialPattern } from "../official_pattern.ts";
import {
  check,
  dapSnapshot,
  fresh,
  median,
  objectUrls,
  pinned,
  say,
  stat,
  syntheticServer,
  timed,
  verdict,
  WORK,
} from "./support.ts";

/** Sizes and repetitions. */
export interface DownloadBench {
  sizeMb: number;
  objects: number;
  runs: number;
  concurrency: number;
  sweep: boolean;
}

/** `curl -Z` of every URL into `out`, then (`verify`) `md5sum` of the files, in one timing. */
async function curlParallel(urls: string[], out: string, parallel: number, verify: boolean) {
  const config = join(WORK, "curl.conf");
  await Deno.writeTextFile(
    config,
    urls.map((u, i) => `url = "${u}"\noutput = "${join(out, `object-${i}`)}"\n`).join(""),
  );
  const curl = `curl -s -S -Z --parallel-max ${parallel} -K '${config}'`;
  const script = verify ? `${curl} && md5sum '${out}'/object-* > /dev/null` : curl;
  return check(await timed("sh", ["-c", script]), "curl");
}

interface Samples {
  dap: number[];
  rss: number[];
  curl: number[];
  floor: number[];
}

/** dap, curl -Z and curl -Z + md5sum, one after another, `runs` times. */
async function sideBySide(url: string, bench: DownloadBench): Promise<Samples> {
  const out = join(WORK, "out");
  const flags = ["--concurrency", String(bench.concurrency)];
  check(await dapSnapshot(url, await fresh(out), flags), "dap (warm-up)");
  const samples: Samples = { dap: [], rss: [], curl: [], floor: [] };
  for (let run = 0; run < bench.runs; run++) {
    const d = check(await dapSnapshot(url, await fresh(out), flags), "dap");
    samples.dap.push(d.seconds);
    samples.rss.push(d.rssMb);
    const urls = await objectUrls(url, "courses", { format: "jsonl" });
    samples.curl.push(
      (await curlParallel(urls, await fresh(out), bench.concurrency, false)).seconds,
    );
    samples.floor.push(
      (await curlParallel(urls, await fresh(out), bench.concurrency, true)).seconds,
    );
  }
  await fresh(out);
  return samples;
}

function report(label: string, samples: Samples, sizeMb: number): void {
  const speed = (s: number[]) => `${(sizeMb / median(s)).toFixed(0)} MiB/s`;
  say(`${label}`);
  say(
    `  dap snapshot (MD5 checked)  ${stat(samples.dap)} s  ${speed(samples.dap)}  peak RSS ${
      stat(samples.rss, 0)
    } MB`,
  );
  say(`  curl -Z                     ${stat(samples.curl)} s  ${speed(samples.curl)}`);
  say(`  curl -Z, then md5sum        ${stat(samples.floor)} s  ${speed(samples.floor)}`);
  const bare = median(samples.dap) / median(samples.curl);
  const floor = median(samples.dap) / median(samples.floor);
  say(`  ratio dap / curl -Z ${bare.toFixed(2)}; dap / (curl -Z + md5sum) ${floor.toFixed(2)}`);
  verdict(
    "verified download",
    `${label}: dap / (curl -Z then md5sum) at most 1.0`,
    `${floor.toFixed(2)} (dap / bare curl -Z ${bare.toFixed(2)})`,
    floor <= 1.0,
  );
}

/** Section 1: throughput of a verified snapshot against curl and the floor. */
export async function benchThroughput(bench: DownloadBench): Promise<void> {
  await using server = syntheticServer(bench.sizeMb, bench.objects);
  say(
    `## 1. Verified download: ${bench.sizeMb} MiB in ${bench.objects} objects, concurrency ${bench.concurrency}`,
  );
  report("all CPUs shared", await sideBySide(server.url, bench), bench.sizeMb);
  if (navigator.hardwareConcurrency >= 2) {
    const last = navigator.hardwareConcurrency - 1;
    const clients = last === 1 ? "1" : `1-${last}`;
    const samples = await pinned("0", clients, () => sideBySide(server.url, bench));
    report(`server on CPU 0, clients on CPU ${clients}`, samples, bench.sizeMb);
  }
  say(`(dap's time includes login, job, URL call and an fsync per file; curl's does not)`);
  if (bench.sweep) await sweep(server.url, bench.sizeMb);
  say();
}

async function sweep(url: string, sizeMb: number): Promise<void> {
  say(`concurrency sweep (one run each):`);
  for (const c of [1, 2, 4, 8, 16, 32]) {
    const d = await dapSnapshot(url, await fresh(join(WORK, "out")), ["--concurrency", String(c)]);
    say(
      `  --concurrency ${String(c).padStart(2)}  ${d.seconds.toFixed(2)} s  ${
        (sizeMb / d.seconds).toFixed(0)
      } MiB/s`,
    );
  }
}

/** Section 2: peak RSS of a snapshot at a quarter of the size and at the size. */
export async function benchMemory(bench: DownloadBench): Promise<void> {
  say(`## 2. Peak RSS of dap snapshot at two table sizes`);
  const sizes = [Math.max(16, Math.floor(bench.sizeMb / 4)), bench.sizeMb];
  const peaks: number[] = [];
  for (const size of sizes) {
    await using server = syntheticServer(size, bench.objects);
    const samples: number[] = [];
    for (let run = 0; run < bench.runs; run++) {
      samples.push(
        check(await dapSnapshot(server.url, await fresh(join(WORK, "out"))), "dap").rssMb,
      );
    }
    peaks.push(median(samples));
    say(`${String(size).padStart(5)} MiB: peak RSS ${stat(samples, 0)} MB`);
  }
  const flat = Math.max(...peaks) < 80 && Math.max(...peaks) / Math.min(...peaks) < 1.5;
  verdict(
    "snapshot memory",
    "peak RSS flat and under 80 MB at both sizes",
    `${peaks.map((p) => p.toFixed(0)).join(" and ")} MB`,
    flat,
  );
  await fresh(join(WORK, "out"));
  say();
}

/** Section 3: time to first byte after the job completes, and API calls per table. */
export async function benchLatency(bench: DownloadBench): Promise<void> {
  say(
    `## 3. Job completes after 3 s: first byte after completion, API calls per table (${bench.objects} objects)`,
  );
  const jobMs = { jobWaitingMs: 1000, jobRunningMs: 2000 };
  const dap = { latency: [] as number[], calls: [] as number[] };
  const official = { latency: [] as number[], calls: [] as number[] };
  for (let run = 0; run < bench.runs; run++) {
    {
      await using server = syntheticServer(16, bench.objects, jobMs);
      check(await dapSnapshot(server.url, await fresh(join(WORK, "out"))), "dap");
      const requests = server.emulator.requests;
      const done = requests.find((r) => r.endpoint === "query")!.at + 3000;
      dap.latency.push((requests.find((r) => r.endpoint === "object")!.at - done) / 1000);
      dap.calls.push(requests.filter((r) => !["object", "login"].includes(r.endpoint)).length);
    }
    {
      await using server = syntheticServer(16, bench.objects, jobMs);
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
      official.latency.push((firstByte - done) / 1000);
      official.calls.push(calls);
    }
  }
  say(`dap                 latency ${stat(dap.latency)} s   API calls ${stat(dap.calls, 0)}`);
  say(
    `official pattern    latency ${stat(official.latency)} s   API calls ${
      stat(official.calls, 0)
    }`,
  );
  verdict(
    "latency",
    "first byte within 0.5 s of the job's completion",
    `${median(dap.latency).toFixed(2)} s`,
    median(dap.latency) < 0.5,
  );
  say(
    `(dap's first byte is taken at its first object request, the official pattern's at its first written chunk)`,
  );
  await fresh(join(WORK, "out"));
  say();
}
