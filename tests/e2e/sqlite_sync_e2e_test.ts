/**
 * initdb, syncdb and dropdb into SQLite, the embedded default, run as the
 * real CLI against the emulator whose data moves through time.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { assertReinitRecovers, assertStateMistakes } from "./db_sync_scenarios.ts";
import { demoEnv, runDap, spawnDap } from "./run_dap.ts";

const T1 = Date.UTC(2026, 10, 20, 8, 0, 0);
const T2 = T1 + 3 * 86_400_000 + 3_600_000;
const TABLES = ["courses", "users", "enrollments"];
const FAST = { rows: 300, rowsPerObject: 100, jobWaitingMs: 0, jobRunningMs: 0 };

async function database(): Promise<string> {
  return join(await Deno.makeTempDir({ prefix: "dap-sqlite-e2e-" }), "dap.db");
}

function dbArgs(command: string, path: string, tables = TABLES.join(","), namespace = "canvas") {
  return [
    command,
    "--namespace",
    namespace,
    "--table",
    tables,
    "--connection-string",
    `sqlite:///${path}`,
  ];
}

/** Every row of every data table, and the metadata rows, as plain values. */
function contents(path: string): Record<string, unknown[]> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const names = db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_\\_%' ESCAPE '\\' ORDER BY name",
    ).all().map((r) => String(r.name));
    const out: Record<string, unknown[]> = {};
    for (const name of names) {
      const statement = db.prepare(`SELECT * FROM "${name}" ORDER BY 1`);
      statement.setReadBigInts(true);
      out[name] = statement.all().map((r) => ({ ...r }));
    }
    return out;
  } finally {
    db.close();
  }
}

/** Sync rows without their ids (which follow the order tables finished in), by table. */
function withoutIds(rows: unknown[]): unknown[] {
  return rows.map((row) => {
    const { id: _id, ...rest } = row as Record<string, unknown>;
    return rest;
  }).sort((a, b) => String(a.source_table).localeCompare(String(b.source_table)));
}

