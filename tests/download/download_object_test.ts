import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { downloadObject } from "../../src/download/download_object.ts";
import { etagMd5, parseContentRange } from "../../src/download/ranges.ts";
import { createRuntime } from "../../src/runtime.ts";
import { downloadAll } from "../../src/download/download_all.ts";
import { DownloadError } from "../../src/errors.ts";
import { Logger } from "../../src/report/logger.ts";
import { Emulator, type EmulatorOptions } from "../emulator/emulator.ts";
import { call, login } from "../support/api_session.ts";
import { handlerFetch, recordingSleep } from "../support/handler_fetch.ts";

async function setup(options: EmulatorOptions = {}) {
  const emulator = new Emulator({
    rows: 60,
    rowsPerObject: 20,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    ...options,
  });
  const token = await login(emulator.handler);
  const job = await call(emulator.handler, token, "POST", "/dap/query/canvas/table/courses/data", {
    format: "csv",
  });
  const ids = (job.json.objects as { id: string }[]).map((o) => o.id);
  const newUrls = async (list: string[]) =>
    (await call(emulator.handler, token, "POST", "/dap/object/url", list.map((id) => ({ id }))))
      .json.urls as Record<
        string,
        { url: string }
      >;
  const urls = await newUrls(ids);
  const dir = await Deno.makeTempDir({ prefix: "dap-download-" });
  const lines: string[] = [];
  const { sleep, waits } = recordingSleep();
  const progress: number[] = [];
  const downloadOptions = {
    runtime: createRuntime({
      log: new Logger({ level: "debug", write: (line: string) => lines.push(line) }),
      fetch: handlerFetch(emulator.handler),
      sleep,
      random: () => 0,
    }),
    fsync: false,
    onBytes: (n: number) => progress.push(n),
    refreshUrl: async () => (await newUrls([ids[0]!]))[ids[0]!]!.url,
  };
  return { emulator, ids, urls, dir, lines, waits, progress, options: downloadOptions, newUrls };
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("downloadObject() streams to .partial and renames when whole", async () => {
  const t = await setup();
  const id = t.ids[0]!;
  const path = join(t.dir, "a.csv.gz");
  const file = await downloadObject(t.urls[id]!.url, path, t.options);
  const bytes = t.emulator.objectBytes(id);
  assertEquals(await Deno.readFile(path), bytes);
  assertEquals(file.size, bytes.length);
  assertEquals(await listDir(t.dir), ["a.csv.gz"]);
  assertEquals(t.progress.reduce((a, b) => a + b, 0), bytes.length);
});

Deno.test("downloadObject() says when the bytes are verified, before the flush and rename", async () => {
  const t = await setup();
  const id = t.ids[0]!;
  const path = join(t.dir, "a.csv.gz");
  const seen: string[][] = [];
  await downloadObject(t.urls[id]!.url, path, {
    ...t.options,
    beforeCommit: () => seen.push([...Deno.readDirSync(t.dir)].map((e) => e.name)),
  });
  assertEquals(seen, [["a.csv.gz.partial"]]);
  assertEquals(await Deno.readFile(path), t.emulator.objectBytes(id));
});

Deno.test("downloadObject() resumes a cut body with a Range request", async () => {
  const t = await setup({
    faults: [{ endpoint: "object", attempts: [1, 2], fault: { kind: "cut", afterBytes: 5000 } }],
  });
  const id = t.ids[0]!;
  const path = join(t.dir, "a.csv.gz");
  await downloadObject(t.urls[id]!.url, path, t.options);
  assertEquals(await Deno.readFile(path), t.emulator.objectBytes(id));
  const downloads = t.emulator.requests.filter((r) => r.endpoint === "object");
  assertEquals(downloads.map((r) => [r.status, r.headers.range ?? null]), [
    [200, null],
    [206, "bytes=5000-"],
    [206, "bytes=5000-"],
  ]);
  assertEquals(t.waits.length, 2);
  assert(t.lines.some((l) => l.includes("the body broke off at byte 5000")));
});

Deno.test("downloadObject() starts afresh when the server ignores the range", async () => {
  const t = await setup({
    faults: [
      { endpoint: "object", attempts: [1], fault: { kind: "cut", afterBytes: 3000 } },
      { endpoint: "object", attempts: [2], fault: { kind: "ignoreRange" } },
    ],
  });
  const id = t.ids[0]!;
  const path = join(t.dir, "a.csv.gz");
  await downloadObject(t.urls[id]!.url, path, t.options);
  const bytes = t.emulator.objectBytes(id);
  assertEquals(await Deno.readFile(path), bytes);
  assertEquals(
    t.progress.reduce((a, b) => a + b, 0),
    bytes.length,
    "progress is corrected after a fresh start",
  );
  assert(t.lines.some((l) => l.includes("ignored the Range request")));
});

Deno.test("downloadObject() catches a truncated gzip by its MD5 and downloads again", async () => {
  const t = await setup({
    faults: [{ endpoint: "object", attempts: [1], fault: { kind: "truncatedGzip" } }],
  });
  const id = t.ids[0]!;
  const path = join(t.dir, "a.csv.gz");
  await downloadObject(t.urls[id]!.url, path, t.options);
  assertEquals(await Deno.readFile(path), t.emulator.objectBytes(id));
  assert(t.lines.some((l) => l.includes("does not match the ETag")));
});

Deno.test("downloadObject() replaces an expired URL and goes on", async () => {
  const t = await setup({
    faults: [{ endpoint: "object", attempts: [1], fault: { kind: "expiredUrl" } }],
  });
  const id = t.ids[0]!;
  const path = join(t.dir, "a.csv.gz");
  await downloadObject(t.urls[id]!.url, path, t.options);
  assertEquals(await Deno.readFile(path), t.emulator.objectBytes(id));
  assertEquals(t.emulator.requests.filter((r) => r.endpoint === "urls").length, 2);
});

Deno.test("downloadObject() fails on 404 without a file under the final name", async () => {
  const t = await setup();
  const path = join(t.dir, "a.csv.gz");
  t.emulator.configure({ jobLifetimeMs: 0 });
  await assertRejects(
    () => downloadObject(t.urls[t.ids[0]!]!.url, path, t.options),
    DownloadError,
    "Cannot download a.csv.gz: HTTP 404",
  );
  assertEquals(await listDir(t.dir), []);
});

Deno.test("downloadObject() stops asking for new URLs after five refusals", async () => {
  const t = await setup({ faults: [{ endpoint: "object", fault: { kind: "expiredUrl" } }] });
  const path = join(t.dir, "a.csv.gz");
  await assertRejects(
    () => downloadObject(t.urls[t.ids[0]!]!.url, path, t.options),
    DownloadError,
    "Cannot download a.csv.gz: access denied after 5 new URLs",
  );
  assertEquals(t.emulator.requests.filter((r) => r.endpoint === "urls").length, 6);
  assertEquals(await listDir(t.dir), []);
});

Deno.test("downloadObject() gives up after the last attempt, leaving only the .partial", async () => {
  const t = await setup({
    faults: [{ endpoint: "object", fault: { kind: "cut", afterBytes: 100 } }],
  });
  const path = join(t.dir, "a.csv.gz");
  await assertRejects(
    () => downloadObject(t.urls[t.ids[0]!]!.url, path, t.options),
    DownloadError,
    "Cannot download a.csv.gz: the body broke off at byte 100",
  );
  assertEquals(await listDir(t.dir), ["a.csv.gz.partial"]);
});

Deno.test("downloadAll() keeps one result per object and skips complete files on a rerun", async () => {
  const t = await setup({
    faults: [{
      endpoint: "object",
      pathIncludes: "part-00001",
      fault: { kind: "status", status: 500 },
    }],
  });
  const tasks = t.ids.map((id, i) => ({ id, url: t.urls[id]!.url, fileName: `f${i}.csv.gz` }));
  const first = await downloadAll(tasks, t.dir, {
    ...t.options,
    refreshUrl: () => Promise.reject(new Error("no")),
  });
  assertEquals(first.map((r) => r.ok), [true, false, true]);
  assertEquals(await listDir(t.dir), ["f0.csv.gz", "f2.csv.gz"]);
  t.emulator.configure({ faults: [] });
  const second = await downloadAll(tasks, t.dir, {
    ...t.options,
    refreshUrl: () => Promise.reject(new Error("no")),
  });
  assertEquals(second.map((r) => r.ok && r.reused), [true, false, true]);
  for (const [i, id] of t.ids.entries()) {
    assertEquals(await Deno.readFile(join(t.dir, `f${i}.csv.gz`)), t.emulator.objectBytes(id));
  }
});

Deno.test("etagMd5() and parseContentRange() read S3 headers", () => {
  assertEquals(etagMd5('"0123456789ABCDEF0123456789abcdef"'), "0123456789abcdef0123456789abcdef");
  assertEquals(etagMd5('"0123456789abcdef0123456789abcdef-3"'), undefined);
  assertEquals(etagMd5(null), undefined);
  assertEquals(parseContentRange("bytes 10-99/100"), { start: 10, end: 99, total: 100 });
  assertEquals(parseContentRange("bytes 10-99/*"), { start: 10, end: 99, total: undefined });
  assertEquals(parseContentRange(null), undefined);
});
