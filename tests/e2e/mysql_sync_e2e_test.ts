/**
 * `dap initdb / syncdb / dropdb` into a real MariaDB, the CLI run as a
 * subprocess against the emulator moving through time (`configure({ dataAt
 * })`, with a schema bump between the instants): initdb then syncdb equals
 * initdb at the later instant, row for row and column for column (LOAD DATA
 * and the INSERT fallback), several tables at once and a table that repeats
 * keys (web_logs); SIGKILL mid-load leaves the previous state and a rerun
 * completes; Ctrl-C rolls back at once; the mistakes users make come back as
 * one line with the right exit code.
 */
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { type MariadbServer, startMariadb } from "../support/mariadb_server.ts";
import {
  assertConnectionRefusals,
  assertReinitRecovers,
  assertStateMistakes,
  dapOk as dap,
  syncEnv as env,
} from "./db_sync_scenarios.ts";
import { runDap, spawnDap } from "./run_dap.ts";

const BASE = { seed: 7, rows: 600, rowsPerObject: 150, jobWaitingMs: 0, jobRunningMs: 0 };
const DAY_MS = 86_400_000;
const T1 = Date.UTC(2026, 10, 20, 8, 0, 0);
const T2 = T1 + 2 * DAY_MS;
const TABLES = ["courses", "users", "enrollments", "assignments"];
const METADATA = ["instructure_dap__database_version", "instructure_dap__table_sync"];

/** A database on the server, owned by the test user; its connection string. */
async function database(server: MariadbServer, name: string): Promise<string> {
  await server.query(
    `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
  );
  await server.query(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO ?@'%'`, [server.user]);
  return server.url.replace(/\/[^/]+$/, `/${name}`);
}

async function tableNames(server: MariadbServer, db: string): Promise<string[]> {
  const rows = await server.query<{ t: string }[]>(
    "SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1",
    [db],
  );
  return rows.map((r) => r.t);
}

/** Every row of a table as text, in key order. */
async function dump(server: MariadbServer, db: string, table: string): Promise<string[]> {
  const rows = await server.query<Record<string, unknown>[]>(
    `SELECT * FROM \`${db}\`.\`${table}\` ORDER BY 1`,
  );
  return rows.map((row) => JSON.stringify(row));
}

/** The columns of a table: name, type, nullability, key, in order. */
async function layout(server: MariadbServer, db: string, table: string): Promise<string[]> {
  const rows = await server.query<Record<string, string>[]>(
    "SELECT COLUMN_NAME c, COLUMN_TYPE t, IS_NULLABLE n, COLUMN_KEY k FROM information_schema.COLUMNS " +
      "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
    [db, table],
  );
  return rows.map((r) => `${r.c} ${r.t} ${r.n} ${r.k}`);
}

async function syncRows(server: MariadbServer, db: string): Promise<unknown[]> {
  const rows = await server.query<Record<string, unknown>[]>(
    "SELECT source_namespace, source_table, timestamp, schema_version, target_schema, target_table, " +
      `schema_description_format, schema_description FROM \`${db}\`.instructure_dap__table_sync ` +
      "ORDER BY source_namespace, source_table",
  );
  return rows.map((row) => ({ ...row }));
}

/** Everything a database holds: its tables, each table's columns and rows, the table_sync rows. */
async function contents(server: MariadbServer, db: string) {
  const names = await tableNames(server, db);
  const tables: Record<string, { columns: string[]; rows: string[] }> = {};
  for (const name of names.filter((n) => !n.startsWith("instructure_dap__"))) {
    tables[name] = { columns: await layout(server, db, name), rows: await dump(server, db, name) };
  }
  return { names, tables, sync: await syncRows(server, db) };
}

