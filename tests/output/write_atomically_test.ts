import { join } from "node:path";
import { assert, assertEquals } from "../support/assert.ts";
import { writeAtomically } from "../../src/output/write_atomically.ts";
import { writeManifest } from "../../src/output/write_manifest.ts";
import { findLatestManifest } from "../../src/output/find_manifest.ts";
import { within } from "../support/hostile_server.ts";

Deno.test("writeAtomically() never follows a .partial symlink: the link goes, its target stays", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dap-atomic-" });
  const outside = join(await Deno.makeTempDir({ prefix: "dap-outside-" }), "precious.txt");
  await Deno.writeTextFile(outside, "precious");
  await Deno.symlink(outside, join(dir, ".dap-manifest.json.partial"));
  const path = await writeManifest(dir, {
    tool: "test",
    namespace: "canvas",
    table: "courses",
    format: "jsonl",
    job_id: "j",
    completed_at: "2026-01-01T00:00:00.000Z",
    files: [],
  });
  assertEquals(await Deno.readTextFile(outside), "precious");
  assert((await Deno.lstat(path)).isFile);
  assertEquals(JSON.parse(await Deno.readTextFile(path)).job_id, "j");
  // A final name that is a symlink is replaced by the file, its target untouched.
  const final = join(dir, "data.txt");
  await Deno.symlink(outside, final);
  await writeAtomically(final, "new");
  assertEquals(await Deno.readTextFile(outside), "precious");
  assert((await Deno.lstat(final)).isFile);
  assertEquals(await Deno.readTextFile(final), "new");
});

Deno.test("findLatestManifest() skips a job manifest that is a symlink (to /dev/zero) instead of reading it forever", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dap-find-" });
  await Deno.mkdir(join(dir, "job_a"));
  await Deno.symlink("/dev/zero", join(dir, "job_a", ".dap-manifest.json"));
  await Deno.mkdir(join(dir, "job_b"));
  const manifest = {
    tool: "test",
    namespace: "canvas",
    table: "courses",
    format: "jsonl",
    job_id: "b",
    at: "2026-01-01T00:00:00Z",
    completed_at: "2026-01-01T00:00:00.000Z",
    files: [],
  };
  await writeManifest(join(dir, "job_b"), manifest);
  const found = await within(
    5000,
    findLatestManifest(dir, "canvas", "courses"),
    "findLatestManifest",
  );
  assertEquals(found?.manifest.job_id, "b");
});
