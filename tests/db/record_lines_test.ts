import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { assertEquals, assertRejects } from "../support/assert.ts";
import { lineLayout, partRecords, partSource } from "../../src/db/record_lines.ts";
import { tableModel } from "../../src/db/table_model.ts";
import { splitTsv, unescapeTsv } from "../../src/db/tsv_text.ts";

const model = tableModel("canvas", "t", {
  version: 1,
  schema: {
    properties: {
      key: { properties: { id: { type: "integer" } } },
      value: { properties: { name: { type: "string" }, n: { type: "integer" } } },
    },
  },
});

Deno.test("lineLayout() puts action and meta.ts first and the model's columns in order", () => {
  const snapshot = lineLayout("meta.ts\tkey.id\tvalue.name\tvalue.n", model);
  assertEquals(
    snapshot("2026-01-01T00:00:00Z\t1\ta\\tb\t\\N"),
    "U\t2026-01-01T00:00:00Z\t1\ta\\tb\t\\N",
  );
  const incremental = lineLayout("meta.ts\tmeta.action\tkey.id\tvalue.name\tvalue.n", model);
  assertEquals(
    incremental("2026-01-01T00:00:00Z\tD\t7\t\\N\t\\N"),
    "D\t2026-01-01T00:00:00Z\t7\t\\N\t\\N",
  );
  const shuffled = lineLayout("key.id\tvalue.n\tmeta.action\tmeta.ts\tvalue.extra", model);
  assertEquals(
    shuffled("3\t42\tU\t2026-01-02T00:00:00Z\tx"),
    "U\t2026-01-02T00:00:00Z\t3\t\\N\t42",
  );
});

Deno.test("partRecords() reads a gzipped TSV part, header first, in batches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dap-records-" });
  const path = join(dir, "part-0.tsv.gz");
  const text =
    "meta.ts\tkey.id\tvalue.name\tvalue.n\n2026-01-01T00:00:00Z\t1\tx\t5\n2026-01-01T00:00:00Z\t2\t\\N\t\\N\n";
  await Deno.writeFile(path, gzipSync(text));
  const lines = (await Array.fromAsync(partRecords(path, model))).flat();
  assertEquals(lines, ["U\t2026-01-01T00:00:00Z\t1\tx\t5", "U\t2026-01-01T00:00:00Z\t2\t\\N\t\\N"]);
});

/** A gzipped part in a temp file, written in several gzip members as large parts are served. */
async function part(text: string, members = 1): Promise<string> {
  const path = join(await Deno.makeTempDir({ prefix: "dap-part-" }), "part-0.tsv.gz");
  const bytes = new TextEncoder().encode(text);
  const step = Math.ceil(bytes.length / members);
  const gz: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += step) gz.push(gzipSync(bytes.subarray(at, at + step)));
  await Deno.writeFile(path, new Uint8Array(gz.flatMap((g) => [...g])));
  return path;
}

/** What snapshotRows() gives, as text, with the rows it counted; undefined when it declines. */
async function snapshotRows(path: string) {
  let rows = 0;
  const chunks = await partSource(path, model).snapshotRows!((n) => rows += n);
  if (!chunks) return undefined;
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return { text, rows };
}

Deno.test("snapshotRows() gives a served snapshot part's rows without meta.ts, as the lines path would", async () => {
  const header = "meta.ts\tkey.id\tvalue.name\tvalue.n\n";
  const lines = Array.from(
    { length: 5000 },
    (_, i) =>
      `2026-01-01T00:00:0${i % 10}Z\t${i}\tnäme ${"x".repeat(i % 300)}\\t\t${i % 7 ? i : "\\N"}`,
  );
  const path = await part(`${header}${lines.join("\n")}\n\n`, 7);
  const expected = (await Array.fromAsync(partSource(path, model))).flat()
    .map((line) => line.slice(line.indexOf("\t", 2) + 1)).join("\n") + "\n";
  assertEquals(await snapshotRows(path), { text: expected, rows: 5000 });
  assertEquals(expected.split("\n")[1], "1\tnäme x\\t\t1");
  const unterminated = await part(`${header}2026-01-01T00:00:00Z\t9\ta\t1`);
  assertEquals(await snapshotRows(unterminated), { text: "9\ta\t1\n", rows: 1 });
  assertEquals(await snapshotRows(await part(header.trimEnd())), { text: "", rows: 0 });
});

Deno.test("snapshotRows() declines any other layout, and refuses a record without columns", async () => {
  const incremental = "meta.ts\tmeta.action\tkey.id\tvalue.name\tvalue.n\n";
  assertEquals(
    await snapshotRows(await part(`${incremental}2026-01-01T00:00:00Z\tU\t1\ta\t1\n`)),
    undefined,
  );
  const shuffled = "meta.ts\tvalue.name\tkey.id\tvalue.n\n";
  assertEquals(
    await snapshotRows(await part(`${shuffled}2026-01-01T00:00:00Z\ta\t1\t1\n`)),
    undefined,
  );
  const broken = await part("meta.ts\tkey.id\tvalue.name\tvalue.n\n2026-01-01T00:00:00Z\n");
  await assertRejects(
    () => snapshotRows(broken),
    SyntaxError,
    "Cannot read a TSV part: a record has no columns after meta.ts",
  );
});

Deno.test("unescapeTsv() reads COPY text: \\N is NULL, escapes become characters", () => {
  assertEquals(unescapeTsv("\\N"), null);
  assertEquals(unescapeTsv(""), "");
  assertEquals(unescapeTsv("a\\tb\\nc\\\\d\\re\\bf\\fg\\vh"), "a\tb\nc\\d\re\bf\fg\vh");
  assertEquals(unescapeTsv("\\\\N"), "\\N", "an escaped backslash before N is text");
  assertEquals(splitTsv("1\t\\N\t"), ["1", null, ""]);
});
