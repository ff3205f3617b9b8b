/**
 * The MySQL/MariaDB engine against a real MariaDB (no mocks): the contract's
 * layout, both loading paths with the hard strings, repeated keys,
 * newest-wins syncs, migrations, rollback to the previous state, leftovers
 * of killed runs, the official client's layout, Ctrl-C, concurrency, and
 * errors that name the server and never the password.
 */
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { DatabaseError, InterruptedError, UsageError } from "../../src/errors.ts";
import type { Log } from "../../src/runtime.ts";
import { parseConnectionString } from "../../src/db/connection_string.ts";
import type { Engine } from "../../src/db/engine.ts";
import { createMysqlEngine, type MysqlEngineOptions } from "../../src/db/mysql_engine.ts";
import { TableSync } from "../../src/db/sync_table.ts";
import { type TableModel, tableModel } from "../../src/db/table_model.ts";
import {
  fromMysqlDatetime,
  loadDataLine,
  sqlLiteral,
  toMysqlDatetime,
} from "../../src/db/mysql_values.ts";
import { enumValues, planMigration } from "../../src/db/mysql_migrate.ts";
import { helperName, lockName } from "../../src/db/mysql_sql.ts";
import { sanitize } from "../../src/db/sync_row.ts";
import { tsvField } from "../emulator/encode.ts";
import { HARD_STRINGS } from "../emulator/rows.ts";
import type { Json } from "../emulator/json_text.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { type MariadbServer, startMariadb } from "../support/mariadb_server.ts";

// ---------------------------------------------------------------------------------------------
// A table with every type of the contract's table.

type Schema = Record<string, unknown>;

function schemaOf(value: Record<string, Schema>, required: string[] = ["name"]): Schema {
  return {
    type: "object",
    properties: {
      meta: { type: "object", properties: { ts: { type: "string", format: "date-time" } } },
      key: {
        type: "object",
        properties: { id: { type: "integer", format: "int64" } },
        required: ["id"],
      },
      value: { type: "object", properties: value, required },
    },
  };
}

const VALUES: Record<string, Schema> = {
  name: { type: "string" },
  code: { type: "string", maxLength: 8 },
  count: { type: "integer", format: "int32" },
  small: { type: "integer", format: "int16" },
  score: { type: "number" },
  flag: { type: "boolean" },
  at: { type: "string", format: "date-time" },
  day: { type: "string", format: "date" },
  state: { type: "string", enum: ["active", "deleted"] },
  data: { type: "object" },
  guid: { type: "string", format: "uuid" },
};
const SCHEMA = schemaOf(VALUES);
const MODEL = tableModel("canvas", "things", { schema: SCHEMA, version: 1 });
const COLUMNS = MODEL.columns.map((c) => c.name);

/** One record: the key and values by column name (absent = NULL). */
type Row = Record<string, Json>;

function tsvLine(row: Row, columns = COLUMNS): string {
  return columns.map((c) => tsvField(row[c] ?? null, c === "data")).join("\t");
}

/** A normalized line, as `load` receives them. */
function line(action: "U" | "D", ts: string, row: Row, columns = COLUMNS): string {
  return `${action}\t${ts}\t${tsvLine(row, columns)}`;
}

async function* batches(...lines: string[]): AsyncGenerator<string[]> {
  yield lines;
}

let partsDir: string | undefined;

/** A gzipped TSV part as DAP serves it: header first; snapshots have no meta.action. */
async function part(rows: { action?: "U" | "D"; ts: string; row: Row }[], columns = COLUMNS) {
  partsDir ??= await Deno.makeTempDir({ prefix: "dap-mysql-parts-" });
  const incremental = rows.some((r) => r.action !== undefined);
  const header = [
    "meta.ts",
    ...(incremental ? ["meta.action"] : []),
    ...columns.map((c) => (c === "id" ? `key.${c}` : `value.${c}`)),
  ];
  const lines = rows.map((r) =>
    [tsvField(r.ts, false), ...(incremental ? [r.action ?? "U"] : []), tsvLine(r.row, columns)]
      .join("\t")
  );
  const path = join(partsDir, `${crypto.randomUUID()}.tsv.gz`);
  await Deno.writeFile(
    path,
    gzipSync(new TextEncoder().encode([header.join("\t"), ...lines].join("\n") + "\n")),
  );
  return path;
}

// ---------------------------------------------------------------------------------------------
// Engines and what they log.

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return {
    lines,
    debug: add("debug"),
    info: add("info"),
    warning: add("warning"),
    error: add("error"),
  };
}

async function openEngine(
  server: MariadbServer,
  options: Partial<MysqlEngineOptions> = {},
): Promise<Engine & AsyncDisposable> {
  const engine = await createMysqlEngine(parseConnectionString(server.url), {
    log: recordingLog(),
    signal: new AbortController().signal,
    ...options,
  });
  await engine.prepare();
  return Object.assign(engine, { [Symbol.asyncDispose]: () => engine.close() });
}

const AT = "2026-11-20T08:00:00Z";

