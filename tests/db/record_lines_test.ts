import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { assertEquals } from "../support/assert.ts";
import { lineLayout, partRecords } from "../../src/db/record_lines.ts";
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

Deno.test("unescapeTsv() reads COPY text: \\N is NULL, escapes become characters", () => {
  assertEquals(unescapeTsv("\\N"), null);
  assertEquals(unescapeTsv(""), "");
  assertEquals(unescapeTsv("a\\tb\\nc\\\\d\\re\\bf\\fg\\vh"), "a\tb\nc\\d\re\bf\fg\vh");
  assertEquals(unescapeTsv("\\\\N"), "\\N", "an escaped backslash before N is text");
  assertEquals(splitTsv("1\t\\N\t"), ["1", null, ""]);
});
