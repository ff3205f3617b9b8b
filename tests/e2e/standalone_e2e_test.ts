/**
 * Self-containment: the bundled program runs alone (empty DENO_DIR, no
 * node_modules, no config, network only to 127.0.0.1); the compiled binary
 * runs when a denort is at hand; the compile task explains itself when not.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { assertJobMatches, demoEnv, listFiles, runDap } from "./run_dap.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { PERMISSIONS } from "../../scripts/permissions.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const decoder = new TextDecoder();

async function run(command: string, args: string[], options: Deno.CommandOptions = {}) {
  const output = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function snapshotWith(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
) {
  return await run(command, [
    ...args,
    "snapshot",
    "--namespace",
    "canvas",
    "--table",
    "courses,users",
    "--output-directory",
    "out",
  ], {
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    cwd,
  });
}

/** `deno task bundle`, run once for the file's tests. */
let bundled: ReturnType<typeof run> | undefined;

/** `deno task bundle`'s output, copied into a directory of its own: JavaScript files, `main.js` the entry. */
async function bundle(): Promise<string> {
  const build = await Deno.makeTempDir({ prefix: "dap-bundle-build-" });
  const task =
    await (bundled ??= run(Deno.execPath(), ["task", "--quiet", "bundle"], { cwd: ROOT }));
  assertEquals(task.code, 0, task.stderr);
  for (const name of await listFiles(join(ROOT, "dist", "bundle"))) {
    await Deno.copyFile(join(ROOT, "dist", "bundle", name), join(build, name));
  }
  return build;
}

Deno.test("the bundle runs alone in an empty directory with an empty DENO_DIR and gives the same files", async () => {
  const alone = await bundle();
  const shipped = await listFiles(alone);
  assert(shipped.includes("main.js") && shipped.every((f) => f.endsWith(".js")), shipped.join(" "));
  const denoDir = await Deno.makeTempDir({ prefix: "dap-empty-deno-dir-" });

  await using server = serveEmulator({
    rows: 120,
    rowsPerObject: 40,
    jobWaitingMs: 50,
    jobRunningMs: 50,
  });
  const flags = [
    "run",
    "--no-config",
    "--no-remote",
    "--no-npm",
    "--cached-only",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "main.js",
  ];
  const version = await run(Deno.execPath(), [...flags, "--version"], {
    cwd: alone,
    env: { DENO_DIR: denoDir },
    clearEnv: true,
  });
  assertEquals([version.code, version.stdout], [0, `${denoJson.version}\n`], version.stderr);
  const result = await snapshotWith(Deno.execPath(), flags, {
    ...demoEnv(server.url),
    DENO_DIR: denoDir,
  }, alone);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(
    (await listFiles(denoDir)).filter((f) => f.includes("npm")),
    [],
    "nothing fetched into DENO_DIR",
  );
  const bundleFiles = await listFiles(join(alone, "out"));

  const normal = await Deno.makeTempDir({ prefix: "dap-normal-" });
  const reference = await runDap(
    [
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      "courses,users",
      "--output-directory",
      join(normal, "out"),
    ],
    demoEnv(server.url),
  );
  assertEquals(reference.code, 0, reference.stderr);
  assertEquals(
    bundleFiles,
    await listFiles(join(normal, "out")),
    "same layout: same jobs, same names",
  );
  for (const dir of new Set(bundleFiles.map((f) => f.split("/")[0]!))) {
    const manifest = JSON.parse(
      await Deno.readTextFile(join(alone, "out", dir, ".dap-manifest.json")),
    );
    await assertJobMatches(server.emulator, join(alone, "out", dir), {
      namespace: "canvas",
      table: manifest.table,
      format: "jsonl",
    });
  }
});

Deno.test("the bundle keeps a SQLite database with exactly the compiled binary's permissions", async () => {
  const build = await bundle();
  await using server = serveEmulator({
    rows: 120,
    rowsPerObject: 40,
    jobWaitingMs: 0,
    jobRunningMs: 0,
  });
  const flags = [
    "run",
    "--no-config",
    "--no-remote",
    "--no-npm",
    ...PERMISSIONS,
    join(build, "main.js"),
  ];
  const env = {
    ...demoEnv(server.url),
    DAP_CONNECTION_STRING: "sqlite:///canvas.db",
    DENO_DIR: await Deno.makeTempDir({ prefix: "dap-empty-deno-dir-" }),
    NO_COLOR: "1",
  };
  for (const command of ["initdb", "syncdb", "dropdb"]) {
    const result = await run(Deno.execPath(), [
      ...flags,
      command,
      "--namespace",
      "canvas",
      "--table",
      "courses",
    ], {
      cwd: build,
      env,
      clearEnv: true,
    });
    assertEquals(result.code, 0, `${command}: ${result.stderr}`);
    // What the database holds after each command: the rows and their sync row, then nothing.
    const db = new DatabaseSync(join(build, "canvas.db"), { readOnly: true });
    const kept = db.prepare("SELECT source_table FROM instructure_dap__table_sync").all();
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name = 'canvas__courses'")
      .all();
    const rows = tables.length === 0
      ? 0
      : (db.prepare("SELECT count(*) AS n FROM canvas__courses").get() as { n: number }).n;
    db.close();
    if (command === "dropdb") assertEquals([kept.length, tables.length], [0, 0]);
    else assertEquals([kept.map((r) => r.source_table), rows > 100], [["courses"], true]);
  }
});

const DENORT = Deno.env.get("DENORT_BIN");
if (!DENORT) {
  Deno.stderr.writeSync(
    new TextEncoder().encode("compiled-binary test ignored: no DENORT_BIN given\n"),
  );
}

Deno.test({
  name: "the compiled host binary completes the same snapshot (needs DENORT_BIN)",
  ignore: !DENORT,
  fn: async () => {
    const compiled = await run(Deno.execPath(), ["task", "compile"], {
      cwd: ROOT,
      env: { DENORT_BIN: DENORT! },
    });
    assertEquals(compiled.code, 0, compiled.stderr);
    const binary = join(
      ROOT,
      "dist",
      `dap-${denoJson.version}-${Deno.build.target}${Deno.build.os === "windows" ? ".exe" : ""}`,
    );
    await using server = serveEmulator({ rows: 120, rowsPerObject: 40 });
    const cwd = await Deno.makeTempDir({ prefix: "dap-binary-" });
    const result = await snapshotWith(binary, [], demoEnv(server.url), cwd);
    assertEquals(result.code, 0, result.stderr);
    assert((await listFiles(join(cwd, "out"))).length === 8);
  },
});

Deno.test("deno task compile without a reachable runtime host stops with one clear line", async () => {
  const result = await run(Deno.execPath(), ["task", "--quiet", "compile"], {
    cwd: ROOT,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      NO_COLOR: "1",
      HTTPS_PROXY: "http://127.0.0.1:9",
    },
    clearEnv: true,
  });
  assertEquals(result.code, 1);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, result.stderr);
  assertMatch(
    lines[0]!,
    /^Cannot compile: deno compile needs Deno's denort runtime and dl\.deno\.land is not reachable \(.+\); set DENORT_BIN to a denort [\d.]+ binary for [\w-]+, or run where dl\.deno\.land is reachable\.$/,
  );
});
