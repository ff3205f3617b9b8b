/** Runs the real CLI as a subprocess, for end-to-end tests. */
import { join } from "node:path";
import { DEMO_CREDENTIAL, type Emulator } from "../emulator/emulator.ts";
import { MANIFEST_NAME } from "../../src/output/write_manifest.ts";
import { assertEquals } from "../support/assert.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** What a run printed and returned. */
export interface DapRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a run gets: the emulator's URL and the demo credentials. */
export function demoEnv(url: string): Record<string, string> {
  return {
    DAP_API_URL: url,
    DAP_CLIENT_ID: DEMO_CREDENTIAL.clientId,
    DAP_CLIENT_SECRET: DEMO_CREDENTIAL.clientSecret,
  };
}

/** `dap snapshot` of canvas.courses into `out`, the arguments most tests start from. */
export function snapshotArgs(out: string, ...extra: string[]): string[] {
  return [
    "snapshot",
    "--namespace",
    "canvas",
    "--table",
    "courses",
    "--output-directory",
    out,
    ...extra,
  ];
}

/** Starts `dap` with these arguments and environment (nothing inherited but PATH/HOME). */
export function spawnDap(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      MAIN,
      ...args,
    ],
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      ...env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

/** Runs `dap` to completion. */
export async function runDap(args: string[], env: Record<string, string> = {}): Promise<DapRun> {
  const output = await spawnDap(args, env).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The files of a directory tree, relative, sorted. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await listFiles(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

/**
 * Checks a job directory byte for byte against what the emulator served: the
 * data files are exactly the job's objects, and the manifest lists each one
 * with its size and MD5. Returns the manifest.
 */
export async function assertJobMatches(
  emulator: Emulator,
  dir: string,
  expected: { namespace: string; table: string; format: string },
): Promise<Record<string, unknown>> {
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST_NAME)));
  assertEquals(
    [manifest.namespace, manifest.table, manifest.format],
    [expected.namespace, expected.table, expected.format],
  );
  const names = (await listFiles(dir)).filter((n) => n !== MANIFEST_NAME);
  assertEquals(names, manifest.files.map((f: { name: string }) => f.name).sort());
  for (
    const file of manifest.files as { name: string; object_id: string; size: number; md5: string }[]
  ) {
    const served = emulator.objectBytes(file.object_id);
    const written = await Deno.readFile(join(dir, file.name));
    assertEquals(written, served, file.name);
    assertEquals(file.size, served.length);
    assertEquals(file.name, file.object_id.split("/").pop());
  }
  return manifest;
}

/** Every file under a final name is one of the served objects, whole; returns every file (.partial ones too). */
export async function assertFinalFilesWhole(out: string, emulator: Emulator): Promise<string[]> {
  const files = await listFiles(out);
  for (const file of files.filter((f) => !f.endsWith(".partial"))) {
    const [dir, name] = file.split("/");
    assertEquals(
      await Deno.readFile(join(out, file)),
      emulator.objectBytes(`${dir!.slice("job_".length)}/${name}`),
      file,
    );
  }
  return files;
}