/** Polls the database until `check` holds (state, not time: every 50 ms, at most 30 s). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function count(server: MariadbServer, db: string, table: string): Promise<number> {
  const [row] = await server.query<{ n: string }[]>(
    `SELECT COUNT(*) n FROM \`${db}\`.\`${table}\``,
  );
  return Number(row!.n);
}

for (const localInfile of [true, false]) {
  const how = localInfile ? "LOAD DATA LOCAL INFILE" : "the INSERT fallback (local_infile off)";
  Deno.test(`initdb then syncdb across two instants and a schema bump equals initdb at the later instant (${how})`, async () => {
    await using server = await startMariadb({ localInfile });
    await using emulator = serveEmulator({ ...BASE, dataAt: T1 });
    const [synced, fresh] = [await database(server, "synced"), await database(server, "fresh")];
    const canvas = ["--namespace", "canvas", "--table", TABLES.join(",")];
    const logs = ["--namespace", "canvas_logs", "--table", "web_logs"];
    await dap(["initdb", ...canvas], env(emulator.url, synced));
    await dap(["initdb", ...logs], env(emulator.url, synced));
    const before = await contents(server, "synced");

    emulator.emulator.configure({ dataAt: T2, schemaBumpAt: T1 + DAY_MS });
    const stderr = await dap(
      ["syncdb", "--namespace", "canvas", "--table", "all"],
      env(emulator.url, synced),
    );
    await dap(["syncdb", ...logs], env(emulator.url, synced));
    for (const table of TABLES) {
      assertMatch(stderr, new RegExp(`canvas\\.${table}: added column schema_bump_note`));
      assertMatch(stderr, new RegExp(`canvas\\.${table}: \\d+ rows`));
    }
    await dap(["initdb", ...canvas], env(emulator.url, fresh));
    await dap(["initdb", ...logs], env(emulator.url, fresh));
    const after = await contents(server, "synced");
    assertEquals(after, await contents(server, "fresh"));

    assertEquals(
      [...after.names].sort(),
      [
        ...TABLES.map((t) => `canvas__${t}`),
        "canvas_logs__web_logs",
        ...METADATA,
      ].sort(),
    );
    assertEquals(
      (after.sync as { timestamp: string }[]).map((r) => r.timestamp),
      [...TABLES, "web_logs"].map(() => "2026-11-22 08:00:00"),
    );
    // The instants differ: some rows changed, some went, some came.
    for (const table of Object.keys(before.tables)) {
      const [was, is] = [before.tables[table]!.rows, after.tables[table]!.rows];
      assert(was.some((row) => !is.includes(row)) && is.some((row) => !was.includes(row)), table);
    }
  });
}

Deno.test("SIGKILL in the middle of initdb and of syncdb leaves the previous state; a rerun completes", async () => {
  await using server = await startMariadb();
  await using emulator = serveEmulator({ ...BASE, rows: 3000, rowsPerObject: 300, dataAt: T1 });
  const [killed, fresh] = [await database(server, "killed"), await database(server, "fresh")];
  const courses = ["--namespace", "canvas", "--table", "courses"];
  const slow = (part: string) =>
    emulator.emulator.configure({
      faults: [{
        endpoint: "object",
        pathIncludes: part,
        fault: { kind: "slow", chunkBytes: 256, delayMs: 500 },
      }],
    });

  // initdb: killed with three parts in canvas__courses__dap_new and the fourth on its way.
  slow("part-00003");
  const initdb = spawnDap(["initdb", ...courses], env(emulator.url, killed));
  await until(
    "three parts loaded",
    async () =>
      (await tableNames(server, "killed")).includes("canvas__courses__dap_new") &&
      await count(server, "killed", "canvas__courses__dap_new") >= 900,
  );
  initdb.kill("SIGKILL");
  assertEquals((await initdb.output()).code, 137);
  // As before (nothing), but for a stand-in no one sees, which the next run drops.
  assertEquals(await tableNames(server, "killed"), ["canvas__courses__dap_new", ...METADATA]);
  assertEquals(await syncRows(server, "killed"), []);
  emulator.emulator.configure({ faults: [] });
  await dap(["initdb", ...courses], env(emulator.url, killed));
  await dap(["initdb", ...courses], env(emulator.url, fresh));
  assertEquals(await contents(server, "killed"), await contents(server, "fresh"));

  // syncdb: killed while its changes are staged and a part is still on its way.
  emulator.emulator.configure({ dataAt: T1 + 10 * DAY_MS });
  const before = await contents(server, "killed");
  slow("part-00001");
  const syncdb = spawnDap(["syncdb", ...courses], env(emulator.url, killed));
  await emulator.emulator.waitFor(
    (e) => e.requests.some((r) => r.path.includes("part-00001") && r.path.includes("/objects/")),
    { timeoutMs: 30_000, description: "the slow part's download" },
  );
  await until(
    "the session to hold the table's lock",
    async () =>
      (await server.query<{ l: unknown }[]>(
        "SELECT IS_USED_LOCK('dap:killed.canvas__courses') l",
      ))[0]!.l !== null,
  );
  syncdb.kill("SIGKILL");
  assertEquals((await syncdb.output()).code, 137);
  assertEquals(await contents(server, "killed"), before);
  emulator.emulator.configure({ faults: [] });
  await dap(["syncdb", ...courses], env(emulator.url, killed));
  const later = await database(server, "later");
  await dap(["initdb", ...courses], env(emulator.url, later));
  assertEquals(await contents(server, "killed"), await contents(server, "later"));
});

Deno.test("Ctrl-C in the middle of initdb rolls back at once: exit 130, nothing left", async () => {
  await using server = await startMariadb();
  await using emulator = serveEmulator({ ...BASE, rows: 3000, rowsPerObject: 300 });
  emulator.emulator.configure({
    faults: [{
      endpoint: "object",
      pathIncludes: "part-00003",
      fault: { kind: "slow", chunkBytes: 256, delayMs: 500 },
    }],
  });
  const child = spawnDap(
    ["initdb", "--namespace", "canvas", "--table", "courses,users"],
    env(emulator.url, server.url),
  );
  await until(
    "parts loaded",
    async () =>
      (await tableNames(server, "dap")).includes("canvas__courses__dap_new") &&
      await count(server, "dap", "canvas__courses__dap_new") >= 900,
  );
  const started = performance.now();
  child.kill("SIGINT");
  const output = await child.output();
  assertEquals(output.code, 130, new TextDecoder().decode(output.stderr));
  assert(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
  assertEquals(await tableNames(server, "dap"), METADATA);
  assertEquals(await syncRows(server, "dap"), []);
  const locks = await server.query<{ l: unknown }[]>(
    "SELECT IS_USED_LOCK('dap:dap.canvas__courses') l",
  );
  assertEquals(locks, [{ l: null }]);
});

Deno.test("syncdb after the changes are gone says so; --reinit swaps a new snapshot in", async () => {
  await using server = await startMariadb();
  await using emulator = serveEmulator({ ...BASE, dataAt: T1 });
  await assertReinitRecovers({
    database: (name) => database(server, name),
    contents: (name) => contents(server, name),
  }, emulator);
});

Deno.test("mistakes: initdb of a kept table, syncdb of an unknown one, a wrong password, dropdb", async () => {
  await using server = await startMariadb();
  await using emulator = serveEmulator(BASE);
  const good = env(emulator.url, server.url);
  await dap(["initdb", "--namespace", "canvas", "--table", "courses,users"], good);

  await assertStateMistakes(emulator, server.url);

  await assertConnectionRefusals(emulator.url, {
    server,
    denied:
      `Cannot connect to the MySQL server at 127.0.0.1:${server.port}: Access denied for user 'dap'@'127.0.0.1' (using password: YES) [ER_ACCESS_DENIED_ERROR]`,
    unreachable:
      "Cannot connect to the MySQL server at 127.0.0.1:1: connection refused (is the server running and listening there?) [ECONNREFUSED]",
  });

  const dropped = await runDap(["dropdb", "--namespace", "canvas", "--table", "courses"], {
    DAP_CONNECTION_STRING: server.url,
  });
  assertEquals([dropped.code, dropped.stderr], [
    0,
    `canvas.courses: dropped from ${server.url.replace(/:[^:@]+@/, ":***@")}\n`,
  ]);
  assertEquals(await tableNames(server, "dap"), ["canvas__users", ...METADATA]);
  assertEquals(
    (await syncRows(server, "dap") as { source_table: string }[]).map((r) => r.source_table),
    ["users"],
  );
  const twice = await runDap(["dropdb", "--namespace", "canvas", "--table", "courses"], {
    DAP_CONNECTION_STRING: server.url,
  });
  assertEquals([twice.code, twice.stderr], [
    2,
    "error: Cannot dropdb canvas.courses: the database does not hold it\n",
  ]);
});
