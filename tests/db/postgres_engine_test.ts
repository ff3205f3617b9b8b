/**
 * The PostgreSQL engine against a real PostgreSQL 15 (no mocks): the
 * official client's layout read back from the catalog, COPY loading with the
 * hard strings, repeated keys in a snapshot, newest-wins syncs, migrations,
 * drops, rollback to the previous state, the official client's database
 * synced by dap (its native arrays, json and text columns too, through the
 * seam and through the CLI against the emulator), Ctrl-C, concurrency and
 * per-table locks, TLS, and errors that name the server and never the
 * password.
 */
import postgres from "postgres";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { inspect } from "node:util";
import { DatabaseError, InterruptedError } from "../../src/errors.ts";
import type { Log } from "../../src/runtime.ts";
import { parseConnectionString } from "../../src/db/connection_string.ts";
import type { Engine, TableSession } from "../../src/db/engine.ts";
import {
  createPostgresEngine,
  type PostgresEngineOptions,
  sslOption,
} from "../../src/db/postgres_engine.ts";
import { createStageSql, createTableSql, mergeSql } from "../../src/db/postgres_sql.ts";
import { rfc3339 } from "../../src/db/postgres_session.ts";
import { sanitize } from "../../src/db/sync_row.ts";
import { storedModel, TableSync } from "../../src/db/sync_table.ts";
import { type TableModel, tableModel } from "../../src/db/table_model.ts";
import { tsvField } from "../emulator/encode.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { demoEnv, runDap } from "../e2e/run_dap.ts";
import { HARD_STRINGS } from "../emulator/rows.ts";
import type { Json } from "../emulator/json_text.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import { type PostgresServer, startPostgres } from "../support/postgres_server.ts";
import { freePort, waitFor } from "../support/local_server.ts";

// ---------------------------------------------------------------------------------------------
// A table with every type of the contract's table.

type Schema = Record<string, unknown>;

function schemaOf(value: Record<string, Schema>, required: string[] = ["name", "state"]): Schema {
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
  state: { type: "string", enum: ["active", "deleted", "__dap_unspecified__"] },
  data: { type: "object" },
  guid: { type: "string", format: "uuid" },
};
const SCHEMA = schemaOf(VALUES);
const MODEL = tableModel("canvas", "things", { schema: SCHEMA, version: 2 });
const COLUMNS = MODEL.columns.map((c) => c.name);

/** One record: the key and values by column name (absent = NULL). */
type Row = Record<string, Json>;

/** Columns whose values DAP delivers as JSON text. */
const JSON_COLUMNS = new Set(["data", "submission_types", "attachment_ids", "extensions", "kinds"]);

function tsvLine(row: Row, columns = COLUMNS): string {
  return columns.map((c) => tsvField(row[c] ?? null, JSON_COLUMNS.has(c))).join("\t");
}

/** A normalized line, as `load` receives them. */
function line(action: "U" | "D", ts: string, row: Row, columns = COLUMNS): string {
  return `${action}\t${ts}\t${tsvLine(row, columns)}`;
}

/** Records as `load` takes them: re-iterable, one batch. */
function records(...lines: string[]): AsyncIterable<string[]> {
  return {
    async *[Symbol.asyncIterator]() {
      yield lines;
    },
  };
}

let partsDir: string | undefined;