/** initdb of `canvas.things` from parts, through the same TableSync the CLI uses. */
async function initdb(
  engine: Engine,
  parts: string[],
  options: { model?: TableModel; at?: string; replace?: boolean } = {},
) {
  const model = options.model ?? MODEL;
  const sync = new TableSync(await engine.begin("canvas", "things", "init"), model, recordingLog());
  try {
    await sync.create({ replace: options.replace });
    for (const path of parts) await sync.addPart(path);
    return await sync.commit({ at: options.at ?? AT });
  } catch (error) {
    await sync.rollback();
    throw error;
  }
}

/** syncdb of `canvas.things` from parts; returns the counts and the migration's log lines. */
async function syncdb(
  engine: Engine,
  parts: string[],
  options: { model?: TableModel; until?: string } = {},
) {
  const log = recordingLog();
  const sync = new TableSync(
    await engine.begin("canvas", "things", "sync"),
    options.model ?? MODEL,
    log,
  );
  try {
    await sync.migrate();
    for (const path of parts) await sync.addPart(path);
    const counts = await sync.commit({ until: options.until ?? "2026-11-21T08:00:00.250Z" });
    return { counts, log: log.lines };
  } catch (error) {
    await sync.rollback();
    throw error;
  }
}

async function rows(server: MariadbServer, table = "canvas__things", order = "id") {
  const found = await server.query<Record<string, unknown>[]>(
    `SELECT * FROM \`${table}\` ORDER BY ${order}`,
  );
  return found.map((r) => ({ ...r }));
}

async function tables(server: MariadbServer): Promise<string[]> {
  const found = await server.query<Record<string, string>[]>("SHOW TABLES");
  return found.map((r) => Object.values(r)[0]!).sort();
}

async function syncRows(server: MariadbServer) {
  const found = await server.query<Record<string, unknown>[]>(
    "SELECT id, source_namespace, source_table, timestamp, schema_version, target_schema, " +
      "target_table, schema_description_format, schema_description FROM instructure_dap__table_sync ORDER BY id",
  );
  return found.map((r) => ({ ...r }));
}

/** The row as the server gives it back (bigints, dates and datetimes as text; JSON as stored). */
function stored(row: Row): Record<string, unknown> {
  const at = row.at === undefined || row.at === null ? null : toMysqlDatetime(String(row.at));
  return {
    id: String(row.id),
    name: row.name ?? null,
    code: row.code ?? null,
    count: row.count ?? null,
    small: row.small ?? null,
    score: row.score ?? null,
    flag: row.flag === undefined || row.flag === null ? null : row.flag ? 1 : 0,
    at: at === null ? null : at.includes(".") ? at.padEnd(26, "0") : `${at}.000000`,
    day: row.day ?? null,
    state: row.state ?? null,
    data: row.data === undefined || row.data === null ? null : JSON.stringify(row.data),
    guid: row.guid ?? null,
  };
}

const TWO_53 = 2n ** 53n;

/** Rows that break naive loaders: every hard string, NULL against '', \N as text, big ids, microseconds. */
function hardRows(): Row[] {
  const out: Row[] = HARD_STRINGS.map((text, i) => ({
    id: TWO_53 + BigInt(i),
    name: text,
    code: text.slice(0, 8),
    count: -2147483648 + i,
    small: -32768 + i,
    score: i / 3,
    flag: i % 2 === 0,
    at: `2026-11-19T10:11:12.${String(123456 + i).padStart(6, "0")}Z`,
    day: "2024-02-29",
    state: i % 3 === 0 ? "__dap_unspecified__" : "active",
    data: { text, n: i, nested: { ok: true } },
    guid: `0b0e6a54-1c5e-4d2a-9f0e-${String(i).padStart(12, "0")}`,
  }));
  out.push({ id: 1, name: "" }, { id: 2, name: "\\N" }, { id: 3, name: "NULL", code: "" });
  return out;
}

