/**
 * What the MySQL/MariaDB destination relies on from the npm `mysql2` driver
 * (promise API) under Deno, proven against a real MariaDB: LOAD DATA LOCAL
 * INFILE fed from a web stream through infileStreamFactory, UTC datetime(6),
 * utf8mb4, the batched INSERT fallback when the server refuses local_infile,
 * DDL's implicit commit, and errors that never carry the password.
 */
import mysql from "mysql2/promise";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import { inspect } from "node:util";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { type MariadbServer, startMariadb } from "../support/mariadb_server.ts";

// DAP's TSV (COPY text format) as served: \N, backslash escapes, true/false, RFC 3339 with Z.
const ROWS = [
  '1\tAlgebra 😀\tavailable\t2024-01-02T03:04:05.123456Z\ttrue\t{"a": [1, 2]}\n',
  "2\ttab\\there, new\\nline, back\\\\slash\t__dap_unspecified__\t2024-01-02T03:04:05Z\tfalse\t\\N\n",
  '3\t\\N\tdeleted\t\\N\t\\N\t{"big": 12345678901234567890}\n',
];

const EXPECTED = [
  {
    id: "1",
    name: "Algebra 😀",
    workflow_state: "available",
    created_at: "2024-01-02 03:04:05.123456",
    is_public: 1,
    settings: '{"a": [1, 2]}',
  },
  {
    id: "2",
    name: "tab\there, new\nline, back\\slash",
    workflow_state: "__dap_unspecified__",
    created_at: "2024-01-02 03:04:05.000000",
    is_public: 0,
    settings: null,
  },
  {
    id: "3",
    name: null,
    workflow_state: "deleted",
    created_at: null,
    is_public: null,
    settings: '{"big": 12345678901234567890}', // MariaDB's json is text: big numbers stay exact
  },
];

const CREATE_COURSES = `CREATE TABLE canvas__courses (
  id bigint NOT NULL,
  name varchar(255),
  workflow_state ENUM('__dap_unspecified__', 'available', 'deleted') NOT NULL,
  created_at datetime(6),
  is_public tinyint(1),
  settings json,
  CONSTRAINT pk_courses PRIMARY KEY (id)) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`;

// LOCAL without REPLACE means IGNORE: duplicate keys skipped and bad values stored as warnings.
// REPLACE upserts, and under strict sql_mode a bad value fails the statement. Booleans and the
// Z of timestamps need a SET: 'true' into tinyint(1) is 0 with a warning, and Z is refused.
const LOAD_COURSES = `LOAD DATA LOCAL INFILE 'dap.tsv' REPLACE INTO TABLE canvas__courses
  CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'
  (id, name, workflow_state, @created_at, @is_public, settings)
  SET created_at = REPLACE(@created_at, 'Z', ''), is_public = (@is_public = 'true')`;

/** A Node Readable of Buffers from text chunks, through a web stream: mysql2 calls Buffer#copy on each chunk, so a Uint8Array crashes it. */
function infile(chunks: Iterable<string>): Readable {
  const web = ReadableStream.from(chunks).pipeThrough(new TextEncoderStream());
  return Readable.from((async function* () {
    for await (const bytes of web) {
      yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  })());
}

async function connect(server: MariadbServer): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    uri: server.url,
    charset: "utf8mb4_general_ci",
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
  });
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

async function selectCourses(server: MariadbServer): Promise<unknown[]> {
  const rows = await server.query<Record<string, unknown>[]>(
    "SELECT id, name, workflow_state, created_at, is_public, settings FROM canvas__courses ORDER BY id",
  );
  return rows.map((row) => ({ ...row }));
}

Deno.test("mysql2 LOAD DATA LOCAL INFILE from a web stream loads DAP's TSV in one transaction", async () => {
  await using server = await startMariadb();
  const connection = await connect(server);
  try {
    await connection.query(CREATE_COURSES);
    await connection.beginTransaction();
    const [result] = await connection.query<mysql.ResultSetHeader>({
      sql: LOAD_COURSES,
      infileStreamFactory: () => infile(ROWS),
    });
    assertEquals([result.affectedRows, result.warningStatus], [3, 0]);
    assertEquals(await server.query("SELECT COUNT(*) AS n FROM canvas__courses"), [{ n: "0" }]);
    await connection.commit();
    assertEquals(await selectCourses(server), EXPECTED);
  } finally {
    await connection.end();
  }
});

Deno.test("mysql2 LOAD DATA LOCAL REPLACE upserts and fails on a bad value; plain LOCAL only warns", async () => {
  await using server = await startMariadb();
  const connection = await connect(server);
  try {
    await connection.query(CREATE_COURSES);
    await connection.query({ sql: LOAD_COURSES, infileStreamFactory: () => infile(ROWS) });
    const update = "1\tGeometry\tdeleted\t2025-05-06T07:08:09.5Z\tfalse\t{}\n";
    await connection.query({ sql: LOAD_COURSES, infileStreamFactory: () => infile([update]) });
    assertEquals((await selectCourses(server))[0], {
      ...EXPECTED[0],
      name: "Geometry",
      workflow_state: "deleted",
      created_at: "2025-05-06 07:08:09.500000",
      is_public: 0,
      settings: "{}",
    });

    await connection.beginTransaction();
    const bad = "4\tnew\tnot_a_state\t\\N\t\\N\t\\N\n";
    const error = await connection.query({
      sql: LOAD_COURSES,
      infileStreamFactory: () => infile([ROWS[0], bad]),
    }).then(() => undefined, (e) => e);
    await connection.rollback();
    assertEquals([error?.code, error?.errno], ["WARN_DATA_TRUNCATED", 1265]);
    assertMatch(error.message, /Data truncated for column 'workflow_state' at row 2/);

    const ignore = LOAD_COURSES.replace(" REPLACE INTO", " INTO");
    const [result] = await connection.query<mysql.ResultSetHeader>({
      sql: ignore,
      infileStreamFactory: () => infile([ROWS[1].replace("2\t", "1\t"), bad]),
    });
    assertMatch(result.info, /Records: 2 {2}Deleted: 0 {2}Skipped: 1 {2}Warnings: 2/);
    assertEquals(
      await server.query("SELECT id, workflow_state FROM canvas__courses WHERE id IN (1, 4)"),
      [{ id: "1", workflow_state: "deleted" }, { id: "4", workflow_state: "" }], // '' is enum index 0
    );
  } finally {
    await connection.end();
  }
});