/** A gzipped TSV part as DAP serves it: header first; snapshots have no meta.action. */
async function part(
  rows: { action?: "U" | "D"; ts: string; row: Row }[],
  columns = COLUMNS,
): Promise<string> {
  if (partsDir === undefined) {
    const dir = partsDir = await Deno.makeTempDir({ prefix: "dap-postgres-parts-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  }
  const incremental = rows.some((r) => r.action !== undefined);
  const header = [
    "meta.ts",
    ...(incremental ? ["meta.action"] : []),
    ...columns.map((c) => (c === "id" ? `key.${c}` : `value.${c}`)),
  ];
  const lines = rows.map((r) =>
    [r.ts, ...(incremental ? [r.action ?? "U"] : []), tsvLine(r.row, columns)].join("\t")
  );
  const path = join(partsDir, `${crypto.randomUUID()}.tsv.gz`);
  const text = [header.join("\t"), ...lines].join("\n") + "\n";
  await Deno.writeFile(path, gzipSync(new TextEncoder().encode(text)));
  return path;
}

// ---------------------------------------------------------------------------------------------
// Engines, sessions and reading back.

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

const log = recordingLog();

async function openEngine(
  server: PostgresServer,
  options: Partial<PostgresEngineOptions> = {},
  query = "",
): Promise<Engine & AsyncDisposable> {
  const engine = await createPostgresEngine(parseConnectionString(server.url + query), {
    log: recordingLog(),
    signal: new AbortController().signal,
    ...options,
  });
  await engine.prepare();
  return Object.assign(engine, { [Symbol.asyncDispose]: () => engine.close() });
}

/** initdb or syncdb of `model` through the seam, one part per list of records; resolves with the counts. */
async function loadTable(
  engine: Engine,
  model: TableModel,
  mode: "init" | "sync",
  parts: { action?: "U" | "D"; ts: string; row: Row }[][],
  job: { at?: string; until?: string },
) {
  const sync = new TableSync(await engine.begin(model.namespace, model.table, mode), model, log);
  try {
    if (mode === "init") await sync.create();
    else await sync.migrate();
    for (const rows of parts) {
      await sync.addPart(await part(rows, model.columns.map((c) => c.name)));
    }
    return await sync.commit(job);
  } catch (error) {
    await sync.rollback();
    throw error;
  }
}

/** initdb of `model`, one part per list of rows. */
function initTable(
  engine: Engine,
  model: TableModel,
  parts: { ts: string; row: Row }[][],
  at = "2026-11-20T08:00:00Z",
) {
  return loadTable(engine, model, "init", parts, { at });
}

/** syncdb of `model`, one part per list of records. */
function syncTable(
  engine: Engine,
  model: TableModel,
  parts: { action: "U" | "D"; ts: string; row: Row }[][],
  until = "2026-11-21T08:00:00.5Z",
) {
  return loadTable(engine, model, "sync", parts, { until });
}

/** Runs SQL as the database's owner (the role dap connects as), as the official client would. */
async function asOwner(server: PostgresServer, text: string): Promise<void> {
  const owner = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    await owner.unsafe(text);
  } finally {
    await owner.end();
  }
}

/** Every row of a table, each column as text (NULL stays null), ordered by id. */
async function readTable(sql: postgres.Sql, table = "canvas.things"): Promise<Row[]> {
  const columns = await sql`SELECT attname FROM pg_attribute
    WHERE attrelid = ${table}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
  const list = columns.map((c) => `"${c.attname}"::text AS "${c.attname}"`).join(", ");
  const rows = await sql.unsafe(`SELECT ${list} FROM ${table} ORDER BY id`);
  return rows.map((r) => ({ ...r }));
}

/** The catalog's view of a table: column, type, not null, in order. */
async function columnsOf(sql: postgres.Sql, table: string): Promise<string[]> {
  const rows = await sql`SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
    FROM pg_attribute WHERE attrelid = ${table}::regclass AND attnum > 0 AND NOT attisdropped
    ORDER BY attnum`;
  return rows.map((r) => `${r.attname} ${r.type}${r.attnotnull ? " NOT NULL" : ""}`);
}

/** Enum types of a schema with their labels in order. */
async function enumsOf(sql: postgres.Sql, schema: string): Promise<Record<string, string[]>> {
  const rows = await sql`SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname = ${schema} GROUP BY t.typname ORDER BY t.typname`;
  return Object.fromEntries(rows.map((r) => [r.typname, r.labels]));
}

/** Constraints of a table: name, kind and definition. */
async function constraintsOf(sql: postgres.Sql, table: string): Promise<string[]> {
  const rows = await sql`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE conrelid = ${table}::regclass ORDER BY conname`;
  return rows.map((r) => `${r.conname} ${r.def}`);
}

async function syncRows(sql: postgres.Sql): Promise<Row[]> {
  const rows = await sql`SELECT id::int, source_namespace, source_table, "timestamp"::text AS ts,
    schema_version::int, target_schema, target_table, schema_description_format, schema_description
    FROM instructure_dap.table_sync ORDER BY id`;
  return rows.map((r) => ({ ...r }));
}

const BIG = "9007199254740993"; // 2^53 + 1: exact only as text
const THING: Row = {
  id: 1,
  name: "Algebra 😀",
  code: "ALG-101",
  count: -2147483648,
  small: 32767,
  score: 0.1,
  flag: true,
  at: "2024-01-02T03:04:05.123456Z",
  day: "1999-12-31",
  state: "active",
  data: { a: [1, 2], b: { c: "x" } },
  guid: "0f8fad5b-d9cb-469f-a165-70867728950e",
};
const THING_TEXT: Row = {
  id: "1",
  name: "Algebra 😀",
  code: "ALG-101",
  count: "-2147483648",
  small: "32767",
  score: "0.1",
  flag: "true",
  at: "2024-01-02 03:04:05.123456",
  day: "1999-12-31",
  state: "active",
  data: '{"a": [1, 2], "b": {"c": "x"}}',
  guid: "0f8fad5b-d9cb-469f-a165-70867728950e",
};

// ---------------------------------------------------------------------------------------------
// Pure parts.

Deno.test("createTableSql() writes the contract's types, enum types and pk_<table>", () => {
  assertEquals(createTableSql(MODEL), [
    'DROP TABLE IF EXISTS "canvas"."things"',
    'DROP TYPE IF EXISTS "canvas"."things__state"',
    `CREATE TYPE "canvas"."things__state" AS ENUM ('active', 'deleted', '__dap_unspecified__')`,
    'CREATE TABLE "canvas"."things" ("id" bigint NOT NULL, "name" text NOT NULL, ' +
    '"code" varchar(8), "count" integer, "small" smallint, "score" double precision, ' +
    '"flag" boolean, "at" timestamp without time zone, "day" date, ' +
    '"state" "canvas"."things__state" NOT NULL, "data" jsonb, "guid" uuid, ' +
    'CONSTRAINT "pk_things" PRIMARY KEY ("id"))',
  ]);
});

Deno.test("mergeSql() applies the newest record per key in one statement, deletes and upserts", () => {
  const model = tableModel("canvas", "pairs", {
    schema: {
      type: "object",
      properties: {
        key: {
          type: "object",
          properties: { a: { type: "integer" }, b: { type: "integer" } },
          required: ["a", "b"],
        },
        value: { type: "object", properties: { v: { type: "string" } } },
      },
    },
    version: 1,
  });
  assertEquals(
    mergeSql(model),
    'WITH newest AS MATERIALIZED (SELECT DISTINCT ON ("a", "b") * FROM pg_temp.dap_stage ' +
      'ORDER BY "a", "b", dap_ts DESC NULLS LAST, ctid DESC), ' +
      'deleted AS (DELETE FROM "canvas"."pairs" AS t USING newest AS n ' +
      `WHERE n.dap_action = 'D' AND t."a" = n."a" AND t."b" = n."b" RETURNING 1), ` +
      'upserted AS (INSERT INTO "canvas"."pairs" ("a", "b", "v") ' +
      `SELECT "a", "b", "v" FROM newest WHERE dap_action = 'U' ` +
      'ON CONFLICT ("a", "b") DO UPDATE SET "v" = EXCLUDED."v" RETURNING 1) ' +
      "SELECT (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM upserted)::int AS upserted",
  );
});

Deno.test("sslOption() gives libpq's meaning of ?ssl= to postgres.js", () => {
  assertEquals(sslOption("disable", "db.example"), false);
  assertEquals(sslOption(undefined, "db.example"), "prefer");
  assertEquals(sslOption("allow", "db.example"), "prefer");
  assertEquals(sslOption("prefer", "db.example"), "prefer");
  assertEquals(sslOption("require", "db.example"), "require");
  const ca = sslOption("verify-ca", "db.example") as Record<string, unknown>;
  assertEquals(ca.rejectUnauthorized, true);
  assertEquals((ca.checkServerIdentity as () => unknown)(), undefined);
  assertEquals(sslOption("verify-full", "db.example"), {
    rejectUnauthorized: true,
    host: "db.example",
    servername: "db.example",
  });
  assertEquals(sslOption("verify-full", "127.0.0.1"), {
    rejectUnauthorized: true,
    host: "127.0.0.1",
    servername: undefined,
  });
});

Deno.test("rfc3339() trims the microseconds PostgreSQL keeps to what was given", () => {
  assertEquals(rfc3339("2026-11-20T08:00:00.000000Z"), "2026-11-20T08:00:00Z");
  assertEquals(rfc3339("2026-11-20T08:00:00.120000Z"), "2026-11-20T08:00:00.12Z");
  assertEquals(rfc3339("2026-11-20T08:00:00.123456Z"), "2026-11-20T08:00:00.123456Z");
});

Deno.test("sanitize() cuts the password (plain and URL-encoded) and line breaks", () => {
  assertEquals(
    sanitize("failed for pw:1@/%?# and pw%3A1%40%2F%25%3F%23\nnext\tline", ["pw:1@/%?#"]),
    "failed for *** and *** next line",
  );
});

// ---------------------------------------------------------------------------------------------
// The layout, read back from the catalog.

Deno.test("initdb lays the table out exactly as the official client does, metadata included", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  const counts = await initTable(engine, MODEL, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  assertEquals(counts, { upserted: 1, deleted: 0 });
  const { sql } = server;
  assertEquals(await columnsOf(sql, "canvas.things"), [
    "id bigint NOT NULL",
    "name text NOT NULL",
    "code character varying(8)",
    "count integer",
    "small smallint",
    "score double precision",
    "flag boolean",
    "at timestamp without time zone",
    "day date",
    "state canvas.things__state NOT NULL",
    "data jsonb",
    "guid uuid",
  ]);
  assertEquals(await constraintsOf(sql, "canvas.things"), ["pk_things PRIMARY KEY (id)"]);
  assertEquals(await enumsOf(sql, "canvas"), {
    things__state: ["active", "deleted", "__dap_unspecified__"],
  });
  assertEquals(await columnsOf(sql, "instructure_dap.table_sync"), [
    "id bigint NOT NULL",
    "source_namespace character varying(64) NOT NULL",
    "source_table character varying(64) NOT NULL",
    "timestamp timestamp without time zone NOT NULL",
    "schema_version bigint NOT NULL",
    "target_schema character varying(64)",
    "target_table character varying(64) NOT NULL",
    "schema_description_format character varying(64) NOT NULL",
    "schema_description text NOT NULL",
  ]);
  assertEquals(await constraintsOf(sql, "instructure_dap.table_sync"), [
    "pk_table_sync PRIMARY KEY (id)",
  ]);
  assertEquals(await columnsOf(sql, "instructure_dap.database_version"), [
    "version bigint NOT NULL",
  ]);
  assertEquals(await constraintsOf(sql, "instructure_dap.database_version"), [
    "pk_database_version PRIMARY KEY (version)",
  ]);
  const identity =
    await sql`SELECT attrelid::regclass::text AS t, attname, attidentity FROM pg_attribute
    WHERE attrelid IN ('instructure_dap.table_sync'::regclass, 'instructure_dap.database_version'::regclass)
    AND attidentity <> '' ORDER BY 1`;
  assertEquals(identity.map((r) => `${r.t}.${r.attname} ${r.attidentity}`), [
    "instructure_dap.database_version.version d",
    "instructure_dap.table_sync.id d",
  ]);
  assertEquals(
    (await sql`SELECT version::int FROM instructure_dap.database_version`).map((r) => r.version),
    [1],
  );
  assertEquals(await syncRows(sql), [{
    id: 1,
    source_namespace: "canvas",
    source_table: "things",
    ts: "2026-11-20 08:00:00",
    schema_version: 2,
    target_schema: "canvas",
    target_table: "things",
    schema_description_format: "json",
    schema_description: JSON.stringify(SCHEMA),
  }]);
  assertEquals(await readTable(sql), [THING_TEXT]);
  assertEquals(await engine.syncedTables("canvas"), [{
    namespace: "canvas",
    table: "things",
    timestamp: "2026-11-20T08:00:00Z",
    schemaVersion: 2,
    schemaDescription: JSON.stringify(SCHEMA),
    targetSchema: "canvas",
    targetTable: "things",
  }]);
  assertEquals(await engine.syncedTables("catalog"), []);
});

Deno.test("prepare() is idempotent and keeps one database_version row", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  await engine.prepare();
  await engine.prepare();
  const rows = await server.sql`SELECT version::int FROM instructure_dap.database_version`;
  assertEquals(rows.map((r) => r.version), [1]);
});

Deno.test("COPY loads every value exactly: hard strings, NULLs, int64 beyond 2^53, JSON, time zones", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  const hard = HARD_STRINGS.map((name, i): Row => ({
    id: i + 10,
    name,
    code: Array.from(name).slice(0, 8).join(""),
    state: "__dap_unspecified__",
    data: { text: name, big: 12345678901234567890n as unknown as Json },
  }));
  const model = tableModel("canvas", "things", {
    schema: schemaOf({ ...VALUES, id2: { type: "integer", format: "int64" } }),
    version: 2,
  });
  const rows = [
    { ts: "2026-11-01T00:00:00Z", row: { ...THING, id2: BIG } },
    ...hard.map((row) => ({ ts: "2026-11-01T00:00:00Z", row })),
  ];
  await initTable(engine, model, [rows.slice(0, 5), rows.slice(5)]);
  const back = await readTable(server.sql);
  assertEquals(back[0], { ...THING_TEXT, id2: BIG });
  assertEquals(
    back.slice(1).map((r) => [r.name, r.code, r.data]),
    HARD_STRINGS.map((name) => [
      name,
      Array.from(name).slice(0, 8).join(""),
      `{"big": 12345678901234567890, "text": ${JSON.stringify(name)}}`,
    ]),
  );
  assertEquals(back.slice(1).every((r) => r.count === null && r.at === null), true);
});

// ---------------------------------------------------------------------------------------------
// Repeated keys, syncs, migrations, drops.

Deno.test("initdb: a key repeated in the snapshot keeps its newest meta.ts (staged from that part on)", async () => {
  await using server = await startPostgres();
  const logged = recordingLog();
  await using engine = await openEngine(server, { log: logged });
  const row = (id: number, name: string) => ({ id, name, state: "active" });
  const counts = await initTable(engine, MODEL, [
    [{ ts: "2026-11-01T00:00:00Z", row: row(1, "first part") }],
    [
      { ts: "2026-11-02T00:00:00Z", row: row(2, "newest 2") },
      { ts: "2026-11-01T00:00:00Z", row: row(2, "older 2") },
      { ts: "2026-11-01T00:00:00Z", row: row(3, "three") },
    ],
    [
      { ts: "2026-11-03T00:00:00Z", row: row(4, "tie, first") },
      { ts: "2026-11-03T00:00:00Z", row: row(4, "tie, later wins") },
      { ts: "2026-11-01T00:00:00.5Z", row: row(2, "older still") },
    ],
  ]);
  assertEquals(counts, { upserted: 4, deleted: 0 });
  const back = await readTable(server.sql);
  assertEquals(back.map((r) => [r.id, r.name]), [
    ["1", "first part"],
    ["2", "newest 2"],
    ["3", "three"],
    ["4", "tie, later wins"],
  ]);
  assert(
    logged.lines.some((l) => /^info canvas\.things: a key repeats/.test(l)),
    logged.lines.join("\n"),
  );
});

Deno.test("syncdb upserts U and deletes D in set form, the newest meta.ts of each key winning", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  const row = (id: number, name: string) => ({ id, name, state: "active" });
  await initTable(engine, MODEL, [[
    { ts: "2026-11-01T00:00:00Z", row: row(1, "one") },
    { ts: "2026-11-01T00:00:00Z", row: row(2, "two") },
    { ts: "2026-11-01T00:00:00Z", row: row(3, "three") },
    { ts: "2026-11-01T00:00:00Z", row: row(4, "four") },
  ]]);
  const counts = await syncTable(engine, MODEL, [
    [
      { action: "U", ts: "2026-11-21T01:00:00Z", row: row(1, "one, newer") },
      { action: "D", ts: "2026-11-21T02:00:00Z", row: { id: 2 } },
      { action: "D", ts: "2026-11-21T01:00:00Z", row: { id: 3 } },
      { action: "U", ts: "2026-11-21T01:00:00Z", row: row(5, "five") },
    ],
    [
      { action: "U", ts: "2026-11-21T00:30:00Z", row: row(1, "one, older: loses") },
      { action: "U", ts: "2026-11-21T01:00:00Z", row: row(2, "two, older than its delete") },
      { action: "U", ts: "2026-11-21T03:00:00Z", row: row(3, "three, back after its delete") },
      { action: "D", ts: "2026-11-21T01:00:00Z", row: { id: 99 } },
    ],
  ]);
  assertEquals(counts, { upserted: 3, deleted: 1 });
  const back = await readTable(server.sql);
  assertEquals(back.map((r) => [r.id, r.name]), [
    ["1", "one, newer"],
    ["3", "three, back after its delete"],
    ["4", "four"],
    ["5", "five"],
  ]);
  const [sync] = await syncRows(server.sql);
  assertEquals([sync?.id, sync?.ts], [1, "2026-11-21 08:00:00.5"]);
  assertEquals((await engine.syncedTables("canvas"))[0]?.timestamp, "2026-11-21T08:00:00.5Z");
});

Deno.test("syncdb migrates: columns and enum types added, removed ones dropped, new enum values usable at once", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  const before = tableModel("canvas", "things", {
    schema: schemaOf({ ...VALUES, old_kind: { type: "string", enum: ["x", "y"] } }),
    version: 2,
  });
  await initTable(engine, before, [[{
    ts: "2026-11-01T00:00:00Z",
    row: { ...THING, old_kind: "x" },
  }]]);
  const { code: _code, small: _small, ...kept } = VALUES;
  const after = tableModel("canvas", "things", {
    schema: schemaOf({
      ...kept,
      state: { type: "string", enum: ["active", "deleted", "__dap_unspecified__", "archived"] },
      kind: { type: "string", enum: ["a", "b"] },
      note: { type: "string", maxLength: 20 },
    }),
    version: 3,
  });
  const session = await engine.begin("canvas", "things", "sync");
  const row = await session.readSync();
  assert(row);
  const lines = await session.migrate(storedModel(row), after);
  assertEquals(lines, [
    "enum state gained archived",
    "added column kind",
    "added column note",
    "dropped column code (no longer in the schema)",
    "dropped column small (no longer in the schema)",
    "dropped column old_kind (no longer in the schema)",
  ]);
  const names = after.columns.map((c) => c.name);
  await session.load(
    after,
    records(
      line("U", "2026-11-21T00:00:00Z", {
        id: 1,
        name: "archived now",
        state: "archived",
        kind: "b",
        note: "hello",
      }, names),
    ),
  );
  assertEquals(await session.finish(after), { upserted: 1, deleted: 0 });
  await session.writeSync({
    namespace: "canvas",
    table: "things",
    timestamp: "2026-11-21T08:00:00Z",
    schemaVersion: 3,
    schemaDescription: JSON.stringify(after.schema),
  });
  await session.commit();
  const { sql } = server;
  assertEquals(await columnsOf(sql, "canvas.things"), [
    "id bigint NOT NULL",
    "name text NOT NULL",
    "count integer",
    "score double precision",
    "flag boolean",
    "at timestamp without time zone",
    "day date",
    "state canvas.things__state NOT NULL",
    "data jsonb",
    "guid uuid",
    "kind canvas.things__kind",
    "note character varying(20)",
  ]);
  assertEquals(await enumsOf(sql, "canvas"), {
    things__kind: ["a", "b", "__dap_unspecified__"],
    things__state: ["active", "deleted", "__dap_unspecified__", "archived"],
  });
  const back = await readTable(sql);
  assertEquals(back.map((r) => [r.id, r.name, r.state, r.kind, r.note, r.count]), [
    ["1", "archived now", "archived", "b", "hello", null],
  ]);
  const [sync] = await syncRows(sql);
  assertEquals([sync?.schema_version, sync?.ts], [3, "2026-11-21 08:00:00"]);
});

Deno.test("dropdb drops the table, its enum types and its table_sync row, nothing else", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  await initTable(engine, MODEL, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  const other = tableModel("canvas", "others", { schema: SCHEMA, version: 1 });
  await initTable(engine, other, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  const session = await engine.begin("canvas", "things", "drop");
  const row = await session.readSync();
  await session.dropTable(storedModel(row!));
  await session.commit();
  const { sql } = server;
  assertEquals(await enumsOf(sql, "canvas"), {
    others__state: ["active", "deleted", "__dap_unspecified__"],
  });
  assertEquals((await sql`SELECT to_regclass('canvas.things')::text AS t`)[0]?.t, null);
  assertEquals((await syncRows(sql)).map((r) => r.source_table), ["others"]);
  assertEquals(await readTable(sql, "canvas.others"), [THING_TEXT]);
});

// ---------------------------------------------------------------------------------------------
// Atomicity: a rolled-back session leaves the database as it was.

Deno.test("a rolled-back initdb leaves no table, no enum type and no table_sync row", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  const sync = new TableSync(await engine.begin("canvas", "things", "init"), MODEL, log);
  await sync.create();
  await sync.addPart(await part([{ ts: "2026-11-01T00:00:00Z", row: THING }]));
  await sync.rollback();
  const { sql } = server;
  assertEquals((await sql`SELECT to_regclass('canvas.things')::text AS t`)[0]?.t, null);
  assertEquals(await enumsOf(sql, "canvas"), {});
  assertEquals(await syncRows(sql), []);
  // The namespace schema is shared by every table: created once, committed, kept (empty).
  assertEquals((await sql`SELECT to_regnamespace('canvas') IS NOT NULL AS kept`)[0]?.kept, true);
  await initTable(engine, MODEL, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  assertEquals(await readTable(sql), [THING_TEXT]);
});

Deno.test("a rolled-back syncdb leaves the table, its columns, rows and table_sync row as they were", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  await initTable(engine, MODEL, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  const { sql } = server;
  const before = {
    columns: await columnsOf(sql, "canvas.things"),
    rows: await readTable(sql),
    sync: await syncRows(sql),
  };
  const after = tableModel("canvas", "things", {
    schema: schemaOf({
      ...VALUES,
      state: { type: "string", enum: ["active", "deleted", "__dap_unspecified__", "new"] },
      extra: { type: "string" },
    }),
    version: 3,
  });
  const session = await engine.begin("canvas", "things", "sync");
  const sync = new TableSync(session, after, log);
  await sync.migrate();
  const names = after.columns.map((c) => c.name);
  await sync.addPart(
    await part([
      { action: "U", ts: "2026-11-21T00:00:00Z", row: { ...THING, state: "new", extra: "x" } },
      { action: "U", ts: "2026-11-21T00:00:00Z", row: { id: 2, name: "two", state: "new" } },
    ], names),
  );
  await session.finish(after);
  await session.writeSync({
    namespace: "canvas",
    table: "things",
    timestamp: "2026-11-22T00:00:00Z",
    schemaVersion: 3,
    schemaDescription: "{}",
  });
  await sync.rollback();
  assertEquals(
    {
      columns: await columnsOf(sql, "canvas.things"),
      rows: await readTable(sql),
      sync: await syncRows(sql),
    },
    before,
  );
  // New enum values are committed on their own, before the session uses them: they stay.
  assertEquals((await enumsOf(sql, "canvas")).things__state, [
    "active",
    "deleted",
    "__dap_unspecified__",
    "new",
  ]);
});

Deno.test("initdb replaces a table left without a table_sync row (an interrupted run), enum types too", async () => {
  await using server = await startPostgres();
  const { sql } = server;
  await asOwner(
    server,
    `CREATE SCHEMA canvas;
    CREATE TYPE canvas.things__state AS ENUM ('stale');
    CREATE TABLE canvas.things (id bigint PRIMARY KEY, state canvas.things__state);
    INSERT INTO canvas.things VALUES (7, 'stale')`,
  );
  const logged = recordingLog();
  await using engine = await openEngine(server, { log: logged });
  const sync = new TableSync(await engine.begin("canvas", "things", "init"), MODEL, logged);
  await sync.create();
  await sync.addPart(await part([{ ts: "2026-11-01T00:00:00Z", row: THING }]));
  await sync.commit({ at: "2026-11-20T08:00:00Z" });
  assertEquals(await readTable(sql), [THING_TEXT]);
  assertEquals((await enumsOf(sql, "canvas")).things__state, [
    "active",
    "deleted",
    "__dap_unspecified__",
  ]);
  assert(
    logged.lines.some((l) => l.includes("left without a table_sync row")),
    logged.lines.join("\n"),
  );
});

Deno.test("a statement the server refuses is one DatabaseError with its message and line; nothing is left", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server);
  const session = await engine.begin("canvas", "things", "init");
  await session.createTable(MODEL);
  const error = await assertRejects(
    () =>
      session.load(
        MODEL,
        records(
          line("U", "2026-11-01T00:00:00Z", THING),
          line("U", "2026-11-01T00:00:00Z", { ...THING, id: 2, state: "not_a_state" }),
        ),
      ),
    DatabaseError,
  );
  assertEquals(
    error.message,
    'Cannot load canvas.things: invalid input value for enum canvas.things__state: "not_a_state" ' +
      '(COPY things, line 2, column state: "not_a_state") [22P02]',
  );
  await session.rollback();
  assertEquals((await server.sql`SELECT to_regclass('canvas.things')::text AS t`)[0]?.t, null);
});

// ---------------------------------------------------------------------------------------------
// The official client's database, and dap's, side by side.

const OFFICIAL_DDL = `
  CREATE SCHEMA IF NOT EXISTS "instructure_dap";
  CREATE TABLE "instructure_dap"."database_version" (
    "version" bigint GENERATED BY DEFAULT AS IDENTITY,
    CONSTRAINT "pk_database_version" PRIMARY KEY ("version"));
  INSERT INTO "instructure_dap"."database_version" ("version") VALUES (1);
  CREATE TABLE "instructure_dap"."table_sync" (
    "id" bigint GENERATED BY DEFAULT AS IDENTITY,
    "source_namespace" varchar(64) NOT NULL,
    "source_table" varchar(64) NOT NULL,
    "timestamp" timestamp NOT NULL,
    "schema_version" bigint NOT NULL,
    "target_schema" varchar(64),
    "target_table" varchar(64) NOT NULL,
    "schema_description_format" varchar(64) NOT NULL,
    "schema_description" text NOT NULL,
    CONSTRAINT "pk_table_sync" PRIMARY KEY ("id"));
  CREATE SCHEMA IF NOT EXISTS "canvas";
  CREATE TYPE "canvas"."things__state" AS ENUM ('active', 'deleted', '__dap_unspecified__');
  CREATE TABLE "canvas"."things" (
    "id" bigint NOT NULL,
    "name" text NOT NULL,
    "code" varchar(8),
    "count" integer,
    "small" smallint,
    "score" double precision,
    "flag" boolean,
    "at" timestamp,
    "day" date,
    "state" "canvas"."things__state" NOT NULL,
    "data" jsonb,
    "guid" uuid,
    CONSTRAINT "pk_things" PRIMARY KEY ("id"));`;

/** The official client stores the schema with its meta section taken out. */
function officialDescription(): string {
  const { meta: _meta, ...properties } = SCHEMA.properties as Record<string, unknown>;
  return JSON.stringify({ ...SCHEMA, properties });
}

/** Everything the catalog says about the layout. */
async function layout(sql: postgres.Sql): Promise<Record<string, unknown>> {
  const tables = [
    "canvas.things",
    "instructure_dap.table_sync",
    "instructure_dap.database_version",
  ];
  const out: Record<string, unknown> = { enums: await enumsOf(sql, "canvas") };
  for (const table of tables) {
    out[table] = {
      columns: await columnsOf(sql, table),
      constraints: await constraintsOf(sql, table),
      indexes:
        (await sql`SELECT indexdef FROM pg_indexes WHERE format('%I.%I', schemaname, tablename) = ${table}`)
          .map((r) => r.indexdef),
      identity:
        (await sql`SELECT attname, attidentity FROM pg_attribute WHERE attrelid = ${table}::regclass
        AND attidentity <> ''`).map((r) => `${r.attname} ${r.attidentity}`),
    };
  }
  out.versions = (await sql`SELECT version::int FROM instructure_dap.database_version`).map((r) =>
    r.version
  );
  return out;
}

Deno.test("a database initialised by dap has exactly the layout the official client makes", async () => {
  await using server = await startPostgres();
  const { sql } = server;
  await asOwner(server, OFFICIAL_DDL);
  const official = await layout(sql);
  await sql.unsafe('DROP SCHEMA "canvas" CASCADE; DROP SCHEMA "instructure_dap" CASCADE');
  await using engine = await openEngine(server);
  await initTable(engine, MODEL, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  assertEquals(await layout(sql), official);
});

Deno.test("dap syncs a database the official client laid out (its table_sync row, its stored schema)", async () => {
  await using server = await startPostgres();
  const { sql } = server;
  await asOwner(server, OFFICIAL_DDL);
  await sql.unsafe(
    `INSERT INTO canvas.things (id, name, state) VALUES (1, 'one', 'active'), (2, 'two', 'active')`,
  );
  await sql`INSERT INTO instructure_dap.table_sync (source_namespace, source_table, "timestamp",
    schema_version, target_schema, target_table, schema_description_format, schema_description)
    VALUES ('canvas', 'things', '2026-11-20 08:00:00.25', 2, 'canvas', 'things', 'json', ${officialDescription()})`;
  await using engine = await openEngine(server);
  const [kept] = await engine.syncedTables("canvas");
  assertEquals(kept?.timestamp, "2026-11-20T08:00:00.25Z");
  const counts = await syncTable(engine, MODEL, [[
    { action: "U", ts: "2026-11-21T00:00:00Z", row: { ...THING, name: "one, synced" } },
    { action: "D", ts: "2026-11-21T00:00:00Z", row: { id: 2 } },
  ]]);
  assertEquals(counts, { upserted: 1, deleted: 1 });
  assertEquals(await readTable(sql), [{ ...THING_TEXT, name: "one, synced" }]);
  assertEquals(await syncRows(sql), [{
    id: 1,
    source_namespace: "canvas",
    source_table: "things",
    ts: "2026-11-21 08:00:00.5",
    schema_version: 2,
    target_schema: "canvas",
    target_table: "things",
    schema_description_format: "json",
    schema_description: JSON.stringify(SCHEMA),
  }]);
  assertEquals(
    (await sql`SELECT count(*)::int AS n FROM instructure_dap.database_version`)[0]?.n,
    1,
  );
});

// ---------------------------------------------------------------------------------------------
// A table the official client laid out its own way: native arrays (text[], bigint[],
// varchar(n)[], enum[]) where dap has jsonb, json, text where dap has an enum or a varchar(n).

const ASSIGNMENT_VALUES: Record<string, Schema> = {
  title: { type: "string", maxLength: 8 },
  submission_types: { type: "array", items: { type: "string" } },
  attachment_ids: { type: "array", items: { type: "integer", format: "int64" } },
  extensions: { type: "array", items: { type: "string", maxLength: 10 } },
  kinds: { type: "array", items: { type: "string", enum: ["quiz", "essay"] } },
  grading_type: { type: "string", enum: ["points", "percent"] },
  workflow_state: { type: "string", enum: ["published", "deleted"] },
  data: { type: "object" },
};
const ASSIGNMENTS_SCHEMA = schemaOf(ASSIGNMENT_VALUES, ["workflow_state"]);
const ASSIGNMENTS = tableModel("canvas", "assignments", { schema: ASSIGNMENTS_SCHEMA, version: 1 });
const ARRAY_COLUMNS = ["submission_types", "attachment_ids", "extensions", "kinds"];

/** canvas.assignments as the official client lays it out, three rows, its table_sync row. */
const OFFICIAL_ASSIGNMENTS = `
  CREATE TYPE "canvas"."assignments__kinds" AS ENUM ('quiz', 'essay', '__dap_unspecified__');
  CREATE TYPE "canvas"."assignments__workflow_state"
    AS ENUM ('published', 'deleted', '__dap_unspecified__');
  CREATE TABLE "canvas"."assignments" (
    "id" bigint NOT NULL,
    "title" text,
    "submission_types" text[],
    "attachment_ids" bigint[],
    "extensions" varchar(10)[],
    "kinds" "canvas"."assignments__kinds"[],
    "grading_type" text,
    "workflow_state" "canvas"."assignments__workflow_state" NOT NULL,
    "data" json,
    CONSTRAINT "pk_assignments" PRIMARY KEY ("id"));
  INSERT INTO canvas.assignments VALUES
    (1, 'one', '{online_upload}', '{1}', '{pdf}', '{quiz}', 'points', 'published', '{"x": 1}'),
    (2, 'two', NULL, NULL, NULL, NULL, NULL, 'published', NULL),
    (3, 'three', '{}', '{}', '{}', '{}', 'percent', 'published', '[]'),
    (6, 'six', '{gone}', '{6}', '{}', '{}', NULL, 'published', NULL);`;

async function officialAssignments(server: PostgresServer): Promise<void> {
  await asOwner(server, OFFICIAL_DDL + OFFICIAL_ASSIGNMENTS);
  const { meta: _meta, ...properties } = ASSIGNMENTS_SCHEMA.properties as Record<string, unknown>;
  await server.sql`INSERT INTO instructure_dap.table_sync (source_namespace, source_table,
    "timestamp", schema_version, target_schema, target_table, schema_description_format,
    schema_description) VALUES ('canvas', 'assignments', '2026-11-20 08:00:00', 1, 'canvas',
    'assignments', 'json', ${JSON.stringify({ ...ASSIGNMENTS_SCHEMA, properties })})`;
}

/** canvas.assignments read back: arrays as JSON arrays of their elements' text (exact for int64). */
async function readAssignments(sql: postgres.Sql): Promise<Row[]> {
  const arrays = ARRAY_COLUMNS.map((c) => `array_to_json("${c}"::text[])::text AS "${c}"`);
  const rows = await sql.unsafe(
    `SELECT id::text, title, ${arrays.join(", ")}, grading_type, workflow_state::text,
      data::text FROM canvas.assignments ORDER BY id`,
  );
  return rows.map((r) => {
    const row: Row = { ...r };
    for (const c of ARRAY_COLUMNS) row[c] = r[c] === null ? null : JSON.parse(r[c]);
    return row;
  });
}

const OFFICIAL_COLUMNS = [
  "id bigint NOT NULL",
  "title text",
  "submission_types text[]",
  "attachment_ids bigint[]",
  "extensions character varying(10)[]",
  "kinds canvas.assignments__kinds[]",
  "grading_type text",
  "workflow_state canvas.assignments__workflow_state NOT NULL",
  "data json",
];

/** What the catalog says of the official table, as the session reads it. */
const OFFICIAL_CATALOG = new Map([
  ["id", { type: "bigint", element: null }],
  ["title", { type: "text", element: null }],
  ["submission_types", { type: "text[]", element: "text" }],
  ["attachment_ids", { type: "bigint[]", element: "bigint" }],
  ["extensions", { type: "character varying(10)[]", element: "character varying" }],
  ["kinds", { type: "canvas.assignments__kinds[]", element: "canvas.assignments__kinds" }],
  ["grading_type", { type: "text", element: null }],
  ["workflow_state", { type: "canvas.assignments__workflow_state", element: null }],
  ["data", { type: "json", element: null }],
]);

Deno.test("createStageSql() and mergeSql() follow the table's own types; native arrays are staged as jsonb and converted", () => {
  assertEquals(
    createStageSql(ASSIGNMENTS, OFFICIAL_CATALOG),
    "CREATE TEMPORARY TABLE dap_stage (dap_action text, dap_ts timestamptz, " +
      '"id" bigint, "title" text, "submission_types" jsonb, "attachment_ids" jsonb, ' +
      '"extensions" jsonb, "kinds" jsonb, "grading_type" text, ' +
      '"workflow_state" canvas.assignments__workflow_state, "data" json) ON COMMIT DROP',
  );
  // dap's own layout: the model's types.
  assertEquals(
    createStageSql(ASSIGNMENTS),
    "CREATE TEMPORARY TABLE dap_stage (dap_action text, dap_ts timestamptz, " +
      '"id" bigint, "title" varchar(8), "submission_types" jsonb, "attachment_ids" jsonb, ' +
      '"extensions" jsonb, "kinds" jsonb, "grading_type" "canvas"."assignments__grading_type", ' +
      '"workflow_state" "canvas"."assignments__workflow_state", "data" jsonb) ON COMMIT DROP',
  );
  const convert = (column: string, element: string) =>
    `CASE WHEN jsonb_typeof(newest."${column}") <> 'null' THEN ARRAY(SELECT dap_item.value::${element} ` +
    `FROM jsonb_array_elements_text(newest."${column}") WITH ORDINALITY AS dap_item(value, ord) ` +
    "ORDER BY dap_item.ord) END";
  const merge = mergeSql(ASSIGNMENTS, OFFICIAL_CATALOG);
  assert(
    merge.includes(
      `SELECT "id", "title", ${convert("submission_types", "text")}, ${
        convert("attachment_ids", "bigint")
      }, ${convert("extensions", "character varying")}, ${
        convert("kinds", "canvas.assignments__kinds")
      }, "grading_type", "workflow_state", "data" FROM newest WHERE dap_action = 'U' `,
    ),
    merge,
  );
  const names = ASSIGNMENTS.columns.map((c) => `"${c.name}"`).join(", ");
  assert(mergeSql(ASSIGNMENTS).includes(`SELECT ${names} FROM newest`));
});

const BIG_IDS = [9007199254740993n, -9223372036854775808n, 0n] as unknown as Json[];
const HARD_ITEMS: Json[] = [...HARD_STRINGS, null, "{a,b}", '"quoted"', "NULL"];

Deno.test("syncdb into the official client's table: native arrays from DAP's JSON text, exact; NULL stays NULL, [] stays empty; json, text columns kept", async () => {
  await using server = await startPostgres();
  await officialAssignments(server);
  await using engine = await openEngine(server);
  const row = (id: number, values: Row = {}): Row => ({
    id,
    workflow_state: "published",
    ...values,
  });
  const counts = await syncTable(engine, ASSIGNMENTS, [
    [
      {
        action: "U",
        ts: "2026-11-21T01:00:00Z",
        row: row(1, {
          title: "longer than eight",
          submission_types: ["online_upload", "online_url"],
          attachment_ids: BIG_IDS,
          extensions: ["pdf", "docx"],
          kinds: ["essay", "quiz"],
          grading_type: "percent",
          workflow_state: "deleted",
          data: { b: 1, a: [true, null] },
        }),
      },
      {
        action: "U",
        ts: "2026-11-21T01:00:00Z",
        row: row(2, Object.fromEntries(ARRAY_COLUMNS.map((c) => [c, []]))),
      },
      { action: "U", ts: "2026-11-21T01:00:00Z", row: row(3, { title: "nulls" }) },
      {
        action: "U",
        ts: "2026-11-21T01:00:00Z",
        row: row(4, {
          submission_types: HARD_ITEMS,
          attachment_ids: [7],
          extensions: ["a,b", "{x}"],
          kinds: ["quiz"],
        }),
      },
      { action: "U", ts: "2026-11-21T01:00:00Z", row: row(5, { submission_types: ["x"] }) },
      { action: "D", ts: "2026-11-21T01:00:00Z", row: { id: 6 } },
    ],
    [
      {
        action: "U",
        ts: "2026-11-21T00:00:00Z",
        row: row(1, { submission_types: ["older: loses"] }),
      },
      { action: "D", ts: "2026-11-21T02:00:00Z", row: { id: 5 } },
    ],
  ]);
  assertEquals(counts, { upserted: 4, deleted: 1 });
  const { sql } = server;
  assertEquals(await columnsOf(sql, "canvas.assignments"), OFFICIAL_COLUMNS);
  const empty = Object.fromEntries(ARRAY_COLUMNS.map((c) => [c, null]));
  assertEquals(await readAssignments(sql), [
    {
      id: "1",
      title: "longer than eight",
      submission_types: ["online_upload", "online_url"],
      attachment_ids: ["9007199254740993", "-9223372036854775808", "0"],
      extensions: ["pdf", "docx"],
      kinds: ["essay", "quiz"],
      grading_type: "percent",
      workflow_state: "deleted",
      data: '{"b":1,"a":[true,null]}', // json keeps the text as DAP delivered it
    },
    {
      id: "2",
      title: null,
      ...Object.fromEntries(ARRAY_COLUMNS.map((c) => [c, []])),
      grading_type: null,
      workflow_state: "published",
      data: null,
    },
    {
      id: "3",
      title: "nulls",
      ...empty,
      grading_type: null,
      workflow_state: "published",
      data: null,
    },
    {
      id: "4",
      title: null,
      submission_types: HARD_ITEMS,
      attachment_ids: ["7"],
      extensions: ["a,b", "{x}"],
      kinds: ["quiz"],
      grading_type: null,
      workflow_state: "published",
      data: null,
    },
  ]);
  // The arrays as PostgreSQL prints them.
  const printed = await sql`SELECT id::int, submission_types::text AS s, attachment_ids::text AS a
    FROM canvas.assignments WHERE id IN (1, 2, 3) ORDER BY id`;
  assertEquals(printed.map((r) => [r.id, r.s, r.a]), [
    [1, "{online_upload,online_url}", "{9007199254740993,-9223372036854775808,0}"],
    [2, "{}", "{}"],
    [3, null, null],
  ]);
  const [sync] = await syncRows(sql);
  assertEquals([sync?.source_table, sync?.ts], ["assignments", "2026-11-21 08:00:00.5"]);
});

Deno.test("an init session that meets a table with native arrays stages every part (COPY cannot read JSON as an array)", async () => {
  await using server = await startPostgres();
  await officialAssignments(server);
  await server.sql`DELETE FROM canvas.assignments`;
  await using engine = await openEngine(server);
  const session = await engine.begin("canvas", "assignments", "init");
  const names = ASSIGNMENTS.columns.map((c) => c.name);
  const snapshot = (ts: string, id: number, types: Json) =>
    line("U", ts, { id, workflow_state: "published", submission_types: types }, names);
  await session.load(
    ASSIGNMENTS,
    records(
      snapshot("2026-11-01T00:00:00Z", 1, ["a", "b"]),
      snapshot("2026-11-01T00:00:00Z", 2, []),
    ),
  );
  await session.load(
    ASSIGNMENTS,
    records(
      snapshot("2026-11-02T00:00:00Z", 1, ["newest"]),
      snapshot("2026-11-01T00:00:00Z", 3, null),
    ),
  );
  assertEquals(await session.finish(ASSIGNMENTS), { upserted: 3, deleted: 0 });
  await session.commit();
  assertEquals(
    (await readAssignments(server.sql)).map((r) => [r.id, r.submission_types, r.attachment_ids]),
    [["1", ["newest"], null], ["2", [], null], ["3", null, null]],
  );
});

Deno.test("a value an array column cannot take is one DatabaseError; the table is left as it was", async () => {
  await using server = await startPostgres();
  await officialAssignments(server);
  const before = await readAssignments(server.sql);
  await using engine = await openEngine(server);
  const cases: [Row, string][] = [
    [
      { submission_types: "online" },
      "Cannot apply the changes to canvas.assignments: cannot extract elements from a scalar [22023]",
    ],
    [
      { extensions: ["much too long"] },
      "Cannot apply the changes to canvas.assignments: value too long for type character varying(10) [22001]",
    ],
    [
      { kinds: ["quiz", "poll"] },
      'Cannot apply the changes to canvas.assignments: invalid input value for enum canvas.assignments__kinds: "poll" [22P02]',
    ],
  ];
  for (const [values, message] of cases) {
    await assertRejects(
      () =>
        syncTable(engine, ASSIGNMENTS, [[{
          action: "U",
          ts: "2026-11-21T00:00:00Z",
          row: { id: 1, workflow_state: "published", ...values },
        }]]),
      DatabaseError,
      message,
    );
  }
  assertEquals(await readAssignments(server.sql), before);
  assertEquals((await syncRows(server.sql))[0]?.ts, "2026-11-20 08:00:00");
});

Deno.test("dap syncdb (the CLI, against the emulator) keeps canvas.assignments in the official client's layout: text[], varchar(n)[], json, text", async () => {
  await using server = await startPostgres();
  const t1 = Date.UTC(2026, 10, 20, 8, 0, 0);
  await using emulator = serveEmulator({
    seed: 11,
    rows: 600,
    rowsPerObject: 150,
    jobWaitingMs: 0,
    jobRunningMs: 0,
    dataAt: t1,
  });
  const [official, fresh] = [
    await createDatabase(server, "official"),
    await createDatabase(server, "fresh"),
  ];
  const args = ["--namespace", "canvas", "--table", "assignments"];
  const dap = async (command: string, connection: string) => {
    const run = await runDap([command, ...args], {
      ...demoEnv(emulator.url),
      DAP_CONNECTION_STRING: connection,
    });
    assertEquals(run.code, 0, `dap ${command}:\n${run.stderr}`);
  };
  // The official client's initdb at t1: dap's table, then its columns as the official client makes them.
  await dap("initdb", official);
  await withDatabase(official, (sql) => sql.unsafe(OFFICIAL_CONVERSION));
  const before = await withDatabase(official, (sql) => arraysById(sql));
  emulator.emulator.configure({ dataAt: t1 + 2 * 86_400_000, schemaBumpAt: t1 + 86_400_000 });
  await dap("syncdb", official);
  await dap("initdb", fresh);

  const [synced, expected] = [
    await withDatabase(official, (sql) => tableAsJson(sql)),
    await withDatabase(fresh, (sql) => tableAsJson(sql)),
  ];
  assertEquals(synced.columns, [
    ...expected.columns.map((c) =>
      ({
        "submission_types jsonb": "submission_types text[]",
        "allowed_extensions jsonb": "allowed_extensions character varying(255)[]",
        "integration_data jsonb": "integration_data json",
        "context_type canvas.assignments__context_type": "context_type text",
      })[c] ?? c
    ),
  ]);
  assert(synced.columns.includes("schema_bump_note character varying(255)"));
  assertEquals(synced.rows, expected.rows);
  // The rows cover what matters: NULL, empty and several elements, hard strings; and the sync changed some.
  const after = await withDatabase(official, (sql) => arraysById(sql));
  const values = [...after.values()];
  assert(values.includes(null) && values.includes("{}"), "NULL and {}");
  assert(values.some((v) => v !== null && v.startsWith("{") && v.includes('",')), "hard strings");
  assert([...after].some(([id, v]) => before.has(id) && before.get(id) !== v), "changed arrays");
  assert([...after.keys()].some((id) => !before.has(id)), "new rows");
});

/** A database on the server, owned by the test role; its connection string. */
async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  await server.sql.unsafe(`CREATE DATABASE "${name}" OWNER "${server.user}"`);
  return server.url.replace(/\/[^/]+$/, `/${name}`);
}

/** Runs `work` on one connection to the database at `url`, as the role dap connects as. */
async function withDatabase<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/**
 * What the official client makes of canvas.assignments where dap's layout differs: its arrays of
 * strings as native arrays, JSON as json, an enum as text (no type), the rows converted.
 */
const OFFICIAL_CONVERSION = `
  CREATE FUNCTION pg_temp.texts(jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN $1 IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text($1)) END $$;
  ALTER TABLE canvas.assignments
    ALTER COLUMN submission_types TYPE text[] USING pg_temp.texts(submission_types),
    ALTER COLUMN allowed_extensions TYPE varchar(255)[] USING pg_temp.texts(allowed_extensions),
    ALTER COLUMN integration_data TYPE json USING integration_data::json,
    ALTER COLUMN context_type TYPE text USING context_type::text;
  DROP TYPE canvas.assignments__context_type;`;

/** canvas.assignments: its columns, and its rows with every value as JSON (to_jsonb), by id. */
async function tableAsJson(sql: postgres.Sql): Promise<{ columns: string[]; rows: unknown[] }> {
  const columns = await columnsOf(sql, "canvas.assignments");
  const list = columns.map((c) => `to_jsonb("${c.split(" ")[0]}")::text`).join(", ");
  const rows = await sql.unsafe(`SELECT ${list} FROM canvas.assignments ORDER BY id`).values();
  return { columns, rows: rows.map((r) => [...r]) };
}

/** submission_types as PostgreSQL prints it, by id. */
async function arraysById(sql: postgres.Sql): Promise<Map<string, string | null>> {
  const rows = await sql`SELECT id::text, submission_types::text AS v FROM canvas.assignments`;
  return new Map(rows.map((r) => [r.id, r.v]));
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C, concurrency, locks.

Deno.test("Ctrl-C during a COPY: load rejects with the InterruptedError at once and rollback leaves nothing", async () => {
  await using server = await startPostgres();
  const controller = new AbortController();
  await using engine = await openEngine(server, { signal: controller.signal });
  const session = await engine.begin("canvas", "things", "init");
  await session.createTable(MODEL);
  const endless: AsyncIterable<string[]> = {
    async *[Symbol.asyncIterator]() {
      for (let i = 0;; i++) {
        // The part is still being sent when Ctrl-C comes.
        if (i === 20) controller.abort(new InterruptedError());
        yield Array.from(
          { length: 500 },
          (_, j) => line("U", "2026-11-01T00:00:00Z", { ...THING, id: i * 500 + j }),
        );
      }
    },
  };
  await assertRejects(() => session.load(MODEL, endless), InterruptedError);
  await session.rollback();
  assertEquals((await server.sql`SELECT to_regclass('canvas.things')::text AS t`)[0]?.t, null);
  await assertRejects(() => engine.begin("canvas", "other", "init"), InterruptedError);
});

Deno.test("Ctrl-C while a statement waits on the server (a lock): it is cancelled, the session rolls back", async () => {
  await using server = await startPostgres();
  const controller = new AbortController();
  await using engine = await openEngine(server, { signal: controller.signal });
  await initTable(engine, MODEL, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  const reader = await server.sql.reserve();
  try {
    await reader`BEGIN`;
    await reader`SELECT count(*) FROM canvas.things`; // holds a lock ALTER TABLE must wait for
    const after = tableModel("canvas", "things", {
      schema: schemaOf({ ...VALUES, extra: { type: "string" } }),
      version: 3,
    });
    const session = await engine.begin("canvas", "things", "sync");
    const row = await session.readSync();
    const migrating = session.migrate(storedModel(row!), after);
    await waitFor(
      async () => {
        const [waiting] = await server.sql`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = 'dap' AND wait_event_type = 'Lock'`;
        return waiting!.n > 0 || undefined;
      },
      10_000,
      "the ALTER TABLE to wait for its lock",
    );
    controller.abort(new InterruptedError());
    await assertRejects(() => migrating, InterruptedError);
    await session.rollback();
  } finally {
    await reader`ROLLBACK`;
    reader.release();
  }
  assertEquals(await columnsOf(server.sql, "canvas.things"), [
    "id bigint NOT NULL",
    "name text NOT NULL",
    "code character varying(8)",
    "count integer",
    "small smallint",
    "score double precision",
    "flag boolean",
    "at timestamp without time zone",
    "day date",
    "state canvas.things__state NOT NULL",
    "data jsonb",
    "guid uuid",
  ]);
});

Deno.test("sessions run at once up to poolSize, each on its own connection; the next waits for one to end", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server, { poolSize: 2 });
  const models = ["a", "b", "c"].map((t) =>
    tableModel("canvas", t, { schema: SCHEMA, version: 1 })
  );
  const a = await engine.begin("canvas", "a", "init");
  const b = await engine.begin("canvas", "b", "init");
  let third: TableSession | undefined;
  const waiting = engine.begin("canvas", "c", "init").then((s) => third = s);
  await server.sql`SELECT 1`; // a round trip: the third begin had every chance to go through
  assertEquals(third, undefined);
  const backends = await server.sql`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE application_name = 'dap' AND state = 'idle in transaction'`;
  assertEquals(backends[0]?.n, 2);
  await a.rollback();
  const started = await waiting;
  await b.rollback();
  await started.rollback();
  const loads = models.map((model, i) =>
    initTable(engine, model, [[{ ts: "2026-11-01T00:00:00Z", row: { ...THING, id: i } }]])
  );
  assertEquals(await Promise.all(loads), models.map(() => ({ upserted: 1, deleted: 0 })));
  assertEquals((await engine.syncedTables("canvas")).map((r) => r.table), ["a", "b", "c"]);
});

Deno.test("another run on the same table waits for its lock, then is refused with a message", async () => {
  await using server = await startPostgres();
  await using first = await openEngine(server);
  await using second = await openEngine(server, { lockWaitMs: 300 });
  const session = await first.begin("canvas", "things", "init");
  await assertRejects(
    () => second.begin("canvas", "things", "init"),
    DatabaseError,
    "Cannot work on canvas.things: another run is working on it; try again when it is done",
  );
  const other = await second.begin("canvas", "others", "init"); // other tables are free
  await other.rollback();
  await session.rollback();
  const again = await second.begin("canvas", "things", "init");
  await again.rollback();
});

// ---------------------------------------------------------------------------------------------
// Connections: errors, TLS.

Deno.test("a wrong password is one DatabaseError naming host, port and reason, never a password", async () => {
  await using server = await startPostgres();
  const url = server.url.replace(/:[^:@/]+@/, ":not-the-password@");
  const error = await assertRejects(
    () =>
      createPostgresEngine(parseConnectionString(url), {
        log: recordingLog(),
        signal: new AbortController().signal,
      }),
    DatabaseError,
  );
  assertEquals(
    error.message,
    `Cannot connect to the PostgreSQL server at 127.0.0.1:${server.port}: password authentication failed for user "dap" [28P01]`,
  );
  for (const text of [String(error), inspect(error, { depth: 5 }), JSON.stringify(error)]) {
    assert(!text.includes("not-the-password"), text);
    assert(!text.includes(server.password!), text);
  }
});

Deno.test("an unreachable server is one DatabaseError naming host, port and reason", async () => {
  const port = freePort();
  const error = await assertRejects(
    () =>
      createPostgresEngine(parseConnectionString(`postgresql://dap:secret@127.0.0.1:${port}/dap`), {
        log: recordingLog(),
        signal: new AbortController().signal,
      }),
    DatabaseError,
  );
  assertEquals(
    error.message,
    `Cannot connect to the PostgreSQL server at 127.0.0.1:${port}: connection refused (is the server running and listening there?) [ECONNREFUSED]`,
  );
});

