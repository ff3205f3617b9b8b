import { assert, assertEquals, assertNotEquals } from "../support/assert.ts";
import { type JsonRecord, keyText, QuerySession, stateText } from "./query_session.ts";
import { HISTORY_ANCHOR, snapshotKeys } from "./row_history.ts";

const A = HISTORY_ANCHOR;
const SECOND = 1000, HOUR = 3_600_000, DAY = 86_400_000;
const TABLES = [
  ["canvas", "courses"],
  ["canvas_logs", "web_logs"],
  ["catalog", "users"],
  ["catalog", "orders"],
] as const;
const SEEDS = [1, 7, 1234];
/** (T1, T2] windows from a second to 20 days, on and off the anchor instant. */
const WINDOWS: [number, number][] = [
  [A - SECOND, A],
  [A, A + 10 * 60 * SECOND],
  [A - HOUR, A],
  [A + DAY, A + 2 * DAY],
  [A - 7 * DAY, A],
  [A - 20 * DAY, A],
  [A + 13 * DAY, A + 33 * DAY],
];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Snapshot records by key; a repeated key (web_logs) must repeat the same record. */
function byKey(records: JsonRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const record of records) {
    const key = keyText(record), state = stateText(record);
    const seen = out.get(key);
    assert(seen === undefined || seen === state, `a repeated key with another state: ${key}`);
    out.set(key, state);
  }
  return out;
}

interface Applied {
  inserted: number;
  updated: number;
  deleted: number;
  /** D for a key the snapshot did not hold: inserted and deleted inside the window */
  transient: number;
}

/**
 * snapshot(T1) + incremental (T1, T2] = snapshot(T2), as sets of records after
 * de-duplicating by key; returns what the incremental did.
 */
async function checkWindow(
  session: QuerySession,
  [namespace, table]: readonly [string, string],
  [t1, t2]: [number, number],
): Promise<Applied> {
  const where = `${namespace}.${table} seed ${session.emulator.options.seed} (${iso(t1)}, ${
    iso(t2)
  }]`;
  session.emulator.configure({ dataAt: t1 });
  const first = await session.query(namespace, table, { format: "jsonl" });
  assertEquals(first.job.at, iso(t1).replace(".000Z", "Z"), where);
  session.emulator.configure({ dataAt: t2 });
  const changes = await session.query(namespace, table, { format: "jsonl", since: iso(t1) });
  assertEquals([changes.job.since, changes.job.until], [iso(t1), iso(t2)], where);
  const second = await session.query(namespace, table, { format: "jsonl" });
  const state = byKey(first.records);
  const applied: Applied = { inserted: 0, updated: 0, deleted: 0, transient: 0 };
  const keys = new Set<string>();
  for (const record of changes.records) {
    const key = keyText(record), ts = Date.parse(record.meta.ts);
    assert(ts > t1 && ts <= t2, `${where}: ${record.meta.ts} outside the window`);
    assert(!keys.has(key), `${where}: ${key} twice in one incremental`);
    keys.add(key);
    if (record.meta.action === "D") {
      assertEquals(record.value, undefined, where);
      if (state.delete(key)) applied.deleted++;
      else applied.transient++;
    } else {
      assertEquals(record.meta.action, "U", where);
      if (state.has(key)) applied.updated++;
      else applied.inserted++;
      state.set(key, stateText(record));
    }
  }
  assertEquals(state, byKey(second.records), where);
  return applied;
}

for (const table of TABLES) {
  Deno.test(`snapshot(T1) + incremental (T1, T2] = snapshot(T2) for ${table.join(".")}`, async () => {
    const total: Applied = { inserted: 0, updated: 0, deleted: 0, transient: 0 };
    for (const seed of SEEDS) {
      const session = new QuerySession({ seed, rows: 120, rowsPerObject: 50, gzipLevel: 1 });
      // Windows that start or end exactly on a change: the newest change at the anchor.
      const newest = Math.max(
        ...(await session.query(table[0], table[1], { format: "jsonl" })).records.map((r) =>
          Date.parse(r.meta.ts)
        ),
      );
      for (const window of [...WINDOWS, [newest, newest + 1], [newest - 1, newest]] as const) {
        const applied = await checkWindow(session, table, [window[0], window[1]]);
        for (const kind of Object.keys(total) as (keyof Applied)[]) total[kind] += applied[kind];
      }
    }
    assert(total.inserted > 0 && total.updated > 0 && total.deleted > 0, JSON.stringify(total));
  });
}

Deno.test("the property holds across a schema bump: rows changed after it carry the new column", async () => {
  for (const seed of [1, 7]) {
    for (const table of [["canvas", "courses"], ["catalog", "users"]] as const) {
      const session = new QuerySession({ seed, rows: 150, gzipLevel: 1, schemaBumpAt: A });
      for (const window of [[A - DAY, A + DAY], [A - 10 * DAY, A + 10 * DAY]] as const) {
        const applied = await checkWindow(session, table, [window[0], window[1]]);
        assert(applied.updated + applied.inserted > 0, JSON.stringify(applied));
      }
      const changes = await session.query(table[0], table[1], {
        format: "jsonl",
        since: iso(A - DAY),
        until: iso(A + DAY),
      });
      const noted = changes.records.filter((r) => r.value?.schema_bump_note !== undefined);
      assert(noted.length > 0 && noted.every((r) => Date.parse(r.meta.ts) >= A));
    }
  }
});