Deno.test("initdb at T1 then syncdb to T2 equals initdb at T2, table for table, row for row", async () => {
  await using server = serveEmulator({ ...FAST, dataAt: T1 });
  const env = demoEnv(server.url);
  const synced = await database();
  const init = await runDap(dbArgs("initdb", synced), env);
  assertEquals(init.code, 0, init.stderr);
  server.emulator.configure({ dataAt: T2 });
  const sync = await runDap(dbArgs("syncdb", synced, "all"), env);
  assertEquals(sync.code, 0, sync.stderr);
  const fresh = await database();
  const reference = await runDap(dbArgs("initdb", fresh), env);
  assertEquals(reference.code, 0, reference.stderr);

  const a = contents(synced);
  const b = contents(fresh);
  assertEquals(Object.keys(a), [
    "canvas__courses",
    "canvas__enrollments",
    "canvas__users",
    "instructure_dap__database_version",
    "instructure_dap__table_sync",
  ]);
  for (const table of TABLES) {
    const name = `canvas__${table}`;
    assert(a[name]!.length > 200, `${name} has rows`);
    assertEquals(a[name], b[name], name);
  }
  assertEquals(a.instructure_dap__database_version, [{ version: 1n }]);
  assertEquals(
    withoutIds(a.instructure_dap__table_sync!),
    withoutIds(b.instructure_dap__table_sync!),
  );
  const row = withoutIds(a.instructure_dap__table_sync!)[0] as Record<string, unknown>;
  assertEquals(
    [
      row.source_namespace,
      row.source_table,
      row.timestamp,
      row.target_schema,
      row.target_table,
      row.schema_description_format,
    ],
    [
      "canvas",
      "courses",
      new Date(T2).toISOString().replace(".000Z", "Z"),
      null,
      "canvas__courses",
      "json",
    ],
  );
  assertEquals(typeof JSON.parse(String(row.schema_description)).properties.key, "object");
  assertMatch(sync.stderr, /canvas\.courses: \d+ rows, .* -> sqlite:\/\/\//);
});

Deno.test("a syncdb killed in the middle of its load leaves the previous state; a rerun completes", async () => {
  await using server = serveEmulator({
    ...FAST,
    rows: 3000,
    rowsPerObject: 50,
    dataAt: T1,
  });
  const env = demoEnv(server.url);
  const path = await database();
  assertEquals((await runDap(dbArgs("initdb", path, "courses"), env)).code, 0);
  const before = contents(path);
  server.emulator.configure({
    dataAt: T1 + 20 * 86_400_000,
    faults: [{
      endpoint: "object",
      pathIncludes: "part-00004",
      fault: { kind: "slow", chunkBytes: 64, delayMs: 200 },
    }],
  });
  const child = spawnDap(dbArgs("syncdb", path, "courses"), env);
  await server.emulator.waitFor((e) =>
    e.requests.some((r) => r.endpoint === "object" && r.path.includes("part-00004"))
  );
  // Atomicity holds whenever the kill lands; a moment lets the earlier parts reach the transaction.
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill("SIGKILL");
  const killed = await child.output();
  assertEquals(
    [killed.success, killed.signal],
    [false, "SIGKILL"],
    "the run was stopped, not done",
  );
  assertEquals(contents(path), before, "nothing of the killed run is visible");
  server.emulator.configure({ faults: [] });
  const rerun = await runDap(dbArgs("syncdb", path, "courses"), env);
  assertEquals(rerun.code, 0, rerun.stderr);
  const fresh = await database();
  assertEquals((await runDap(dbArgs("initdb", fresh, "courses"), env)).code, 0);
  assertEquals(contents(path).canvas__courses, contents(fresh).canvas__courses);
});

Deno.test("syncdb migrates a schema bump: the new column is added and filled", async () => {
  await using server = serveEmulator({ ...FAST, dataAt: T1, schemaBumpAt: T1 + 86_400_000 });
  const env = demoEnv(server.url);
  const path = await database();
  assertEquals((await runDap(dbArgs("initdb", path, "courses"), env)).code, 0);
  server.emulator.configure({ dataAt: T2 });
  const sync = await runDap(["--loglevel", "info", ...dbArgs("syncdb", path, "courses")], env);
  assertEquals(sync.code, 0, sync.stderr);
  assertStringIncludes(sync.stderr, "canvas.courses: added column schema_bump_note");
  const fresh = await database();
  assertEquals((await runDap(dbArgs("initdb", fresh, "courses"), env)).code, 0);
  const synced = contents(path);
  assertEquals(synced.canvas__courses, contents(fresh).canvas__courses);
  assert(
    synced.canvas__courses!.some((r) => (r as Record<string, unknown>).schema_bump_note !== null),
  );
  const row = synced.instructure_dap__table_sync![0] as Record<string, unknown>;
  assertEquals(
    row.schema_version,
    (contents(fresh).instructure_dap__table_sync![0] as Record<string, unknown>).schema_version,
  );
});

Deno.test("changes the API no longer keeps: syncdb explains how to rebuild, --reinit does it", async () => {
  await using server = serveEmulator({ ...FAST, dataAt: T1 });
  const paths = new Map<string, string>();
  await assertReinitRecovers({
    database: async (name) => {
      paths.set(name, await database());
      return `sqlite:///${paths.get(name)}`;
    },
    // as the other engines' targets compare them: sync rows without their ids
    contents: (name) => {
      const all = contents(paths.get(name)!);
      return Promise.resolve({
        ...all,
        instructure_dap__table_sync: withoutIds(all.instructure_dap__table_sync!),
      });
    },
  }, server);
});

Deno.test("dropdb removes the table and its sync row; all means what the database holds", async () => {
  await using server = serveEmulator({ ...FAST, dataAt: T1 });
  const path = await database();
  assertEquals((await runDap(dbArgs("initdb", path), demoEnv(server.url))).code, 0);
  const one = await runDap(dbArgs("dropdb", path, "users"), {});
  assertEquals([one.code, one.stderr], [0, `canvas.users: dropped from sqlite:///${path}\n`]);
  assertEquals(Object.keys(contents(path)).filter((n) => n.startsWith("canvas")), [
    "canvas__courses",
    "canvas__enrollments",
  ]);
  const rest = await runDap(dbArgs("dropdb", path, "all"), {});
  assertEquals(rest.code, 0, rest.stderr);
  assertEquals(contents(path).instructure_dap__table_sync, []);
  assertEquals(Object.keys(contents(path)).filter((n) => n.startsWith("canvas")), []);
});

Deno.test("bad input gets one line and exit 2: wrong command for the state, unknown schemes, no database", async () => {
  await using server = serveEmulator({ ...FAST, dataAt: T1 });
  const env = demoEnv(server.url);
  const path = await database();
  assertEquals((await runDap(dbArgs("initdb", path, "courses"), env)).code, 0);
  const cases: [string[], Record<string, string>, string][] = [
    [
      dbArgs("dropdb", path, "users"),
      {},
      "error: Cannot dropdb canvas.users: the database does not hold it\n",
    ],
    [
      [
        "initdb",
        "--namespace",
        "canvas",
        "--table",
        "courses",
        "--connection-string",
        "mssql://sa:Secret-9@h/db",
      ],
      env,
      "error: Cannot use mssql://sa:***@h/db: SQL Server is not supported yet; use postgresql://, mysql:// or sqlite:///path/file.db\n",
    ],
    [
      [
        "syncdb",
        "--namespace",
        "canvas",
        "--table",
        "all",
        "--connection-string",
        "oracle://u:Secret-9@h/db",
      ],
      env,
      "error: Cannot use connection string 'oracle://u:***@h/db': unknown scheme; use postgresql://, mysql:// or sqlite:///path/file.db\n",
    ],
    [
      ["dropdb", "--namespace", "canvas", "--table", "all"],
      {},
      "error: Cannot connect to a database: no connection string; pass --connection-string or set DAP_CONNECTION_STRING (e.g. sqlite:///dap.db)\n",
    ],
  ];
  await assertStateMistakes(server, `sqlite:///${path}`);
  for (const [args, runEnv, expected] of cases) {
    const run = await runDap(args, runEnv);
    assertEquals([run.code, run.stderr], [2, expected], args.join(" "));
  }
  const viaEnv = await runDap(["syncdb", "--namespace", "canvas", "--table", "all"], {
    ...env,
    DAP_CONNECTION_STRING: `sqlite:///${path}`,
  });
  assertEquals(viaEnv.code, 0, viaEnv.stderr);
});