Deno.test("?ssl=: require encrypts, disable does not, verify-full refuses an unknown certificate in one line", async () => {
  await using server = await startPostgres({ tls: true });
  const encrypted = async (ssl: string) => {
    await using engine = await openEngine(server, {}, `?ssl=${ssl}`);
    const [row] = await server.sql`SELECT bool_and(s.ssl) AS ssl FROM pg_stat_ssl s
      JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'dap'`;
    assert(engine);
    return row?.ssl;
  };
  assertEquals(await encrypted("require"), true);
  assertEquals(await encrypted("prefer"), true);
  assertEquals(await encrypted("disable"), false);
  const error = await assertRejects(
    () => openEngine(server, {}, "?ssl=verify-full"),
    DatabaseError,
    `Cannot connect to the PostgreSQL server at 127.0.0.1:${server.port}: `,
  );
  assertMatch(error.message, /certificate/i);
  assert(!error.message.includes("\n"));
  assert(!error.message.includes(server.password!));
});

Deno.test("?ssl=require against a server without TLS says so in one line", async () => {
  await using server = await startPostgres();
  await assertRejects(
    () => openEngine(server, {}, "?ssl=require"),
    DatabaseError,
    `Cannot connect to the PostgreSQL server at 127.0.0.1:${server.port}: the server closed the connection [ECONNRESET] (with ?ssl=require: does the server accept SSL connections?)`,
  );
});

