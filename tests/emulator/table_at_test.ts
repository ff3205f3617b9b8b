import { assert, assertEquals } from "../support/assert.ts";
import { readCsv } from "../support/read_delimited.ts";
import { gunzipText } from "../support/gunzip.ts";
import { findTable } from "./catalogue.ts";
import { QuerySession } from "./query_session.ts";
import { HISTORY_ANCHOR } from "./row_history.ts";
import { SCHEMA_BUMP_COLUMN, tableAt } from "./table_at.ts";

const A = HISTORY_ANCHOR, DAY = 86_400_000;
const BUMP = A + DAY / 2;

Deno.test("tableAt() adds the nullable bump column and one version from the bump instant on", () => {
  const courses = findTable("canvas", "courses")!;
  assertEquals(tableAt("canvas", "courses", BUMP - 1, BUMP), { spec: courses, version: 3 });
  assertEquals(tableAt("canvas", "courses", A), { spec: courses, version: 3 });
  assertEquals(tableAt("canvas", "courses", BUMP, BUMP), {
    spec: { key: courses.key, value: [...courses.value, SCHEMA_BUMP_COLUMN] },
    version: 4,
    bumpedAt: BUMP,
  });
  assertEquals(tableAt("catalog", "orders", BUMP + DAY, BUMP)!.version, 2);
  assertEquals(tableAt("canvas", "nope", A, BUMP), undefined);
  assertEquals(SCHEMA_BUMP_COLUMN.required, undefined, "nullable");
});

Deno.test("after a schema bump the schema endpoint and jobs answer the new version", async () => {
  const session = new QuerySession({ rows: 300, rowsPerObject: 1000, schemaBumpAt: BUMP });
  const before = await session.schema("canvas", "courses");
  const value = (schema: Record<string, unknown>) =>
    (schema.schema as { properties: { value: { properties: object; required: string[] } } })
      .properties.value;
  assertEquals(before.version, 3);
  assertEquals(Object.keys(value(before).properties).includes("schema_bump_note"), false);
  const old = await session.query("canvas", "courses", { format: "jsonl" });
  assertEquals(old.job.schema_version, 3);
  assert(old.records.every((r) => !("schema_bump_note" in r.value!)));

  session.emulator.configure({ dataAt: A + DAY });
  const after = await session.schema("canvas", "courses");
  assertEquals(after.version, 4);
  assertEquals(Object.keys(value(after).properties).at(-1), "schema_bump_note");
  assertEquals((value(after).properties as Record<string, unknown>).schema_bump_note, {
    type: "string",
    maxLength: 255,
  });
  assertEquals(value(after).required, value(before).required);

  const snapshot = await session.query("canvas", "courses", { format: "jsonl" });
  const changes = await session.query("canvas", "courses", {
    format: "jsonl",
    since: "2026-11-20T08:00:00Z",
  });
  assertEquals([snapshot.job.schema_version, changes.job.schema_version], [4, 4]);
  for (const { records } of [snapshot, changes]) {
    for (const record of records.filter((r) => r.value)) {
      const note = record.value!.schema_bump_note;
      if (Date.parse(record.meta.ts) >= BUMP) assertEquals(typeof note, "string", record.meta.ts);
      else assertEquals(note, undefined, record.meta.ts);
    }
  }
  const noted = (records: typeof snapshot.records) =>
    records.filter((r) => r.value?.schema_bump_note !== undefined).length;
  assertEquals([noted(snapshot.records), noted(changes.records)], [7, 7]);
  assertEquals(
    snapshot.records.find((r) => r.value?.schema_bump_note)!.value!.schema_bump_note,
    "ethics 1",
  );

  const [csv] = (await session.query("canvas", "courses", { format: "csv" })).parts;
  const [header, ...rows] = readCsv(gunzipText(csv!));
  assertEquals(header!.at(-1), "value.schema_bump_note");
  assertEquals(rows.filter((row) => row.at(-1) !== null).length, 7);
});