Deno.test("mysql2 with local_infile off: LOAD DATA LOCAL is refused, batched INSERT ... ON DUPLICATE KEY UPDATE loads the rows", async () => {
  await using server = await startMariadb({ localInfile: false });
  const connection = await connect(server);
  try {
    await connection.query(CREATE_COURSES);
    const error = await connection.query({
      sql: LOAD_COURSES,
      infileStreamFactory: () => infile(ROWS),
    })
      .then(() => undefined, (e) => e);
    // MariaDB's ER_LOAD_INFILE_CAPABILITY_DISABLED; mysql2 knows no name for it, MySQL says 1148/3948.
    assertEquals(error?.errno, 4166);
    assertMatch(error.message, /local infile capability/);

    const values = EXPECTED.map((row) => [
      row.id,
      row.name,
      row.workflow_state,
      row.created_at,
      row.is_public,
      row.settings,
    ]);
    await connection.beginTransaction();
    // VALUES(col), not MySQL 8.0.20's row alias: MariaDB has no alias, MySQL still takes VALUES().
    await connection.query(
      `INSERT INTO canvas__courses (id, name, workflow_state, created_at, is_public, settings) VALUES ?
       ON DUPLICATE KEY UPDATE name = VALUES(name), workflow_state = VALUES(workflow_state),
       created_at = VALUES(created_at), is_public = VALUES(is_public), settings = VALUES(settings)`,
      [values],
    );
    await connection.commit();
    assertEquals(await selectCourses(server), EXPECTED);
  } finally {
    await connection.end();
  }
});

Deno.test("MariaDB commits implicitly on DDL: a CREATE TABLE inside a transaction cannot be rolled back", async () => {
  await using server = await startMariadb();
  const connection = await connect(server);
  try {
    await connection.query("CREATE TABLE before_ddl (id int PRIMARY KEY)");
    await connection.beginTransaction();
    await connection.query("INSERT INTO before_ddl VALUES (1)");
    await connection.query(CREATE_COURSES);
    await connection.rollback();
    assertEquals(await server.query("SELECT id FROM before_ddl"), [{ id: 1 }]);
    assertEquals(await server.query("SHOW TABLES LIKE 'canvas__courses'"), [
      { "Tables_in_dap (canvas__courses)": "canvas__courses" },
    ]);
  } finally {
    await connection.end();
  }
});

Deno.test("mysql2 errors name the user, never the password", async () => {
  await using server = await startMariadb();
  const wrong = server.url.replace(/:[^:@]+@/, ":not-the-password@");
  const refused = server.url.replace(`:${server.port}/`, ":1/");
  for (const url of [wrong, refused]) {
    const error = await mysql.createConnection(url).then((c) => c.end(), (e) => e);
    assert(error instanceof Error);
    for (const text of [String(error), inspect(error, { depth: 5 }), JSON.stringify(error)]) {
      assert(!text.includes(server.password), text);
      assert(!text.includes("not-the-password"), text);
    }
  }
});

Deno.test("mysql2 over TLS under Deno: encrypts without verification, verifies with the CA", async () => {
  await using server = await startMariadb({ tls: true });
  const ca = await Deno.readTextFile(server.certFile!);
  for (const ssl of [{ rejectUnauthorized: false }, { ca }]) {
    const connection = await mysql.createConnection({ uri: server.url, ssl });
    try {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        "SHOW SESSION STATUS LIKE 'Ssl_version'",
      );
      assertMatch(String(rows[0].Value), /^TLSv1\.[23]$/);
    } finally {
      await connection.end();
    }
  }
  const error = await mysql.createConnection({ uri: server.url, ssl: {} }).then(
    (connection) => connection.end(),
    (e) => e,
  );
  assertEquals(error?.code, "HANDSHAKE_SSL_ERROR"); // ssl: {} verifies against the system CAs
  assertMatch(error.message, /self-signed certificate/);
});

Deno.test("MariaDB LOAD DATA knows no \\f or \\v escape (DAP's TSV has both): they arrive as the letters f and v", async () => {
  await using server = await startMariadb();
  const connection = await connect(server);
  try {
    await connection.query("CREATE TABLE t (id int, s text) CHARACTER SET utf8mb4");
    await connection.query({
      sql: `LOAD DATA LOCAL INFILE 'dap.tsv' INTO TABLE t CHARACTER SET utf8mb4
        FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'`,
      infileStreamFactory: () => infile(["1\ta\\bb\\fc\\vd\\re\\nf\\tg\\\\h\n"]),
    });
    // \b \r \n \t \\ decode as in PostgreSQL; \f and \v must be rewritten before loading.
    assertEquals(await server.query("SELECT s FROM t"), [{ s: "a\bbfcvd\re\nf\tg\\h" }]);
  } finally {
    await connection.end();
  }
});