/** Twice the server's timeouts pass, by the server's clock. */
async function pause(server: PostgresServer): Promise<void> {
  await server.sql.begin(async (tx) => {
    await tx`SET LOCAL statement_timeout = 0`;
    await tx`SELECT pg_sleep(0.4)`;
  });
}

Deno.test("a session outlives the server's statement and idle-in-transaction timeouts (downloads take time)", async () => {
  await using server = await startPostgres({
    settings: { statement_timeout: "200", idle_in_transaction_session_timeout: "200" },
  });
  await using engine = await openEngine(server);
  const session = await engine.begin("canvas", "things", "init");
  await session.createTable(MODEL);
  await pause(server); // idle in transaction meanwhile
  const slow: AsyncIterable<string[]> = {
    async *[Symbol.asyncIterator]() {
      yield [line("U", "2026-11-01T00:00:00Z", THING)];
      await pause(server); // the COPY stays open meanwhile
      yield [line("U", "2026-11-01T00:00:00Z", { ...THING, id: 2 })];
    },
  };
  await session.load(MODEL, slow);
  assertEquals(await session.finish(MODEL), { upserted: 2, deleted: 0 });
  await session.writeSync({
    namespace: "canvas",
    table: "things",
    timestamp: "2026-11-20T08:00:00Z",
    schemaVersion: 2,
    schemaDescription: "{}",
  });
  await session.commit();
  assertEquals((await readTable(server.sql)).map((r) => r.id), ["1", "2"]);
});

