import { assertEquals, assertThrows } from "../support/assert.ts";
import { maskPassword, parseConnectionString } from "../../src/db/connection_string.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("parseConnectionString() reads server URLs with encoded credentials and ssl", () => {
  assertEquals(
    parseConnectionString("postgresql://dap:p%40ss%3Aword@db.example:6543/canvas?ssl=require"),
    {
      engine: "postgresql",
      display: "postgresql://dap:***@db.example:6543/canvas?ssl=require",
      host: "db.example",
      port: 6543,
      user: "dap",
      password: "p@ss:word",
      database: "canvas",
      ssl: "require",
    },
  );
  const mysql = parseConnectionString("mysql://root@127.0.0.1/dap");
  assertEquals([mysql.engine, mysql.port, mysql.password, mysql.display], [
    "mysql",
    3306,
    undefined,
    "mysql://root@127.0.0.1/dap",
  ]);
  assertEquals(parseConnectionString("postgres://u:p@h/d").port, 5432);
});

Deno.test("parseConnectionString() reads SQLite paths as SQLAlchemy does", () => {
  assertEquals(parseConnectionString("sqlite:///data/canvas.db").path, "data/canvas.db");
  assertEquals(
    parseConnectionString("sqlite:////var/lib/dap/canvas.db").path,
    "/var/lib/dap/canvas.db",
  );
  assertEquals(parseConnectionString("sqlite:canvas.db").path, "canvas.db");
  assertThrows(() => parseConnectionString("sqlite:///"), UsageError, "it names no database file");
});

Deno.test("parseConnectionString() refuses what it cannot use, never showing the password", () => {
  const mssql = assertThrows(
    () => parseConnectionString("mssql://sa:Secret123@host/db"),
    UsageError,
    "Cannot use mssql://sa:***@host/db: SQL Server is not supported yet; use postgresql://, mysql:// or sqlite:///path/file.db",
  );
  assertEquals(mssql.message.includes("Secret123"), false);
  assertThrows(
    () => parseConnectionString("oracle://u:Secret123@h/d"),
    UsageError,
    "Cannot use connection string 'oracle://u:***@h/d': unknown scheme; use postgresql://, mysql:// or sqlite:///path/file.db",
  );
  assertThrows(
    () => parseConnectionString("postgresql://u:pw@host"),
    UsageError,
    "expected postgresql://user:password@host:port/database",
  );
  assertThrows(
    () => parseConnectionString("postgresql://u:pw@h/d?ssl=maybe"),
    UsageError,
    "ssl must be one of disable, prefer",
  );
  assertEquals(maskPassword("mysql://user:a@b@host/db"), "mysql://user:***@host/db");
});
