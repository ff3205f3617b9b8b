/**
 * The fault matrix: snapshots under retryable API errors, cut downloads,
 * expired URLs and short-lived tokens must produce the same bytes as a clean
 * run; interruptions must resume; hostile names must stay inside the output
 * directory; and no secret may appear in anything printed or logged.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { DEMO_CREDENTIAL, type EmulatorOptions } from "../emulator/emulator.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { MANIFEST_NAME } from "../../src/output/write_manifest.ts";
import { assertJobMatches, demoEnv, listFiles, runDap, snapshotArgs, spawnDap } from "./run_dap.ts";

const TABLES = "accounts,courses,enrollments";
const BASE: EmulatorOptions = {
  seed: 11,
  rows: 200,
  rowsPerObject: 50,
  jobWaitingMs: 200,
  jobRunningMs: 400,
};

/** Per table: the manifest's file list and every file's bytes. */
async function tableContents(
  out: string,
): Promise<Map<string, { files: unknown; bytes: Uint8Array[] }>> {
  const tables = new Map<string, { files: unknown; bytes: Uint8Array[] }>();
  for await (const entry of Deno.readDir(out)) {
    if (!entry.isDirectory) continue;
    const dir = join(out, entry.name);
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST_NAME)));
    const files = manifest.files.map((
      f: { name: string; size: number; md5: string },
    ) => [f.name, f.size, f.md5]);
    const bytes = [];
    for (const [name] of files) bytes.push(await Deno.readFile(join(dir, name)));
    tables.set(manifest.table, { files, bytes });
  }
  return tables;
}

for (
  const [format, logformat] of [["jsonl", "plain"], ["csv", "json"], ["tsv", "plain"], [
    "parquet",
    "json",
  ]]
) {
  Deno.test(`fault matrix (${format}): a faulty run is byte-identical to a clean one, and leaks nothing`, async () => {
    // Retried job creations count against the documented 5/min: loosen it so the suite stays quick.
    const args = [
      "snapshot",
      "--namespace",
      "canvas",
      "--table",
      TABLES,
      "--format",
      format,
      "--rate-limits",
      "query=100/1s",
    ];
    const clean = await Deno.makeTempDir({ prefix: "dap-clean-" });
    {
      await using server = serveEmulator(BASE);
      const run = await runDap([...args, "--output-directory", clean], demoEnv(server.url));
      assertEquals(run.code, 0, run.stderr);
    }
    const faulty = await Deno.makeTempDir({ prefix: "dap-faulty-" });
    await using server = serveEmulator({
      ...BASE,
      tokenLifetimeSeconds: 2,
      chaos: { seed: format.length * 7, apiErrorRate: 0.2, cutRate: 0.1 },
      faults: [{
        endpoint: "object",
        pathIncludes: "part-00001",
        attempts: [1],
        fault: { kind: "expiredUrl" },
      }],
    });
    const logfile = join(faulty, "..", `dap-${format}-${crypto.randomUUID()}.log`);
    const run = await runDap(
      [
        "--loglevel",
        "debug",
        "--logformat",
        logformat,
        "--logfile",
        logfile,
        ...args,
        "--output-directory",
        faulty,
      ],
      demoEnv(server.url),
    );
    assertEquals(run.code, 0, run.stderr + (await Deno.readTextFile(logfile)));
    assertEquals(await tableContents(faulty), await tableContents(clean));
    const injected = [...server.emulator.faultsInjected.values()].reduce((a, b) => a + b, 0);
    assert(injected >= 5, `only ${injected} faults injected`);
    assert((server.emulator.faultsInjected.get("expiredUrl") ?? 0) >= 3);
    // For the record (the closing note quotes it): what this run survived.
    const kinds = [...server.emulator.faultsInjected].map(([kind, n]) => `${kind}: ${n}`).join(
      ", ",
    );
    Deno.stderr.writeSync(
      new TextEncoder().encode(`fault matrix ${format}: ${injected} faults (${kinds})\n`),
    );
    const printed = run.stdout + run.stderr + await Deno.readTextFile(logfile);
    assertMatch(printed, /Retrying/);
    for (const secret of [DEMO_CREDENTIAL.clientSecret, ...server.emulator.issuedSecrets]) {
      assert(!printed.includes(secret), `leaked ${secret.slice(0, 10)}…`);
    }
  });
}