Deno.test("a connection the server closes mid-session is one DatabaseError; the engine goes on with new ones", async () => {
  await using server = await startPostgres();
  await using engine = await openEngine(server, { poolSize: 1 });
  for (const when of ["between statements", "during the COPY"]) {
    const session = await engine.begin("canvas", "things", "init");
    await session.createTable(MODEL);
    const terminate = () =>
      server.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'dap' AND backend_xid IS NOT NULL`;
    if (when === "between statements") await terminate();
    const parts: AsyncIterable<string[]> = {
      async *[Symbol.asyncIterator]() {
        yield [line("U", "2026-11-01T00:00:00Z", THING)];
        if (when === "during the COPY") await terminate();
        yield [line("U", "2026-11-01T00:00:00Z", { ...THING, id: 2 })];
      },
    };
    const error = await assertRejects(() => session.load(MODEL, parts), DatabaseError);
    assertMatch(
      error.message,
      new RegExp(
        "^Cannot load canvas\\.things: (" +
          `lost the connection to the PostgreSQL server at 127\\.0\\.0\\.1:${server.port}: ` +
          "the server closed the connection \\[(ECONNRESET|CONNECTION_CLOSED|EPIPE)\\]|" +
          "terminating connection due to administrator command.* \\[57P01\\])$",
      ),
      when,
    );
    await session.rollback();
  }
  await initTable(engine, MODEL, [[{ ts: "2026-11-01T00:00:00Z", row: THING }]]);
  assertEquals(await readTable(server.sql), [THING_TEXT]);
});
