/**
 * `dap initdb / syncdb / dropdb` into a real PostgreSQL 15, the CLI run as a
 * subprocess against the emulator moving through time (`configure({ dataAt
 * })`, with a schema bump between the instants): initdb then syncdb equals
 * initdb at the later instant, table for table, column for column, enum for
 * enum, row for row, several tables at once and a table that repeats keys
 * in its snapshot (web_logs); the metadata rows are the contract's; SIGKILL
 * mid-load leaves the previous state and a rerun completes; Ctrl-C rolls
 * back at once; the mistakes users make come back as one line with the right
 * exit code and never the password.
 */
import postgres from "postgres";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { type PostgresServer, startPostgres } from "../support/postgres_server.ts";
import { waitFor } from "../support/local_server.ts";
import {
  assertConnectionRefusals,
  assertReinitRecovers,
  assertStateMistakes,
  dapOk as dap,
  syncEnv as env,
} from "./db_sync_scenarios.ts";
import { runDap, spawnDap } from "./run_dap.ts";

const BASE = { seed: 11, rows: 600, rowsPerObject: 150, jobWaitingMs: 0, jobRunningMs: 0 };
const DAY_MS = 86_400_000;
const T1 = Date.UTC(2026, 10, 20, 8, 0, 0);
const T2 = T1 + 2 * DAY_MS;
const TABLES = ["courses", "users", "enrollments", "assignments"];
const CANVAS = ["--namespace", "canvas", "--table", TABLES.join(",")];
const LOGS = ["--namespace", "canvas_logs", "--table", "web_logs"];
const COURSES = ["--namespace", "canvas", "--table", "courses"];

/** A database on the server, owned by the test role; its connection string. */
async function database(server: PostgresServer, name: string): Promise<string> {
  await server.sql.unsafe(`CREATE DATABASE "${name}" OWNER "${server.user}"`);
  return server.url.replace(/\/[^/]+$/, `/${name}`);
}

