/**
 * Downloads against a hostile object host (tests/support/hostile_server.ts)
 * over real sockets: deadlines before the headers, mid-body and on the
 * rerun probe; 206 answers taken only when asked and exact; bytes stored as
 * the object holds them whatever Content-Encoding says; no symlink followed.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { downloadAll } from "../../src/download/download_all.ts";
import { downloadObject } from "../../src/download/download_object.ts";
import { DownloadError } from "../../src/errors.ts";
import { Logger } from "../../src/report/logger.ts";
import { createRuntime } from "../../src/runtime.ts";
import { recordingSleep } from "../support/handler_fetch.ts";
import { HostileServer, md5, someBytes, within } from "../support/hostile_server.ts";

const ID = "job/part-00000.csv.gz";
const BYTES = someBytes(1000, 7);

async function setup(bytes = BYTES) {
  const server = new HostileServer({ t: { objects: [{ id: ID, bytes }] } });
  const dir = await Deno.makeTempDir({ prefix: "dap-hostile-download-" });
  const lines: string[] = [];
  const { sleep } = recordingSleep();
  const options = {
    runtime: createRuntime({
      log: new Logger({ level: "debug", write: (line) => lines.push(line) }),
      sleep,
      random: () => 0,
      deadlines: { requestMs: 300, idleMs: 300 },
    }),
    fsync: false,
    refreshUrl: () => Promise.resolve(server.objectUrl(ID)),
  };
  return { server, dir, lines, options, url: server.objectUrl(ID), path: join(dir, "a.csv.gz") };
}

/** The object's headers without an ETag, so only lengths can catch bad bytes. */
function noEtag(server: HostileServer, request: Parameters<HostileServer["objectReply"]>[0]) {
  const reply = server.objectReply(request);
  if (reply.kind === "answer") delete reply.headers?.etag;
  return reply;
}

Deno.test("downloadObject(): no headers in time, and a body that goes silent, are retried and resumed", async () => {
  const t = await setup();
  await using _ = t.server;
  t.server.script = (r) => {
    if (r.route !== "object") return undefined;
    if (r.attempt === 1) return { kind: "silent" };
    if (r.attempt === 2) return { ...t.server.objectReply(r), stallAfter: 400 };
    return undefined;
  };
  await within(5000, downloadObject(t.url, t.path, t.options), "downloadObject");
  assertEquals(await Deno.readFile(t.path), BYTES);
  assertEquals(t.server.seen("object").map((r) => r.headers.range ?? null), [
    null,
    null,
    "bytes=400-",
  ]);
  assert(t.lines.some((l) => l.includes("no answer within 0.3 s")), t.lines.join("\n"));
  assert(t.lines.some((l) => l.includes("the body broke off at byte 400 (no data for 0.3 s)")));
});

Deno.test("downloadObject(): a 206 to a request without Range is not written: start over", async () => {
  const t = await setup();
  await using _ = t.server;
  t.server.script = (r) => {
    if (r.route !== "object") return undefined;
    if (r.attempt === 1) {
      return {
        kind: "answer",
        status: 206,
        headers: { "content-range": "bytes 100-199/1000" },
        body: BYTES.slice(100, 200),
      };
    }
    return noEtag(t.server, r);
  };
  await downloadObject(t.url, t.path, t.options);
  assertEquals(await Deno.readFile(t.path), BYTES);
  assert(
    t.lines.some((l) =>
      l.includes(
        "the server answered 206 (Content-Range bytes 100-199/1000) to a request without Range",
      )
    ),
    t.lines.join("\n"),
  );
});

Deno.test("downloadObject(): on resume, a multipart or inexact 206 means a fresh start, never bytes at the wrong offset", async () => {
  for (
    const wrong of [
      { "content-type": "multipart/byteranges; boundary=x" } as Record<string, string>,
      { "content-range": "bytes 300-999/2000" },
      { "content-range": "bytes 300-500/1000" },
      { "content-range": "bytes 0-999/1000" },
    ]
  ) {
    const t = await setup();
    await using _ = t.server;
    t.server.script = (r) => {
      if (r.route !== "object") return undefined;
      // A cut: the whole length announced, 300 bytes sent, then the connection closes.
      if (r.attempt === 1) {
        return {
          kind: "answer",
          status: 200,
          headers: { "content-length": "1000" },
          body: BYTES.slice(0, 300),
        };
      }
      if (r.attempt === 2) {
        const body = wrong["content-type"]
          ? "--x\r\nContent-Range: bytes 300-999/1000\r\n\r\n"
          : BYTES.slice(300);
        return { kind: "answer", status: 206, headers: wrong, body };
      }
      return noEtag(t.server, r);
    };
    await downloadObject(t.url, t.path, t.options);
    assertEquals(await Deno.readFile(t.path), BYTES, JSON.stringify(wrong));
    assertEquals(t.server.seen("object").map((r) => r.headers.range ?? null), [
      null,
      "bytes=300-",
      null,
    ]);
    assert(t.lines.some((l) => l.includes("the server answered 206 with")), t.lines.join("\n"));
  }
});