Deno.test("one day moves a few percent of the rows: inserts, updates and deletes", async () => {
  const session = new QuerySession({ rows: 1000, rowsPerObject: 1000 });
  const applied = await checkWindow(session, ["canvas", "courses"], [A - DAY, A]);
  assertEquals(applied, { inserted: 13, updated: 26, deleted: 7, transient: 0 });
  const alive = (await session.query("canvas", "courses", { format: "jsonl" })).records.length;
  assertEquals(alive, 978);
});

Deno.test("a snapshot answers at = dataAt to the millisecond and holds only rows alive then", async () => {
  const session = new QuerySession({ rows: 300, dataAt: A + 1234 });
  const { job, records } = await session.query("canvas", "courses", { format: "jsonl" });
  assertEquals(job.at, "2026-11-20T08:00:01.234Z");
  assertEquals(
    records.length,
    snapshotKeys({
      ...session.emulator.options,
      seed: 1,
      namespace: "canvas",
      table: "courses",
      rows: 300,
    }, A + 1234).length,
  );
  for (const record of records) {
    assertEquals(Object.keys(record.meta), ["ts"]);
    assert(Date.parse(record.meta.ts) <= A + 1234, record.meta.ts);
    assert(record.value !== undefined);
  }
});

Deno.test("an incremental's until defaults to dataAt and may not pass it; since may not be older than 30 days", async () => {
  const session = new QuerySession({ rows: 50 });
  const open = await session.query("canvas", "courses", { format: "jsonl", since: iso(A - DAY) });
  assertEquals([open.status, open.job.until], [200, "2026-11-20T08:00:00.000Z"]);
  for (
    const body of [
      { since: iso(A - DAY), until: iso(A + 1) },
      { since: iso(A + 1) },
    ]
  ) {
    const refused = await session.query("canvas", "courses", { format: "jsonl", ...body });
    assertEquals(refused.status, 400);
    const error = refused.job.error as Record<string, unknown>;
    assertEquals([error.type, error.message, error.since, error.until], [
      "OutOfRangeError",
      "The range ends after the newest change",
      "2026-10-21T08:00:00Z",
      "2026-11-20T08:00:00Z",
    ]);
  }
  const old = await session.query("canvas", "courses", {
    format: "jsonl",
    since: iso(A - 31 * DAY),
  });
  assertEquals((old.job.error as Record<string, unknown>).since, "2026-10-21T08:00:00Z");
  const empty = await session.query("canvas", "courses", { format: "jsonl", since: iso(A) });
  assertEquals([empty.status, empty.job.objects, empty.records], [200, [], []]);
});

Deno.test("configure({ dataAt }) moves time: the same query makes a new job with new rows", async () => {
  const session = new QuerySession({ rows: 200 });
  const before = await session.query("canvas", "users", { format: "jsonl" });
  const again = await session.query("canvas", "users", { format: "jsonl" });
  assertEquals(again.job.id, before.job.id);
  session.emulator.configure({ dataAt: A + DAY });
  const after = await session.query("canvas", "users", { format: "jsonl" });
  assertNotEquals(after.job.id, before.job.id);
  assertEquals([before.job.at, after.job.at], ["2026-11-20T08:00:00Z", "2026-11-21T08:00:00Z"]);
  assertNotEquals(byKey(after.records), byKey(before.records));
  // The history does not depend on how the emulator got to an instant.
  const direct = new QuerySession({ rows: 200, dataAt: A + DAY });
  assertEquals((await direct.query("canvas", "users", { format: "jsonl" })).records, after.records);
});

Deno.test("a web_logs snapshot repeats some rows (at-least-once); its incrementals never do", async () => {
  const session = new QuerySession({ rows: 1000, rowsPerObject: 1000 });
  const snapshot = await session.query("canvas_logs", "web_logs", { format: "jsonl" });
  assertEquals([snapshot.records.length, byKey(snapshot.records).size], [976, 968]);
  const changes = await session.query("canvas_logs", "web_logs", {
    format: "jsonl",
    since: iso(A - 20 * DAY),
  });
  assertEquals(new Set(changes.records.map(keyText)).size, changes.records.length);
  const courses = await session.query("canvas", "courses", { format: "jsonl" });
  assertEquals(byKey(courses.records).size, courses.records.length);
});

Deno.test("created_at is the insert and updated_at the last change of each row", async () => {
  const session = new QuerySession({ rows: 300, rowsPerObject: 1000 });
  const changes = await session.query("canvas", "courses", {
    format: "jsonl",
    since: iso(A - 20 * DAY),
  });
  let updates = 0;
  for (const record of changes.records.filter((r) => r.value)) {
    assertEquals(record.value!.updated_at, record.meta.ts);
    if (record.value!.created_at !== record.meta.ts) updates++;
    assert((record.value!.created_at as string) <= record.meta.ts);
  }
  assert(updates > 0);
});