function sortById(list: Record<string, unknown>[]) {
  return [...list].sort((a, b) => (BigInt(String(a.id)) < BigInt(String(b.id)) ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// Pure helpers.

Deno.test("mysql values: RFC 3339 <-> DATETIME, cut never rounded; \\f and \\v for LOAD DATA; INSERT literals", () => {
  assertEquals(toMysqlDatetime("2026-11-20T08:00:00.123456789Z"), "2026-11-20 08:00:00.123456");
  assertEquals(toMysqlDatetime("2026-11-20T08:00:59.999Z", 0), "2026-11-20 08:00:59");
  assertEquals(toMysqlDatetime("2026-11-20T08:00:00+02:00"), "2026-11-20 06:00:00");
  assertEquals(fromMysqlDatetime("2026-11-20 08:00:00.120000"), "2026-11-20T08:00:00.12Z");
  assertEquals(fromMysqlDatetime("2026-11-20 08:00:00"), "2026-11-20T08:00:00Z");
  assertEquals(loadDataLine("a\\fb\\vc\\\\f\\\\v\\t"), "a\fb\vc\\\\f\\\\v\\t");
  assertEquals(loadDataLine("plain \\\\ line"), "plain \\\\ line");
  assertEquals(sqlLiteral("\\N", "plain"), "NULL");
  assertEquals(sqlLiteral("it's \\\\ \\t \\\\N", "plain"), "'it\\'s \\\\ \\t \\\\N'");
  assertEquals([sqlLiteral("t", "boolean"), sqlLiteral("false", "boolean")], ["1", "0"]);
  assertEquals(sqlLiteral("2026-01-02T03:04:05.5Z", "timestamp"), "'2026-01-02 03:04:05.5'");
  assertEquals(enumValues("enum('a','it''s','__dap_unspecified__')"), [
    "a",
    "it's",
    "__dap_unspecified__",
  ]);
  assertEquals(helperName("canvas__courses", "new"), "canvas__courses__dap_new");
  const long = `new_quizzes__${"x".repeat(60)}`;
  assertEquals([helperName(long, "new").length, helperName(long, "old").length], [64, 64]);
  assert(lockName("dap", long).length <= 64);
  assertEquals(sanitize("pw p%40ss p@ss\nnext", ["p@ss"]), "pw *** *** next");
});

Deno.test("planMigration() refuses a changed key with advice", () => {
  const other = tableModel("canvas", "things", {
    schema: {
      type: "object",
      properties: { key: { type: "object", properties: { uuid: { type: "string" } } } },
    },
    version: 2,
  });
  const error = assertThrows(
    () => planMigration("canvas__things", [], MODEL, other),
    UsageError,
  );
  assertMatch(
    error.message,
    /its key changed \(id -> uuid\); rebuild it: dap dropdb .*, then dap initdb/,
  );
});

// ---------------------------------------------------------------------------------------------
// Layout.

Deno.test("initdb lays the tables out as the contract and the official client do", async () => {
  await using server = await startMariadb();
  await using engine = await openEngine(server);
  await initdb(engine, []);
  assertEquals(await tables(server), [
    "canvas__things",
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
  const columns = await server.query<Record<string, unknown>[]>(
    "SELECT TABLE_NAME t, COLUMN_NAME c, COLUMN_TYPE type, IS_NULLABLE n, COLUMN_KEY k, " +
      "COLLATION_NAME coll FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() " +
      "ORDER BY TABLE_NAME, ORDINAL_POSITION",
  );
  const described = columns.map((r) => [r.t, r.c, r.type, r.n, r.k, r.coll].join(" "));
  assertEquals(described, [
    "canvas__things id bigint(20) NO PRI ",
    "canvas__things name mediumtext NO  utf8mb4_general_ci",
    "canvas__things code varchar(8) YES  utf8mb4_general_ci",
    "canvas__things count int(11) YES  ",
    "canvas__things small smallint(6) YES  ",
    "canvas__things score double YES  ",
    "canvas__things flag tinyint(1) YES  ",
    "canvas__things at datetime(6) YES  ",
    "canvas__things day date YES  ",
    "canvas__things state enum('active','deleted','__dap_unspecified__') YES  ascii_bin",
    "canvas__things data longtext YES  utf8mb4_bin", // MariaDB's json: longtext CHECK (json_valid(data))
    "canvas__things guid varchar(36) YES  utf8mb4_general_ci",
    "instructure_dap__database_version version bigint(20) NO PRI ",
    "instructure_dap__table_sync id bigint(20) NO PRI ",
    "instructure_dap__table_sync source_namespace varchar(64) NO  utf8mb4_general_ci",
    "instructure_dap__table_sync source_table varchar(64) NO  utf8mb4_general_ci",
    "instructure_dap__table_sync timestamp datetime NO  ",
    "instructure_dap__table_sync schema_version bigint(20) NO  ",
    "instructure_dap__table_sync target_schema varchar(64) YES  utf8mb4_general_ci",
    "instructure_dap__table_sync target_table varchar(64) NO  utf8mb4_general_ci",
    "instructure_dap__table_sync schema_description_format varchar(64) NO  utf8mb4_general_ci",
    "instructure_dap__table_sync schema_description mediumtext NO  utf8mb4_general_ci",
  ]);
  const checks = await server.query(
    "SELECT TABLE_NAME t, CHECK_CLAUSE c FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
  );
  assertEquals(checks, [{ t: "canvas__things", c: "json_valid(`data`)" }]);
  const extra = await server.query(
    "SELECT TABLE_NAME t, ENGINE e, TABLE_COLLATION c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1",
  );
  assertEquals(extra, [
    { t: "canvas__things", e: "InnoDB", c: "utf8mb4_general_ci" },
    { t: "instructure_dap__database_version", e: "InnoDB", c: "utf8mb4_general_ci" },
    { t: "instructure_dap__table_sync", e: "InnoDB", c: "utf8mb4_general_ci" },
  ]);
  assertEquals(await rows(server, "instructure_dap__database_version", "version"), [{
    version: "1",
  }]);
  assertEquals(await syncRows(server), [{
    id: "1",
    source_namespace: "canvas",
    source_table: "things",
    timestamp: "2026-11-20 08:00:00",
    schema_version: "1",
    target_schema: null,
    target_table: "canvas__things",
    schema_description_format: "json",
    schema_description: JSON.stringify(SCHEMA),
  }]);
  await engine.prepare(); // idempotent: no second version row, nothing recreated
  assertEquals(await rows(server, "instructure_dap__database_version", "version"), [{
    version: "1",
  }]);
  assertEquals((await engine.syncedTables("canvas")).map((r) => [r.table, r.timestamp]), [[
    "things",
    AT,
  ]]);
  assertEquals(await engine.syncedTables("catalog"), []);
});

// ---------------------------------------------------------------------------------------------
// Loading.

for (const localInfile of [true, false]) {
  const how = localInfile ? "LOAD DATA LOCAL INFILE" : "the INSERT fallback";
  Deno.test(`initdb through ${how} keeps the hard strings, NULL vs '', \\N text, int64 > 2^53, microseconds`, async () => {
    await using server = await startMariadb({ localInfile });
    const log = recordingLog();
    await using engine = await openEngine(server, { log });
    const hard = hardRows();
    const counts = await initdb(engine, [
      await part(hard.slice(0, 6).map((row) => ({ ts: AT, row }))),
      await part(hard.slice(6).map((row) => ({ ts: AT, row }))),
    ]);
    assertEquals(counts, { upserted: hard.length, deleted: 0 });
    assertEquals(await rows(server), sortById(hard.map(stored)));
    const debug = log.lines.filter((l) => l.startsWith("debug MySQL"));
    assertEquals(debug, [
      `debug MySQL: ${
        localInfile ? "LOAD DATA LOCAL INFILE" : "batched INSERTs (local_infile is off)"
      } for loading`,
    ]);
  });

  Deno.test(`initdb through ${how}: a key repeated in a snapshot (web_logs) is one row, its last line`, async () => {
    await using server = await startMariadb({ localInfile });
    await using engine = await openEngine(server);
    const counts = await initdb(engine, [
      await part([
        { ts: AT, row: { id: 1, name: "first" } },
        { ts: AT, row: { id: 2, name: "two" } },
        { ts: AT, row: { id: 1, name: "second" } },
      ]),
      await part([{ ts: AT, row: { id: 1, name: "third", flag: true } }]),
    ]);
    assertEquals(counts.upserted, 4);
    assertEquals(await rows(server), [
      stored({ id: 1, name: "third", flag: true }),
      stored({ id: 2, name: "two" }),
    ]);
  });

  Deno.test(`syncdb through ${how}: newest meta.ts wins per key, deletes and upserts in set form`, async () => {
    await using server = await startMariadb({ localInfile });
    await using engine = await openEngine(server);
    await initdb(engine, [
      await part([1, 2, 3, 4, 5].map((id) => ({ ts: AT, row: { id, name: `v0 ${id}` } }))),
    ]);
    const t = (h: number) => `2026-11-21T0${h}:00:00.000001Z`;
    const { counts } = await syncdb(engine, [
      await part([
        { action: "U", ts: t(2), row: { id: 1, name: "v2 newest" } },
        { action: "D", ts: t(3), row: { id: 2 } },
        { action: "U", ts: t(2), row: { id: 3, name: "v2 then deleted" } },
        { action: "U", ts: t(4), row: { id: 4, name: "v4 newest", flag: false } },
        { action: "D", ts: t(1), row: { id: 99 } },
      ]),
      await part([
        { action: "U", ts: t(1), row: { id: 1, name: "v1 older, later in the stream" } },
        { action: "U", ts: t(1), row: { id: 2, name: "v1 older than the delete" } },
        { action: "D", ts: t(5), row: { id: 3 } },
        { action: "U", ts: t(4), row: { id: 4, name: "v4 tie: the later line wins" } },
        { action: "U", ts: t(1), row: { id: 6, name: "new" } },
      ]),
    ]);
    assertEquals(counts, { upserted: 3, deleted: 2 });
    assertEquals(await rows(server), [
      stored({ id: 1, name: "v2 newest" }),
      stored({ id: 4, name: "v4 tie: the later line wins" }),
      stored({ id: 5, name: "v0 5" }),
      stored({ id: 6, name: "new" }),
    ]);
    assertEquals((await syncRows(server))[0]!.timestamp, "2026-11-21 08:00:00"); // cut, never rounded up
    assertEquals(await tables(server), [
      "canvas__things",
      "instructure_dap__database_version",
      "instructure_dap__table_sync",
    ]);
  });
}

Deno.test("a server that refuses LOAD DATA LOCAL at run time: the INSERTs take over, once, with a log line", async () => {
  await using server = await startMariadb();
  const log = recordingLog();
  await using engine = await openEngine(server, { log });
  await server.query("SET GLOBAL local_infile = 0"); // after the engine saw it on
  await initdb(engine, [await part([{ ts: AT, row: { id: 1, name: "a\\b\tc" } }])]);
  await syncdb(engine, [await part([{ action: "U", ts: AT, row: { id: 2, name: "b" } }])]);
  assertEquals(await rows(server), [
    stored({ id: 1, name: "a\\b\tc" }),
    stored({ id: 2, name: "b" }),
  ]);
  assertEquals(log.lines.filter((l) => l.includes("refuses")), [
    "info canvas.things: the server refuses LOAD DATA LOCAL INFILE (local_infile is off): loading with batched INSERTs",
  ]);
});

for (const localInfile of [true, false]) {
  Deno.test(`a bad value fails the load with the server's message (${localInfile ? "LOAD DATA" : "INSERT"}); nothing is left`, async () => {
    await using server = await startMariadb({ localInfile });
    await using engine = await openEngine(server);
    const bad = await part([
      { ts: AT, row: { id: 1, name: "ok" } },
      { ts: AT, row: { id: 2, name: "x", state: "not_a_state" } },
    ]);
    const error = await initdb(engine, [bad]).then(() => undefined, (e) => e);
    assert(error instanceof DatabaseError, String(error));
    assertMatch(
      error.message,
      /^Cannot (load|insert) canvas\.things into canvas__things__dap_new: Data truncated for column 'state' at row \d/,
    );
    assertEquals(await tables(server), [
      "instructure_dap__database_version",
      "instructure_dap__table_sync",
    ]);
    assertEquals(await syncRows(server), []);
  });
}

// ---------------------------------------------------------------------------------------------
// Migrations.

Deno.test("syncdb migrates: adds columns, drops removed ones, extends enums; one log line each; undone on failure", async () => {
  await using server = await startMariadb();
  await using engine = await openEngine(server);
  await initdb(engine, [
    await part([{ ts: AT, row: { id: 1, name: "one", small: 7, state: "active" } }]),
  ]);
  const { small: _small, ...kept } = VALUES;
  const v2Schema = schemaOf({
    ...kept,
    state: { type: "string", enum: ["deleted", "archived", "active"] },
    extra: { type: "string", maxLength: 20 },
  });
  const v2 = tableModel("canvas", "things", { schema: v2Schema, version: 2 });
  const v2Columns = v2.columns.map((c) => c.name);
  const newRow = { id: 2, name: "two", state: "archived", extra: "new column" };
  const incoming = () => part([{ action: "U", ts: AT, row: newRow }], v2Columns);

  // A failing sync (a value the new enum does not know) leaves the table as it was.
  const failing = await part(
    [{ action: "U", ts: AT, row: { id: 3, name: "x", state: "unknown" } }],
    v2Columns,
  );
  await assertRejects(
    () => syncdb(engine, [failing], { model: v2 }),
    DatabaseError,
    "Data truncated for column 'state'",
  );
  const before = await server.query("SHOW CREATE TABLE canvas__things");

  const { log } = await syncdb(engine, [await incoming()], { model: v2 });
  assertEquals(log, [
    "info canvas.things: added column extra",
    "info canvas.things: dropped column small (no longer in the schema)",
    "info canvas.things: enum state gained archived",
  ]);
  const layout = await server.query<Record<string, unknown>[]>(
    "SELECT COLUMN_NAME c, COLUMN_TYPE t, IS_NULLABLE n FROM information_schema.COLUMNS " +
      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'canvas__things' AND COLUMN_NAME IN ('small', 'state', 'extra')",
  );
  assertEquals(layout.map((r) => `${r.c} ${r.t} ${r.n}`).sort(), [
    "extra varchar(20) YES",
    "state enum('active','deleted','__dap_unspecified__','archived') YES",
  ]);
  const { small: _s, ...oneWithoutSmall } = stored({ id: 1, name: "one", state: "active" });
  const { small: _t, ...two } = stored(newRow);
  assertEquals(await rows(server), [{ ...oneWithoutSmall, extra: null }, {
    ...two,
    extra: "new column",
  }]);
  assertEquals((await syncRows(server))[0]!.schema_version, "2");
  assertEquals(before, [{
    Table: "canvas__things",
    "Create Table": (before as Record<string, string>[])[0]!["Create Table"],
  }]);
  assertMatch(
    (before as Record<string, string>[])[0]!["Create Table"],
    /`small` smallint\(6\) DEFAULT NULL/,
  );
  assert(!(before as Record<string, string>[])[0]!["Create Table"].includes("extra"));
});

Deno.test("a migration a killed run left half done is finished by the next syncdb", async () => {
  await using server = await startMariadb();
  await using engine = await openEngine(server);
  await initdb(engine, [await part([{ ts: AT, row: { id: 1, name: "one", small: 7 } }])]);
  const v2 = tableModel("canvas", "things", {
    schema: schemaOf({ ...VALUES, extra: { type: "string" } }),
    version: 2,
  });
  // As if killed between the ALTER and the commit: the column is there, table_sync still says v1.
  await server.query("ALTER TABLE canvas__things ADD COLUMN extra mediumtext NULL");
  const { log } = await syncdb(engine, [], { model: v2 });
  assertEquals(log, []);
  assertEquals((await syncRows(server))[0]!.schema_version, "2");
  // And a column a killed drop left (nullable) goes at the next sync.
  await server.query("ALTER TABLE canvas__things ADD COLUMN stale int NULL");
  const again = await syncdb(engine, [], { model: v2 });
  assertEquals(again.log, ["info canvas.things: dropped column stale (no longer in the schema)"]);
});

// ---------------------------------------------------------------------------------------------
// Atomicity: rollback, leftovers, dropdb.

Deno.test("rollback leaves the previous state: initdb, initdb --reinit and syncdb", async () => {
  await using server = await startMariadb();
  await using engine = await openEngine(server);

  const fresh = await engine.begin("canvas", "things", "init");
  await fresh.readSync();
  await fresh.createTable(MODEL);
  await fresh.load(MODEL, batches(line("U", AT, { id: 1, name: "lost" })));
  await fresh.finish(MODEL);
  await fresh.writeSync({
    namespace: "canvas",
    table: "things",
    timestamp: AT,
    schemaVersion: 1,
    schemaDescription: "{}",
  });
  await fresh.rollback();
  await fresh.rollback(); // idempotent
  assertEquals(await tables(server), [
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
  assertEquals(await syncRows(server), []);

  await initdb(engine, [await part([{ ts: AT, row: { id: 1, name: "kept" } }])]);
  const kept = { rows: await rows(server), sync: await syncRows(server) };

  const reinit = await engine.begin("canvas", "things", "init");
  const sync = new TableSync(reinit, MODEL, recordingLog());
  await sync.create({ replace: true });
  await sync.addPart(await part([{ ts: AT, row: { id: 9, name: "replacement" } }]));
  await sync.rollback();
  assertEquals({ rows: await rows(server), sync: await syncRows(server) }, kept);

  const v2 = tableModel("canvas", "things", {
    schema: schemaOf({ ...VALUES, extra: { type: "string" } }),
    version: 2,
  });
  const session = await engine.begin("canvas", "things", "sync");
  const changes = new TableSync(session, v2, recordingLog());
  await changes.migrate();
  await session.load(v2, batches(line("D", AT, { id: 1 }, v2.columns.map((c) => c.name))));
  await session.finish(v2);
  await session.writeSync({
    namespace: "canvas",
    table: "things",
    timestamp: "2027-01-01T00:00:00Z",
    schemaVersion: 2,
    schemaDescription: "{}",
  });
  await session.rollback();
  assertEquals({ rows: await rows(server), sync: await syncRows(server) }, kept);
  assertEquals(await tables(server), [
    "canvas__things",
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);

  // And a reinit that commits: the new rows swapped in, the same table_sync row updated.
  await initdb(engine, [await part([{ ts: AT, row: { id: 9, name: "replacement" } }])], {
    replace: true,
    at: "2026-12-01T00:00:00Z",
  });
  assertEquals(await rows(server), [stored({ id: 9, name: "replacement" })]);
  assertEquals((await syncRows(server)).map((r) => [r.id, r.timestamp]), [[
    kept.sync[0]!.id,
    "2026-12-01 00:00:00",
  ]]);
  assertEquals(await tables(server), [
    "canvas__things",
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
});

Deno.test("leftovers of a killed initdb are dropped by the next session on the table, or swept by any later run", async () => {
  await using server = await startMariadb();
  await using engine = await openEngine(server);
  await server.query("CREATE TABLE canvas__things__dap_new (id bigint)");
  await server.query("CREATE TABLE canvas__things__dap_old (id bigint)");
  await server.query("CREATE TABLE canvas__things (id bigint)"); // visible but without a table_sync row
  const log = recordingLog();
  const sync = new TableSync(await engine.begin("canvas", "things", "init"), MODEL, log);
  await sync.create();
  await sync.addPart(await part([{ ts: AT, row: { id: 1, name: "one" } }]));
  await sync.commit({ at: AT });
  assertEquals(log.lines, [
    "warning canvas.things: replacing a table left without a table_sync row (an interrupted run?)",
  ]);
  assertEquals(await tables(server), [
    "canvas__things",
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
  assertEquals(await rows(server), [stored({ id: 1, name: "one" })]);

  // Any later run sweeps stand-ins of tables no run works on; a table whose lock is held keeps its own.
  await server.query("CREATE TABLE canvas__gone__dap_new (id bigint)");
  await server.query("CREATE TABLE canvas__busy__dap_new (id bigint)");
  const busy = await engine.begin("canvas", "busy", "sync");
  await server.query("CREATE TABLE canvas__busy__dap_old (id bigint)");
  const sweepLog = recordingLog();
  await using later = await openEngine(server, { log: sweepLog });
  assertEquals(sweepLog.lines.filter((l) => l.startsWith("info")), [
    "info Dropped canvas__gone__dap_new, left by an interrupted run",
  ]);
  assertEquals((await tables(server)).filter((t) => t.includes("__dap_")), [
    "canvas__busy__dap_old",
  ]);
  await busy.rollback();
  assert(later);
});

Deno.test("dropdb drops the table and its table_sync row, and nothing else", async () => {
  await using server = await startMariadb();
  await using engine = await openEngine(server);
  await initdb(engine, []);
  const other = await engine.begin("canvas", "others", "init");
  const otherModel = tableModel("canvas", "others", { schema: SCHEMA, version: 1 });
  const otherSync = new TableSync(other, otherModel, recordingLog());
  await otherSync.create();
  await otherSync.commit({ at: AT });
  const session = await engine.begin("canvas", "things", "drop");
  const row = await session.readSync();
  assertEquals(row?.table, "things");
  await session.dropTable(MODEL);
  await session.commit();
  assertEquals(await tables(server), [
    "canvas__others",
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
  assertEquals((await syncRows(server)).map((r) => r.source_table), ["others"]);
});

// ---------------------------------------------------------------------------------------------
// The official client's layout.

/** The official client's MySQL DDL (pysqlsync): ANSI_QUOTES, datetime without fraction, uuid as binary(16), date as text, enums ASCII. */
const OFFICIAL_DDL = [
  `CREATE TABLE "instructure_dap__table_sync" (
    "id" bigint NOT NULL AUTO_INCREMENT COMMENT 'id',
    "source_namespace" varchar(64) NOT NULL, "source_table" varchar(64) NOT NULL,
    "timestamp" datetime NOT NULL, "schema_version" bigint NOT NULL,
    "target_schema" varchar(64), "target_table" varchar(64) NOT NULL,
    "schema_description_format" varchar(64) NOT NULL, "schema_description" mediumtext NOT NULL,
    CONSTRAINT "pk_instructure_dap__table_sync" PRIMARY KEY ("id"))
    COMMENT = 'Table for storing meta-information about tables managed by the client library.'`,
  `CREATE TABLE "instructure_dap__database_version" ("version" bigint NOT NULL AUTO_INCREMENT,
    CONSTRAINT "pk_instructure_dap__database_version" PRIMARY KEY ("version"))`,
  `INSERT INTO "instructure_dap__database_version" ("version") VALUES (1)`,
  `CREATE TABLE "canvas__things" (
    "id" bigint NOT NULL, "name" mediumtext NOT NULL, "code" varchar(8), "count" int,
    "small" smallint, "score" double, "flag" tinyint, "at" datetime, "day" mediumtext,
    "state" ENUM('active','deleted','__dap_unspecified__') CHARACTER SET ascii COLLATE ascii_bin,
    "data" json, "guid" binary(16),
    CONSTRAINT "pk_canvas__things" PRIMARY KEY ("id"))`,
];

Deno.test("syncdb keeps a database laid out by the official client (its DDL and table_sync row)", async () => {
  await using server = await startMariadb({ serverArgs: ["--sql-mode=ANSI_QUOTES"] });
  for (const sql of OFFICIAL_DDL) await server.query(sql);
  await server.query(
    `INSERT INTO instructure_dap__table_sync (source_namespace, source_table, timestamp, schema_version,
     target_schema, target_table, schema_description_format, schema_description)
     VALUES ('canvas', 'things', '2026-11-19 00:00:00', 1, 'canvas', 'things', 'json', ?)`,
    [JSON.stringify(SCHEMA)],
  );
  await server.query(
    `INSERT INTO canvas__things (id, name, guid, at) VALUES (1, 'from the official client', UNHEX('0b0e6a541c5e4d2a9f0e000000000001'), '2026-11-18 10:00:00')`,
  );
  await using engine = await openEngine(server);
  const kept = await engine.syncedTables("canvas");
  assertEquals(kept.map((r) => [r.table, r.timestamp, r.targetSchema, r.targetTable]), [
    ["things", "2026-11-19T00:00:00Z", "canvas", "things"],
  ]);
  const row = {
    id: 2,
    name: "by dap",
    flag: true,
    at: "2026-11-20T01:02:03.456Z",
    day: "2024-02-29",
    state: "deleted",
    data: { a: 1 },
    guid: "0b0e6a54-1c5e-4d2a-9f0e-000000000002",
  };
  const { counts } = await syncdb(engine, [
    await part([{ action: "U", ts: AT, row }, {
      action: "U",
      ts: AT,
      row: { id: 1, name: "updated by dap", guid: "0b0e6a54-1c5e-4d2a-9f0e-000000000001" },
    }]),
  ]);
  assertEquals(counts, { upserted: 2, deleted: 0 });
  const found = await server.query(
    "SELECT id, name, flag, at, day, state, CAST(data AS CHAR) data, LOWER(HEX(guid)) guid FROM canvas__things ORDER BY id",
  );
  assertEquals(found, [
    {
      id: "1",
      name: "updated by dap",
      flag: null,
      at: null,
      day: null,
      state: null,
      data: null,
      guid: "0b0e6a541c5e4d2a9f0e000000000001",
    },
    {
      id: "2",
      name: "by dap",
      flag: 1,
      at: "2026-11-20 01:02:03",
      day: "2024-02-29",
      state: "deleted",
      data: '{"a":1}',
      guid: "0b0e6a541c5e4d2a9f0e000000000002",
    },
  ]);
  assertEquals(
    (await syncRows(server)).map((r) => [r.timestamp, r.target_schema, r.target_table]),
    [
      ["2026-11-21 08:00:00", "canvas", "things"],
    ],
  );
  assertEquals(await rows(server, "instructure_dap__database_version", "version"), [{
    version: "1",
  }]);
});

// ---------------------------------------------------------------------------------------------
// Ctrl-C and concurrency.

Deno.test("Ctrl-C during a LOAD DATA stops the stream, the session rolls back, InterruptedError comes out", async () => {
  await using server = await startMariadb();
  const controller = new AbortController();
  await using engine = await openEngine(server, { signal: controller.signal });
  const session = await engine.begin("canvas", "things", "init");
  await session.createTable(MODEL);
  async function* endless(): AsyncGenerator<string[]> {
    for (let i = 0;; i++) {
      if (i === 5) controller.abort(new InterruptedError());
      yield [line("U", AT, { id: i, name: `row ${i}` })];
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const started = performance.now();
  await assertRejects(() => session.load(MODEL, endless()), InterruptedError);
  await session.rollback();
  assert(performance.now() - started < 5_000);
  assertEquals(await tables(server), [
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
  await assertRejects(() => engine.begin("canvas", "other", "init"), InterruptedError);
});

Deno.test("Ctrl-C while a statement waits on the server (a RENAME behind a reader's lock) kills it; the old table stays", async () => {
  await using server = await startMariadb();
  const controller = new AbortController();
  await using engine = await openEngine(server, { signal: controller.signal });
  await initdb(engine, [await part([{ ts: AT, row: { id: 1, name: "old" } }])]);
  const kept = { rows: await rows(server), sync: await syncRows(server) };
  // A reader's open transaction holds a metadata lock on the table: the swap must wait for it.
  await server.query("START TRANSACTION");
  await server.query("SELECT COUNT(*) FROM canvas__things");
  const sync = new TableSync(await engine.begin("canvas", "things", "init"), MODEL, recordingLog());
  await sync.create({ replace: true });
  await sync.addPart(await part([{ ts: AT, row: { id: 2, name: "new" } }]));
  const committing = sync.commit({ at: "2026-12-01T00:00:00Z" });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = performance.now();
  controller.abort(new InterruptedError());
  await assertRejects(() => committing, InterruptedError);
  await sync.rollback();
  assert(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
  await server.query("COMMIT");
  assertEquals({ rows: await rows(server), sync: await syncRows(server) }, kept);
  assertEquals(await tables(server), [
    "canvas__things",
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
});

Deno.test("sessions run at once, each on its own connection; a second session on the same table waits for the lock", async () => {
  await using server = await startMariadb();
  await using engine = await openEngine(server, { poolSize: 2, lockWaitMs: 1_500 });
  const models = ["a", "b"].map((t) => tableModel("canvas", t, { schema: SCHEMA, version: 1 }));
  const sessions = await Promise.all(models.map((m) => engine.begin("canvas", m.table, "init")));
  const ids = await server.query<{ id: string; user: string }[]>(
    "SELECT ID id, USER user FROM information_schema.PROCESSLIST WHERE USER = 'dap'",
  );
  assertEquals(ids.length, 2);
  // Both load at once.
  await Promise.all(sessions.map(async (session, i) => {
    const sync = new TableSync(session, models[i]!, recordingLog());
    await sync.create();
    await sync.addPart(await part([{ ts: AT, row: { id: i, name: models[i]!.table } }]));
    await sync.commit({ at: AT });
  }));
  assertEquals((await engine.syncedTables("canvas")).map((r) => r.table), ["a", "b"]);

  const holder = await engine.begin("canvas", "a", "sync");
  const error = await engine.begin("canvas", "a", "sync").then(() => undefined, (e) => e);
  assert(error instanceof DatabaseError);
  assertMatch(error.message, /^Cannot work on canvas\.a: another run is working on it/);
  await holder.rollback();
  const next = await engine.begin("canvas", "a", "drop");
  await next.rollback();
});

// ---------------------------------------------------------------------------------------------
// Errors.

Deno.test("a wrong password or an unreachable server is one DatabaseError naming host and port, never the password", async () => {
  await using server = await startMariadb();
  const wrong = server.url.replace(/:[^:@]+@/, `:${encodeURIComponent("s3cret:pw@/x")}@`);
  const refused = server.url.replace(`:${server.port}/`, ":1/");
  const unknownDb = server.url.replace(/\/dap$/, "/nowhere");
  const expected = [
    new RegExp(
      `^Cannot connect to the MySQL server at 127\\.0\\.0\\.1:${server.port}: Access denied for user 'dap'@'127\\.0\\.0\\.1' \\(using password: YES\\) \\[ER_ACCESS_DENIED_ERROR\\]$`,
    ),
    /^Cannot connect to the MySQL server at 127\.0\.0\.1:1: connection refused \(is the server running and listening there\?\) \[ECONNREFUSED\]$/,
    new RegExp(
      `^Cannot connect to the MySQL server at 127\\.0\\.0\\.1:${server.port}: Access denied for user 'dap'@'%' to database 'nowhere' \\[ER_DBACCESS_DENIED_ERROR\\]$`,
    ),
  ];
  for (const [i, url] of [wrong, refused, unknownDb].entries()) {
    const connection = parseConnectionString(url);
    const error = await createMysqlEngine(connection, {
      log: recordingLog(),
      signal: new AbortController().signal,
    })
      .then((e) => e.close(), (e) => e);
    assert(error instanceof DatabaseError, String(error));
    assertMatch(error.message, expected[i]!);
    for (const secret of [server.password, "s3cret:pw@/x", encodeURIComponent("s3cret:pw@/x")]) {
      assert(!error.message.includes(secret), error.message);
      assert(!String(error.cause ?? "").includes(secret));
    }
  }
});

Deno.test("?ssl=require encrypts, verify-ca/verify-full check the certificate (one line when they cannot)", async () => {
  await using server = await startMariadb({ tls: true });
  await server.query("ALTER USER ?@'%' REQUIRE SSL", [server.user]);
  const open = (ssl?: string) => {
    const url = ssl ? `${server.url}?ssl=${ssl}` : server.url;
    return createMysqlEngine(parseConnectionString(url), {
      log: recordingLog(),
      signal: new AbortController().signal,
    }).then(async (engine) => {
      await engine.close();
      return "connected";
    }, (error) => error);
  };
  assertEquals(await open("require"), "connected");
  const plain = await open();
  assert(plain instanceof DatabaseError);
  assertMatch(
    plain.message,
    /^Cannot connect to the MySQL server at 127\.0\.0\.1:\d+: Access denied for user 'dap'/,
  );
  for (const mode of ["verify-ca", "verify-full"]) {
    const refused = await open(mode);
    assert(refused instanceof DatabaseError, String(refused));
    assertMatch(
      refused.message,
      /^Cannot connect to the MySQL server at 127\.0\.0\.1:\d+: .*self-signed certificate/,
    );
    assert(!refused.message.includes("\n"));
  }
});