Deno.test("downloadObject(): asks for identity encoding and stores a gzip-encoded answer as the raw bytes", async () => {
  const gzipped = gzipSync(new TextEncoder().encode("id,name\n1,a\n".repeat(50)));
  const t = await setup(gzipped);
  await using _ = t.server;
  t.server.script = (r) => {
    if (r.route !== "object") return undefined;
    const reply = t.server.objectReply(r);
    if (reply.kind === "answer") reply.headers = { ...reply.headers, "content-encoding": "gzip" };
    return reply;
  };
  const file = await downloadObject(t.url, t.path, t.options);
  assertEquals(await Deno.readFile(t.path), new Uint8Array(gzipped));
  assertEquals(file.md5, md5(gzipped));
  assertEquals(t.server.seen("object").map((r) => r.headers["accept-encoding"]), ["identity"]);
});

Deno.test("downloadObject(): a .partial symlink is replaced, never followed: its target stays untouched", async () => {
  const t = await setup();
  await using _ = t.server;
  const target = join(await Deno.makeTempDir({ prefix: "dap-outside-" }), "precious.txt");
  await Deno.writeTextFile(target, "precious");
  await Deno.symlink(target, `${t.path}.partial`);
  await downloadObject(t.url, t.path, t.options);
  assertEquals(await Deno.readTextFile(target), "precious");
  assertEquals(await Deno.readFile(t.path), BYTES);
  assert((await Deno.lstat(t.path)).isFile);
  // A dangling link, and one made after the first byte was kept, are not followed either.
  await Deno.remove(t.path);
  await Deno.symlink(join(t.dir, "nowhere"), `${t.path}.partial`);
  await downloadObject(t.url, t.path, t.options);
  assertEquals(await Deno.readFile(t.path), BYTES);
  await assertRejects(() => Deno.lstat(join(t.dir, "nowhere")), Deno.errors.NotFound);
});

Deno.test("downloadAll(): a final name that is a symlink (to /dev/zero) is an error naming it, not hashed forever", async () => {
  const t = await setup();
  await using _ = t.server;
  const task = { id: ID, url: t.url, fileName: "a.csv.gz" };
  await Deno.symlink("/dev/zero", t.path);
  const [result] = await within(5000, downloadAll([task], t.dir, t.options), "downloadAll");
  assert(result && !result.ok);
  assert(result.error instanceof DownloadError);
  assertEquals(
    result.error.message,
    `Cannot use ${t.path}: it is a symbolic link, not a regular file; dap never follows links in its output directory. Move it away and rerun`,
  );
  assertEquals(t.server.seen("object").length, 0);
  assertEquals(await Deno.readLink(t.path), "/dev/zero");
});

Deno.test("downloadAll(): a download directory that is a symlink is refused", async () => {
  const t = await setup();
  await using _ = t.server;
  const link = join(t.dir, "job_x");
  await Deno.symlink(await Deno.makeTempDir({ prefix: "dap-elsewhere-" }), link);
  await assertRejects(
    () => downloadAll([{ id: ID, url: t.url, fileName: "a.csv.gz" }], link, t.options),
    DownloadError,
    `Cannot download into ${link}: it is a symbolic link`,
  );
});

Deno.test("downloadAll(): a rerun probe that gets no answer in time downloads the object again", async () => {
  const t = await setup();
  await using _ = t.server;
  const task = { id: ID, url: t.url, fileName: "a.csv.gz" };
  await downloadAll([task], t.dir, t.options);
  t.server.script = (r) =>
    r.route === "object" && r.headers.get("range") === "bytes=0-0" ? { kind: "silent" } : undefined;
  const [again] = await within(5000, downloadAll([task], t.dir, t.options), "the rerun");
  assert(again?.ok && !again.reused);
  assertEquals(await Deno.readFile(t.path), BYTES);
  t.server.script = (r) =>
    r.route === "object" && r.headers.get("range") === "bytes=0-0"
      ? {
        kind: "answer",
        status: 206,
        headers: { "content-range": "bytes 0-999/1000" },
        body: BYTES,
      }
      : undefined;
  const [inexact] = await downloadAll([task], t.dir, t.options);
  assert(inexact?.ok && !inexact.reused, "a probe answered with the whole object is not trusted");
  t.server.script = undefined;
  const [reused] = await downloadAll([task], t.dir, t.options);
  assert(reused?.ok && reused.reused);
  const probes = t.server.seen("object").filter((r) => r.headers.range === "bytes=0-0");
  assert(probes.every((r) => r.headers["accept-encoding"] === "identity"));
});