/** A superuser connection to one database of the server, for reading it back. */
async function withDatabase<T>(
  server: PostgresServer,
  name: string,
  work: (sql: postgres.Sql) => Promise<T>,
): Promise<T> {
  const sql = postgres({
    host: server.host,
    port: server.port,
    user: "postgres",
    database: name,
    max: 1,
    onnotice: () => {},
  });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

interface Table {
  columns: string[];
  constraints: string[];
  rows: unknown[];
}

async function readTable(sql: postgres.Sql, name: string): Promise<Table> {
  const columns = await sql`SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
    FROM pg_attribute WHERE attrelid = ${name}::regclass AND attnum > 0 AND NOT attisdropped
    ORDER BY attnum`;
  const constraints = await sql`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE conrelid = ${name}::regclass ORDER BY conname`;
  const list = columns.map((c) => `"${c.attname}"::text`).join(", ");
  const rows = await sql.unsafe(`SELECT ${list} FROM ${name} ORDER BY 1`).values();
  return {
    columns: columns.map((c) => `${c.attname} ${c.type}${c.attnotnull ? " NOT NULL" : ""}`),
    constraints: constraints.map((c) => `${c.conname} ${c.def}`),
    rows: rows.map((r) => [...r]),
  };
}

/** Everything a database holds: data tables (columns, keys, rows), enum types, metadata rows. */
async function contents(server: PostgresServer, name: string) {
  return await withDatabase(server, name, async (sql) => {
    const names = await sql`SELECT format('%I.%I', n.nspname, c.relname) AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1`;
    const tables: Record<string, Table> = {};
    for (const { name } of names.filter((r) => !r.name.startsWith("instructure_dap."))) {
      tables[name] = await readTable(sql, name);
    }
    const enums = await sql`SELECT format('%I.%I', n.nspname, t.typname) AS name,
      array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1`;
    return {
      names: names.map((r) => r.name),
      tables,
      enums: Object.fromEntries(enums.map((r) => [r.name, r.labels])),
      ...await metadata(sql),
    };
  });
}

/** The metadata rows (none before the first run). */
async function metadata(sql: postgres.Sql) {
  const [kept] = await sql`SELECT to_regclass('instructure_dap.table_sync') IS NOT NULL AS kept`;
  if (!kept?.kept) return { sync: [] as Record<string, unknown>[], versions: [] as number[] };
  const versions = await sql`SELECT version::int FROM instructure_dap.database_version`;
  return { sync: await syncRows(sql), versions: versions.map((r) => r.version as number) };
}

async function syncRows(sql: postgres.Sql): Promise<Record<string, unknown>[]> {
  const rows = await sql`SELECT source_namespace, source_table, "timestamp"::text AS timestamp,
    schema_version::int, target_schema, target_table, schema_description_format, schema_description
    FROM instructure_dap.table_sync ORDER BY source_namespace, source_table`;
  return rows.map((row) => ({ ...row }));
}

/** A database dap has prepared (metadata tables, committed first) but holds no table of. */
const PREPARED = {
  names: ["instructure_dap.database_version", "instructure_dap.table_sync"],
  tables: {},
  enums: {},
  sync: [],
  versions: [1],
};

/** dap's connections to the server that are inside a transaction. */
async function sessionsInTransaction(server: PostgresServer): Promise<number> {
  const [row] = await server.sql`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE application_name = 'dap' AND backend_xid IS NOT NULL`;
  return row!.n;
}

Deno.test("initdb then syncdb across two instants and a schema bump equals initdb at the later instant", async () => {
  await using server = await startPostgres();
  await using emulator = serveEmulator({ ...BASE, dataAt: T1 });
  const [synced, fresh] = [await database(server, "synced"), await database(server, "fresh")];
  await dap(["initdb", ...CANVAS], env(emulator.url, synced));
  await dap(["initdb", ...LOGS], env(emulator.url, synced));
  const before = await contents(server, "synced");

  emulator.emulator.configure({ dataAt: T2, schemaBumpAt: T1 + DAY_MS });
  const stderr = await dap(
    ["--loglevel", "info", "syncdb", "--namespace", "canvas", "--table", "all"],
    env(emulator.url, synced),
  );
  await dap(["syncdb", ...LOGS], env(emulator.url, synced));
  for (const table of TABLES) {
    assertMatch(stderr, new RegExp(`canvas\\.${table}: added column schema_bump_note`));
    assertMatch(stderr, new RegExp(`canvas\\.${table}: \\d+ rows`));
  }
  await dap(["initdb", ...CANVAS], env(emulator.url, fresh));
  await dap(["initdb", ...LOGS], env(emulator.url, fresh));
  const after = await contents(server, "synced");
  assertEquals(after, await contents(server, "fresh"));

  assertEquals(after.names, [
    ...TABLES.map((t) => `canvas.${t}`).sort(),
    "canvas_logs.web_logs",
    "instructure_dap.database_version",
    "instructure_dap.table_sync",
  ]);
  assertEquals(after.versions, [1]);
  assertEquals(after.tables["canvas.courses"]!.constraints, ["pk_courses PRIMARY KEY (id)"]);
  assert(
    after.tables["canvas.courses"]!.columns.includes(
      "workflow_state canvas.courses__workflow_state NOT NULL",
    ),
  );
  assert(
    after.tables["canvas.courses"]!.columns.includes("schema_bump_note character varying(255)"),
  );
  assertEquals(after.enums["canvas.courses__workflow_state"], [
    "created",
    "claimed",
    "available",
    "completed",
    "deleted",
    "__dap_unspecified__",
  ]);
  // The contract's metadata rows: naive UTC `until`, target schema and table, the schema as JSON.
  assertEquals(
    after.sync.map((
      r,
    ) => [
      r.source_namespace,
      r.source_table,
      r.timestamp,
      r.target_schema,
      r.target_table,
      r.schema_description_format,
    ]),
    [
      ...TABLES.sort().map((t) => ["canvas", t, "2026-11-22 08:00:00", "canvas", t, "json"]),
      ["canvas_logs", "web_logs", "2026-11-22 08:00:00", "canvas_logs", "web_logs", "json"],
    ],
  );
  for (const row of after.sync) {
    const schema = JSON.parse(String(row.schema_description));
    assert(schema.properties.key.properties.id, `${row.source_table}: the schema as served`);
  }
  assertEquals(after.sync.find((r) => r.source_table === "courses")?.schema_version, 4);
  // The instants differ: some rows changed, some went, some came.
  for (const table of Object.keys(before.tables)) {
    const [was, is] = [before.tables[table]!.rows, after.tables[table]!.rows].map((rows) =>
      rows.map((r) => JSON.stringify(r))
    );
    assert(was!.some((row) => !is!.includes(row)) && is!.some((row) => !was!.includes(row)), table);
  }
});

Deno.test("SIGKILL in the middle of initdb and of syncdb leaves the previous state; a rerun completes", async () => {
  await using server = await startPostgres();
  await using emulator = serveEmulator({ ...BASE, rows: 3000, rowsPerObject: 300, dataAt: T1 });
  const [killed, fresh] = [await database(server, "killed"), await database(server, "fresh")];
  const slow = (part: string) =>
    emulator.emulator.configure({
      faults: [{
        endpoint: "object",
        pathIncludes: part,
        fault: { kind: "slow", chunkBytes: 256, delayMs: 500 },
      }],
    });
  const killMidLoad = async (args: string[], part: string) => {
    slow(part);
    const child = spawnDap(args, env(emulator.url, killed));
    await emulator.emulator.waitFor(
      (e) => e.requests.some((r) => r.path.includes(part) && r.path.includes("/objects/")),
      { timeoutMs: 30_000, description: "the slow part's download" },
    );
    await waitFor(
      async () => (await sessionsInTransaction(server)) > 0 || undefined,
      30_000,
      "the session's transaction to write",
    );
    child.kill("SIGKILL");
    assertEquals((await child.output()).code, 137);
    emulator.emulator.configure({ faults: [] });
  };

  await killMidLoad(["initdb", ...COURSES], "part-00003");
  assertEquals(await contents(server, "killed"), PREPARED);
  await dap(["initdb", ...COURSES], env(emulator.url, killed));
  await dap(["initdb", ...COURSES], env(emulator.url, fresh));
  assertEquals(await contents(server, "killed"), await contents(server, "fresh"));

  emulator.emulator.configure({ dataAt: T1 + 10 * DAY_MS });
  const before = await contents(server, "killed");
  await killMidLoad(["syncdb", ...COURSES], "part-00001");
  assertEquals(await contents(server, "killed"), before);
  await dap(["syncdb", ...COURSES], env(emulator.url, killed));
  const later = await database(server, "later");
  await dap(["initdb", ...COURSES], env(emulator.url, later));
  assertEquals(await contents(server, "killed"), await contents(server, "later"));
});

Deno.test("Ctrl-C in the middle of initdb of several tables rolls back at once: exit 130, nothing left", async () => {
  await using server = await startPostgres();
  await using emulator = serveEmulator({ ...BASE, rows: 3000, rowsPerObject: 300 });
  const db = await database(server, "interrupted");
  emulator.emulator.configure({
    faults: [{
      endpoint: "object",
      pathIncludes: "part-00003",
      fault: { kind: "slow", chunkBytes: 256, delayMs: 500 },
    }],
  });
  const child = spawnDap(
    ["initdb", "--namespace", "canvas", "--table", "courses,users"],
    env(emulator.url, db),
  );
  await waitFor(
    async () => (await sessionsInTransaction(server)) >= 2 || undefined,
    30_000,
    "both tables' sessions to write",
  );
  const started = performance.now();
  child.kill("SIGINT");
  const output = await child.output();
  assertEquals(output.code, 130, new TextDecoder().decode(output.stderr));
  assert(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
  assertEquals(await contents(server, "interrupted"), PREPARED);
  assertEquals(await sessionsInTransaction(server), 0);
});

Deno.test("syncdb after the changes are gone says so; --reinit rebuilds the table", async () => {
  await using server = await startPostgres();
  await using emulator = serveEmulator({ ...BASE, dataAt: T1 });
  await assertReinitRecovers({
    database: (name) => database(server, name),
    contents: (name) => contents(server, name),
  }, emulator);
});

Deno.test("mistakes: initdb of a kept table, syncdb of an unknown one, a wrong password, dropdb", async () => {
  await using server = await startPostgres();
  await using emulator = serveEmulator(BASE);
  const good = env(emulator.url, server.url);
  await dap(["initdb", "--namespace", "canvas", "--table", "courses,users"], good);

  await assertStateMistakes(emulator, server.url);

  await assertConnectionRefusals(emulator.url, {
    server,
    denied:
      `Cannot connect to the PostgreSQL server at 127.0.0.1:${server.port}: password authentication failed for user "dap" [28P01]`,
    unreachable:
      "Cannot connect to the PostgreSQL server at 127.0.0.1:1: connection refused (is the server running and listening there?) [ECONNREFUSED]",
  });

  const dropped = await runDap(["dropdb", ...COURSES], { DAP_CONNECTION_STRING: server.url });
  assertEquals(dropped.code, 0, dropped.stderr);
  assertMatch(
    dropped.stderr,
    new RegExp(
      `^canvas\\.courses: dropped from postgresql://dap:(\\*\\*\\*|\\[redacted\\])@127\\.0\\.0\\.1:${server.port}/dap\n$`,
    ),
  );
  assert(!dropped.stderr.includes(encodeURIComponent(server.password!)));
  const left = await contents(server, "dap");
  assertEquals(left.names, [
    "canvas.users",
    "instructure_dap.database_version",
    "instructure_dap.table_sync",
  ]);
  assertEquals(Object.keys(left.enums).filter((n) => n.startsWith("canvas.courses__")), []);
  assertEquals(left.sync.map((r) => r.source_table), ["users"]);
  const twice = await runDap(["dropdb", ...COURSES], { DAP_CONNECTION_STRING: server.url });
  assertEquals([twice.code, twice.stderr], [
    2,
    "error: Cannot dropdb canvas.courses: the database does not hold it\n",
  ]);
  const all = await runDap(["dropdb", "--namespace", "canvas", "--table", "all"], {
    DAP_CONNECTION_STRING: server.url,
  });
  assertEquals(all.code, 0, all.stderr);
  assertEquals((await contents(server, "dap")).names, [
    "instructure_dap.database_version",
    "instructure_dap.table_sync",
  ]);
});