Deno.test("Ctrl-C during the job wait exits 130 at once and the rerun reuses the same job", async () => {
  await using server = serveEmulator({ ...BASE, jobWaitingMs: 1500, jobRunningMs: 1500 });
  const out = await Deno.makeTempDir({ prefix: "dap-int-" });
  const args = snapshotArgs(out);
  const child = spawnDap(args, demoEnv(server.url));
  // In the job wait: the job was created and a first poll was answered "not done yet".
  await server.emulator.waitFor(
    (e) => e.requests.some((r) => r.endpoint === "job" && r.status === 202),
    { description: "a job poll answered 202" },
  );
  const sentAt = performance.now();
  child.kill("SIGINT");
  const output = await child.output();
  assertEquals(output.code, 130);
  assert(performance.now() - sentAt < 1000);
  assertEquals(await listFiles(out), []);
  const rerun = await runDap(args, demoEnv(server.url));
  assertEquals(rerun.code, 0, rerun.stderr);
  const jobIds = new Set(
    server.emulator.requests.filter((r) => r.endpoint === "job").map((r) => r.path),
  );
  assertEquals(jobIds.size, 1, "one job, polled by both runs");
  const [dir] = (await listFiles(out)).map((f) => f.split("/")[0]!);
  await assertJobMatches(server.emulator, join(out, dir!), {
    namespace: "canvas",
    table: "courses",
    format: "jsonl",
  });
});

const HOSTILE = [
  "../../escape.json.gz",
  "/etc/passwd",
  "",
  "nul\u0000byte.json.gz",
  "ctrl\u0007\u001b[31m.json.gz",
  "CON.json.gz",
  "aux",
  "x".repeat(400) + ".json.gz",
  "same.json.gz",
  "SAME.json.gz",
  "same.json.gz",
  "..\\..\\windows.json.gz",
  "trailing. . ",
  ".dap-manifest.json",
  "a.json.gz.partial",
];

Deno.test("hostile object names stay inside the output directory under safe, distinct names", async () => {
  await using server = serveEmulator({
    rows: HOSTILE.length * 2,
    rowsPerObject: 2,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    objectFileName: (index) => HOSTILE[index]!,
  });
  const parent = await Deno.makeTempDir({ prefix: "dap-hostile-" });
  const out = join(parent, "out");
  const run = await runDap(
    snapshotArgs(out),
    demoEnv(server.url),
  );
  assertEquals(run.code, 0, run.stderr);
  assertEquals(await listFiles(parent).then((f) => f.every((p) => p.startsWith("out/job_"))), true);
  const files = await listFiles(out);
  const [dir] = files[0]!.split("/");
  const names = files.map((f) => f.split("/")[1]!).filter((n) => n !== MANIFEST_NAME);
  assertEquals(names.length, HOSTILE.length);
  assertEquals(new Set(names.map((n) => n.toLowerCase())).size, HOSTILE.length);
  for (const name of names) {
    assert(
      !/[/\\]/.test(name) && ![...name].some((c) => c.charCodeAt(0) < 0x20) &&
        !name.startsWith(".") && !/\.partial$/.test(name),
      name,
    );
    assert(new TextEncoder().encode(name).length <= 200, name);
    assert(!/^(con|aux)(\.|$)/i.test(name), name);
  }
  const manifest = JSON.parse(await Deno.readTextFile(join(out, dir!, MANIFEST_NAME)));
  for (const file of manifest.files) {
    assertEquals(
      await Deno.readFile(join(out, dir!, file.name)),
      server.emulator.objectBytes(file.object_id),
    );
  }
});

Deno.test("Ctrl-C between files (one done, the next waiting to retry) exits 130; the rerun finishes", async () => {
  await using server = serveEmulator({
    rows: 60,
    rowsPerObject: 20,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    faults: [{
      endpoint: "object",
      pathIncludes: "part-00001",
      attempts: [1],
      fault: { kind: "status", status: 503, retryAfter: "30" },
    }],
  });
  const out = await Deno.makeTempDir({ prefix: "dap-between-" });
  const args = snapshotArgs(out, "--concurrency", "1");
  const child = spawnDap(args, demoEnv(server.url));
  await server.emulator.waitFor(
    (e) => e.requests.some((r) => r.endpoint === "object" && r.status === 503),
    { description: "a download answered 503" },
  );
  const sentAt = performance.now();
  child.kill("SIGINT");
  const output = await child.output();
  assertEquals(output.code, 130);
  assert(performance.now() - sentAt < 1000, "the 30 s Retry-After wait is interrupted at once");
  const files = await listFiles(out);
  assertEquals(files.map((f) => f.split("/")[1]!.slice(0, 10)), ["part-00000"], files.join());
  const rerun = await runDap(args, demoEnv(server.url));
  assertEquals(rerun.code, 0, rerun.stderr);
  assertMatch(rerun.stderr, /canvas\.courses: 3 files \(1 already complete\), /);
  await assertJobMatches(server.emulator, join(out, files[0]!.split("/")[0]!), {
    namespace: "canvas",
    table: "courses",
    format: "jsonl",
  });
});
