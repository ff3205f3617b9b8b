import mysql from "mysql2/promise";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { findMariadb, startMariadb } from "./mariadb_server.ts";
import { assertServerGone } from "./assert_server_gone.ts";

Deno.test("startMariadb() serves the test database to its user, with its password only, over TCP", async () => {
  await using server = await startMariadb();
  assertEquals([server.host, server.user, server.database], ["127.0.0.1", "dap", "dap"]);
  assertMatch(server.url, /^mysql:\/\/dap:pw%3A[0-9a-f]{12}%40%2F%25%3F%23@127\.0\.0\.1:\d+\/dap$/);

  const client = await mysql.createConnection(server.url);
  try {
    const [rows] = await client.query<mysql.RowDataPacket[]>(
      "SELECT CURRENT_USER() AS who, DATABASE() AS db, @@character_set_database AS charset",
    );
    assertEquals({ ...rows[0] }, { who: "dap@%", db: "dap", charset: "utf8mb4" });
    await client.query("CREATE TABLE t (id BIGINT PRIMARY KEY)"); // the user owns the database
  } finally {
    await client.end();
  }

  for (const [user, password] of [["dap", "wrong"], ["root", ""]]) {
    const error = await mysql.createConnection({ ...tcp(server), user, password })
      .then((connection) => connection.end(), (e) => e);
    assertEquals(error?.code, "ER_ACCESS_DENIED_ERROR", `${user} must not log in over TCP`);
  }
  assertEquals(await server.query("SHOW TABLES"), [{ Tables_in_dap: "t" }]);
});

Deno.test("startMariadb() turns local_infile on, or off when asked", async () => {
  const [on, off] = await Promise.all([startMariadb(), startMariadb({ localInfile: false })]);
  try {
    assertEquals([on.localInfile, off.localInfile], [true, false]);
    assertEquals(await on.query("SELECT @@local_infile AS v, @@time_zone AS tz"), [{
      v: "1",
      tz: "+00:00",
    }]);
    assertEquals(await off.query("SELECT @@local_infile AS v"), [{ v: "0" }]);
    assert(on.port !== off.port);
  } finally {
    await Promise.all([on.stop(), off.stop()]);
  }
});

Deno.test("stop() shuts mariadbd down by its pid and removes the data directory", async () => {
  const server = await startMariadb({ user: "loader", database: "warehouse" });
  assertEquals(await server.query("SELECT DATABASE() AS db"), [{ db: "warehouse" }]);
  await server.stop();
  await server.stop(); // idempotent
  await assertServerGone(server);
});

Deno.test("findMariadb() says how to install MariaDB when there is none", async () => {
  const error = await findMariadb([]).then(() => undefined, (e) => e);
  assertMatch(String(error), /Cannot start MariaDB: .*apt-get install -y mariadb-server/);
});

function tcp(server: { host: string; port: number; database: string }) {
  return { host: server.host, port: server.port, database: server.database };
}
