/**
 * What every section of `deno task bench` shares: timing a child process
 * (wall time and peak RSS from /usr/bin/time), medians and spreads, the
 * list of targets with their verdicts, CPU pinning, and running `dap` as
 * shipped (the bundle under `deno run`).
 */
import { join } from "node:path";
import { DEMO_CREDENTIAL, type EmulatorOptions } from "../../tests/emulator/emulator.ts";
import { serveEmulator } from "../../tests/emulator/serve_emulator.ts";
import { snapshotArgs } from "../../tests/e2e/run_dap.ts";

/** Where the benchmark keeps its files (ignored by git). */
export const WORK = join(Deno.cwd(), ".bench");
/** The bundle measured: `deno task bundle`'s shape (code-split: drivers and commands load when used). */
export const BUNDLE = join(WORK, "bundle", "main.js");

const encoder = new TextEncoder();

/** One line on stdout. */
export function say(text = ""): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

/** The demo credentials as dap's environment. */
export const CREDENTIALS = {
  DAP_CLIENT_ID: DEMO_CREDENTIAL.clientId,
  DAP_CLIENT_SECRET: DEMO_CREDENTIAL.clientSecret,
};

/** A finished child process. */
export interface Timed {
  seconds: number;
  rssMb: number;
  code: number;
  stderr: string;
  /** with `capture`: what the child wrote on stdout */
  stdout: string;
}

/** CPUs a child is pinned to (taskset -c), or undefined for no pinning. */
let childCpus: string | undefined;

/** Runs a command under /usr/bin/time: wall seconds and peak RSS (of the largest process). */
export async function timed(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  capture = false,
): Promise<Timed> {
  const pin = childCpus ? ["taskset", "-c", childCpus] : [];
  const output = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIME %e %M", ...pin, command, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: capture ? "piped" : "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const match = stderr.match(/TIME ([\d.]+) (\d+)\s*$/);
  return {
    seconds: Number(match?.[1] ?? NaN),
    rssMb: Number(match?.[2] ?? NaN) / 1024,
    code: output.code,
    stderr,
    stdout: capture ? new TextDecoder().decode(output.stdout) : "",
  };
}

/**
 * Runs `work` with this process (the emulator's server) on `serverCpus` and
 * every child on `clientCpus`, then lets both use every CPU again.
 */
export async function pinned<T>(
  serverCpus: string,
  clientCpus: string,
  work: () => Promise<T>,
): Promise<T> {
  const pin = (cpus: string) =>
    new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", cpus, String(Deno.pid)],
      stdout: "null",
    })
      .output();
  await pin(serverCpus);
  childCpus = clientCpus;
  try {
    return await work();
  } finally {
    childCpus = undefined;
    await pin(`0-${navigator.hardwareConcurrency - 1}`);
  }
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `median (min–max)`. */
export function stat(xs: number[], digits = 2): string {
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${
    Math.max(...xs).toFixed(digits)
  })`;
}

/** A target of the issue and how this run did against it. */
export interface Verdict {
  section: string;
  target: string;
  measured: string;
  met: boolean;
}

/** Every verdict of the run, in order, for the closing table. */
export const VERDICTS: Verdict[] = [];

/** Records a verdict and prints it. */
export function verdict(section: string, target: string, measured: string, met: boolean): void {
  VERDICTS.push({ section, target, measured, met });
  say(`${met ? "MET" : "MISSED"}: ${target}: ${measured}`);
}

/** An empty directory (removed and made again). */
export async function fresh(dir: string): Promise<string> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/** `deno run` of the bundle, with what dap needs and nothing more. */
export const DAP_FLAGS = [
  "run",
  "--no-config",
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  BUNDLE,
];

/** Runs `dap <args>` against an emulator. */
export function dap(url: string, args: string[], env: Record<string, string> = {}): Promise<Timed> {
  return timed(Deno.execPath(), [...DAP_FLAGS, ...args], {
    DAP_API_URL: url,
    ...CREDENTIALS,
    ...env,
  });
}

/** `dap snapshot` of canvas.courses into `out`. */
export function dapSnapshot(url: string, out: string, extra: string[] = []): Promise<Timed> {
  return dap(url, snapshotArgs(out, ...extra));
}

/** An emulator serving `objects` opaque objects of `sizeMb` MiB in all, made once and kept. */
export function syntheticServer(
  sizeMb: number,
  objects: number,
  extra: EmulatorOptions = {},
): ReturnType<typeof serveEmulator> {
  const objectBytes = Math.floor((sizeMb * 1024 * 1024) / objects);
  return serveEmulator({
    synthetic: { objects, objectBytes },
    jobWaitingMs: 0,
    jobRunningMs: 0,
    cacheBytes: (sizeMb + 64) * 1024 * 1024,
    ...extra,
  });
}

/**
 * Fresh pre-signed URLs of the objects of a canvas table's job for `query`
 * (the job dap's own run made, when the query is the same), the way any
 * client gets them.
 */
export async function objectUrls(
  url: string,
  table: string,
  query: Record<string, string>,
): Promise<string[]> {
  const basic = btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`);
  const login = await fetch(`${url}/ids/auth/login`, {
    method: "POST",
    headers: { authorization: `Basic ${basic}` },
    body: "grant_type=client_credentials",
  });
  const token = (await login.json()).access_token;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  let job = await (await fetch(`${url}/dap/query/canvas/table/${table}/data`, {
    method: "POST",
    headers,
    body: JSON.stringify(query),
  })).json();
  while (job.status !== "complete") {
    await new Promise((resolve) => setTimeout(resolve, 100));
    job = await (await fetch(`${url}/dap/job/${job.id}`, { headers })).json();
  }
  const answer = await (await fetch(`${url}/dap/object/url`, {
    method: "POST",
    headers,
    body: JSON.stringify(job.objects),
  })).json();
  return Object.values(answer.urls as Record<string, { url: string }>).map((u) => u.url);
}

/** Throws with the child's stderr when it failed. */
export function check(result: Timed, what: string): Timed {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}): ${result.stderr}`);
  return result;
}
