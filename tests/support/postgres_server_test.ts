import postgres from "postgres";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { findPostgresBinDir, startPostgres } from "./postgres_server.ts";
import { assertServerGone } from "./assert_server_gone.ts";
import { isGone } from "./local_server.ts";

Deno.test("startPostgres() serves the test database to its role, with its password only", async () => {
  await using server = await startPostgres();
  assertEquals(server.host, "127.0.0.1");
  assertEquals([server.user, server.database], ["dap", "dap"]);
  assert(server.password !== undefined && server.url.includes(encodeURIComponent(server.password)));
  assertMatch(
    server.url,
    /^postgresql:\/\/dap:pw%3A[0-9a-f]{12}%40%2F%25%3F%23@127\.0\.0\.1:\d+\/dap$/,
  );

  const client = postgres(server.url, { max: 1 });
  try {
    const [row] = await client`select current_user as who, current_database() as db`;
    assertEquals({ ...row }, { who: "dap", db: "dap" });
    await client`create schema canvas`; // the role owns the database
  } finally {
    await client.end();
  }

  const [auth] = await server.sql`
    select left(rolpassword, 13) as method from pg_authid where rolname = 'dap'`;
  assertEquals(auth.method, "SCRAM-SHA-256");
  const wrong = postgres({ ...connection(server), password: "wrong" });
  try {
    const error = await wrong`select 1`.then(() => undefined, (e) => e);
    assertMatch(String(error), /password authentication failed for user "dap"/);
  } finally {
    await wrong.end();
  }
});

Deno.test("startPostgres() stores an md5 password when asked, and trusts the superuser when password is false", async () => {
  await using md5 = await startPostgres({
    passwordEncryption: "md5",
    user: "reader",
    database: "warehouse",
  });
  const [auth] = await md5
    .sql`select left(rolpassword, 3) as method from pg_authid where rolname = 'reader'`;
  assertEquals(auth.method, "md5");
  const client = postgres(md5.url, { max: 1 });
  try {
    assertEquals((await client`select current_database() as db`)[0].db, "warehouse");
  } finally {
    await client.end();
  }

  await using trusted = await startPostgres({ password: false });
  assertEquals(trusted.password, undefined);
  assertEquals(trusted.url, `postgresql://postgres@127.0.0.1:${trusted.port}/dap`);
  const [row] = await trusted.sql`select current_setting('fsync') as fsync`;
  assertEquals(row.fsync, "off");
});

Deno.test("stop() shuts the postmaster down by its pid and removes the data directory", async () => {
  const server = await startPostgres();
  await server.sql`create table t (id int primary key)`;
  const pidFile = await Deno.readTextFile(`${server.dataDir}/postmaster.pid`);
  assertEquals(Number(pidFile.split("\n")[0]), server.pid);
  await server.stop();
  await server.stop(); // idempotent
  await assertServerGone(server);
});

Deno.test("startPostgres() runs several servers side by side", async () => {
  const servers = await Promise.all([startPostgres(), startPostgres(), startPostgres()]);
  try {
    assertEquals(new Set(servers.map((server) => server.port)).size, 3);
    await Promise.all(
      servers.map((server, i) => server.sql.unsafe(`create table only_in_${i} ()`)),
    );
    for (const [i, server] of servers.entries()) {
      const tables = await server.sql`select tablename from pg_tables where schemaname = 'public'`;
      assertEquals(tables.map((row) => row.tablename), [`only_in_${i}`]);
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
});

Deno.test("findPostgresBinDir() says how to install PostgreSQL when there is none", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const error = await findPostgresBinDir(empty).then(() => undefined, (e) => e);
    assertMatch(String(error), /Cannot start PostgreSQL: no .*apt-get install -y postgresql/);
  } finally {
    await Deno.remove(empty);
  }
});

function connection(server: { host: string; port: number; user: string; database: string }) {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    database: server.database,
    max: 1,
  };
}

Deno.test("a server whose test process dies without stop() is shut down and removed by its watchdog", async () => {
  const script = `import { startPostgres } from "./tests/support/postgres_server.ts";
    const server = await startPostgres();
    console.log(JSON.stringify({ pid: server.pid, dataDir: server.dataDir }));
    Deno.exit(0);`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert(output.success);
  const { pid, dataDir } = JSON.parse(new TextDecoder().decode(output.stdout));
  const deadline = Date.now() + 20_000;
  while (!(await isGone(pid)) || await exists(dataDir)) {
    assert(Date.now() < deadline, `postmaster ${pid} or ${dataDir} outlived its test process`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
