/**
 * A disk that fills and a directory that turns read-only mid-run, on a small
 * tmpfs. Mounting needs root on Linux; elsewhere these tests are ignored, and
 * say so.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import {
  assertFinalFilesWhole,
  demoEnv,
  listFiles,
  runDap,
  snapshotArgs,
  spawnDap,
} from "./run_dap.ts";

function run(command: string, ...args: string[]): boolean {
  try {
    return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

function canMount(): boolean {
  if (Deno.build.os !== "linux") return false;
  const probe = Deno.makeTempDirSync({ prefix: "dap-mount-probe-" });
  const ok = run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe);
  if (ok) run("umount", probe);
  Deno.removeSync(probe);
  return ok;
}

const MOUNTABLE = canMount() && run("lsattr", "-d", "/");
if (!MOUNTABLE) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      "disk tests ignored: cannot mount a tmpfs or use chattr here (needs root on Linux)\n",
    ),
  );
}

async function withTmpfs(sizeKiB: number, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dap-tmpfs-" });
  assert(run("mount", "-t", "tmpfs", "-o", `size=${sizeKiB}k`, "tmpfs", dir));
  try {
    await body(dir);
  } finally {
    run("umount", "-l", dir);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name: "a disk that fills mid-run: exit 5, one clear line per file, no incomplete final file",
  ignore: !MOUNTABLE,
  fn: async () => {
    await using server = serveEmulator({
      rows: 2000,
      rowsPerObject: 250,
      jobWaitingMs: 0,
      jobRunningMs: 0,
    });
    await withTmpfs(512, async (out) => {
      const result = await runDap(
        snapshotArgs(out, "--concurrency", "2"),
        demoEnv(server.url),
      );
      assertEquals(result.code, 5, result.stderr);
      assertMatch(result.stderr, /Cannot write .*\.partial: No space left on device/);
      assertMatch(
        result.stderr.trim().split("\n").at(-1)!,
        /^canvas\.courses: FAILED after [\d.]+s: \d of 8 file\(s\) could not be downloaded; rerun the same command to finish$/,
      );
      const files = await assertFinalFilesWhole(out, server.emulator);
      assert(!files.some((f) => f.endsWith(".dap-manifest.json")));
    });
  },
});

Deno.test({
  name: "a directory that turns read-only mid-run: exit 5, no incomplete final file",
  ignore: !MOUNTABLE,
  fn: async () => {
    await using server = serveEmulator({
      rows: 400,
      rowsPerObject: 50,
      jobWaitingMs: 0,
      jobRunningMs: 0,
      faults: [{
        endpoint: "object",
        pathIncludes: "part-0000",
        fault: { kind: "slow", chunkBytes: 4096, delayMs: 30 },
      }],
    });
    await withTmpfs(8192, async (out) => {
      const child = spawnDap(
        snapshotArgs(out),
        demoEnv(server.url),
      );
      // Mid-download: four downloads started and eight slow chunks sent.
      await server.emulator.waitFor(
        (e) =>
          e.requests.filter((r) => r.endpoint === "object").length >= 4 &&
          e.bytesServed >= 8 * 4096,
        { description: "four downloads under way" },
      );
      // Remounting read-only is refused while files are open for writing; an immutable
      // directory has the same effect on new files and renames, even for root.
      const [jobDir] = (await listFiles(out)).map((f) => join(out, f.split("/")[0]!));
      assert(run("chattr", "+i", jobDir!));
      const output = await child.output();
      run("chattr", "-i", jobDir!);
      const stderr = new TextDecoder().decode(output.stderr);
      assertEquals(output.code, 5, stderr);
      assertMatch(stderr, /Cannot (write|finish) .*: Operation not permitted/);
      await assertFinalFilesWhole(out, server.emulator);
    });
  },
});

Deno.test({
  name:
    "a disk that fills during a merge: exit 5, one line naming the merged file, no file under its final name",
  ignore: !MOUNTABLE,
  fn: async () => {
    await using server = serveEmulator({
      rows: 2000,
      rowsPerObject: 250,
      jobWaitingMs: 0,
      jobRunningMs: 0,
    });
    // Room for the gzipped parts, not for the CSV they make.
    await withTmpfs(1024, async (out) => {
      const result = await runDap(
        snapshotArgs(out, "--merge", "--format", "csv"),
        demoEnv(server.url),
      );
      assertEquals(result.code, 5, result.stderr);
      assertMatch(
        result.stderr.trim().split("\n").at(-1)!,
        new RegExp(
          `^canvas\\.courses: FAILED after [\\d.]+s: Cannot write ${out}/canvas/courses\\.csv\\.partial: No space left on device`,
        ),
      );
      assertEquals(result.stderr.includes("This is a bug"), false);
      const files = await listFiles(out);
      assert(!files.includes("canvas/courses.csv"), files.join(" "));
      assert(!files.some((f) => f.endsWith(".csv.partial")), "the unfinished merge is removed");
    });
  },
});
