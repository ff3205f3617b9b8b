/**
 * A throwaway MariaDB (or MySQL) server for tests: the real mariadbd from the
 * machine, a fresh data directory in a temp dir (copied from a template made
 * once by mariadb-install-db), its own socket, 127.0.0.1 on a free port, run
 * as the `mysql` account when the tests run as root. Grants are on: root logs
 * in without a password over the socket only; the test database belongs to a
 * user that gives its password over TCP. `local_infile` is on unless asked
 * otherwise, so LOAD DATA LOCAL INFILE and its fallback can both be tested.
 * Stop it with `await using`.
 */
import mysql from "mysql2/promise";
import { join } from "node:path";
import {
  cachedTemplate,
  copyTree,
  freePort,
  giveTo,
  guardServer,
  isGone,
  isRoot,
  lookupAccount,
  makeCertificate,
  makePassword,
  makeServerDir,
  readIfExists,
  run,
  SERVER_TIMEOUT_MS,
  shellQuote,
  stopPid,
  waitFor,
} from "./local_server.ts";

/** Options of startMariadb(). */
export interface StartMariadbOptions {
  /** The user that owns the test database and logs in with `password` over TCP. @default "dap" */
  user?: string;
  /** The test database (utf8mb4). @default "dap" */
  database?: string;
  /** The user's password. @default a random one that needs URL-encoding ("pw:<hex>@/%?#") */
  password?: string;
  /** The server's local_infile: false makes LOAD DATA LOCAL INFILE fail (error 1148 / 4166). @default true */
  localInfile?: boolean;
  /** Serve TLS too, with a fresh self-signed certificate for 127.0.0.1 (see `certFile`). @default false */
  tls?: boolean;
  /** More mariadbd options, e.g. ["--sql-mode=ANSI_QUOTES"]. @default [] */
  serverArgs?: string[];
}

/** A running server; `stop()` (or leaving an `await using` block) shuts it down and deletes its files. */
export interface MariadbServer extends AsyncDisposable {
  /** mysql://user:password@127.0.0.1:port/database, the password URL-encoded. */
  readonly url: string;
  /** Always "127.0.0.1". */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password: string;
  /** Whether the server allows LOAD DATA LOCAL INFILE. */
  readonly localInfile: boolean;
  readonly dataDir: string;
  /** The server's unix socket, where root logs in without a password. */
  readonly socket: string;
  /** The server's error log. */
  readonly logFile: string;
  /** With `tls`, the server's self-signed certificate (PEM), to use as the CA. */
  readonly certFile?: string;
  /** E.g. "10.11.19-MariaDB-0+deb12u1". */
  readonly version: string;
  /** The server's pid. */
  readonly pid: number;
  /**
   * Runs one statement as root in `database` over the socket (session time
   * zone +00:00; dates, datetimes, JSON and big integers come back as strings), for
   * assertions; the connection is closed by stop().
   */
  query<T = mysql.RowDataPacket[]>(sql: string, values?: unknown[]): Promise<T>;
  /** Normal shutdown (SIGTERM to the pid in its pid file), waits until it is gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Where mariadbd and mariadb-install-db are looked for, besides $PATH. */
const SEARCH_DIRS = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];
// Bump when what installDatabase() writes changes: cached templates then rebuild.
const TEMPLATE_FORMAT = 1;
const ACCOUNT = "mysql";
// Small redo log: the template copies in 30 ms instead of 100 MB per server.
const INNODB_ARGS = ["--innodb-log-file-size=8M", "--innodb-buffer-pool-size=64M"];

/** Starts a fresh MariaDB server (about 0.5 s once the data directory template is cached). */
export async function startMariadb(options: StartMariadbOptions = {}): Promise<MariadbServer> {
  const { server, installDb } = await findMariadb();
  const account = isRoot() ? await requireMysqlAccount() : undefined;
  const version = await serverVersion(server);
  const templateName = `dap-test-mariadb-${TEMPLATE_FORMAT}-${version}-uid${Deno.uid()}`;
  const template = await cachedTemplate(templateName, {
    account,
    required: ["data/ibdata1", "data/ib_logfile0", "data/mysql/global_priv.frm"],
    build: (dir) => installDatabase(installDb, join(dir, "data"), account),
  });
  return await startFromTemplate(join(template, "data"), server, account, version, options);
}

/** The server and install-db programs (MariaDB's names first, then MySQL's); throws saying how to install them. */
export async function findMariadb(
  dirs: string[] = [...SEARCH_DIRS, ...(Deno.env.get("PATH") ?? "").split(":")],
): Promise<{ server: string; installDb: string }> {
  const server = await findProgram(["mariadbd", "mysqld"], dirs);
  const installDb = await findProgram(["mariadb-install-db", "mysql_install_db"], dirs);
  if (server === undefined || installDb === undefined) {
    throw new Error(
      "Cannot start MariaDB: no mariadbd/mysqld and mariadb-install-db/mysql_install_db on this " +
        "machine (install them: apt-get update && apt-get install -y mariadb-server)",
    );
  }
  return { server, installDb };
}

async function findProgram(names: string[], dirs: string[]): Promise<string | undefined> {
  for (const name of names) {
    for (const dir of dirs.filter((dir) => dir !== "")) {
      try {
        const info = await Deno.stat(join(dir, name));
        if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return join(dir, name);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }
  return undefined;
}

async function requireMysqlAccount(): Promise<string> {
  if (await lookupAccount(ACCOUNT) === undefined) {
    throw new Error(
      "Cannot start MariaDB as root: there is no 'mysql' account to run it as " +
        "(the Debian package creates it; or run the tests as an unprivileged user)",
    );
  }
  return ACCOUNT;
}

const versions = new Map<string, Promise<string>>();

function serverVersion(server: string): Promise<string> {
  let version = versions.get(server);
  if (version === undefined) {
    // "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)"
    version = run(server, ["--version"], { what: "ask mariadbd its version" })
      .then((text) => text.match(/Ver (\S+)/)?.[1]?.replace(/[^\w.+-]/g, "") ?? "unknown");
    versions.set(server, version);
  }
  return version;
}

async function installDatabase(
  installDb: string,
  dataDir: string,
  account?: string,
): Promise<void> {
  await run(installDb, [
    "--no-defaults", // never /etc/mysql/my.cnf: its socket, port and datadir are the system server's
    `--datadir=${dataDir}`,
    "--auth-root-authentication-method=normal", // root without a password (socket only, see below)
    "--skip-test-db",
    "--skip-name-resolve",
    ...INNODB_ARGS,
  ], { account, what: "create a MariaDB data directory (mariadb-install-db)" });
}

/** The server did not come up; the message carries its log. */
class LaunchError extends Error {}

class PortClash extends Error {}

async function startFromTemplate(
  template: string,
  server: string,
  account: string | undefined,
  version: string,
  options: StartMariadbOptions,
): Promise<MariadbServer> {
  const tempDir = await makeServerDir("dap-test-mariadb-");
  let pid: number | undefined;
  try {
    await giveTo(tempDir, account);
    await copyTree(template, join(tempDir, "data"));
    const tls = options.tls ? await makeCertificate(tempDir, account) : undefined;
    const tlsArgs = tls ? [`--ssl-cert=${tls.certFile}`, `--ssl-key=${tls.keyFile}`] : [];
    let port = 0;
    for (let attempt = 1; pid === undefined; attempt++) {
      port = freePort();
      try {
        pid = await launch(server, tempDir, port, account, options, tlsArgs);
      } catch (error) {
        if (!(error instanceof PortClash) || attempt >= 5) throw error;
      }
    }
    await guardServer(pid, "TERM", tempDir);
    return await createUser({ tempDir, port, pid, version, certFile: tls?.certFile }, options);
  } catch (error) {
    if (pid !== undefined) await stopPid(pid, "SIGKILL");
    await Deno.remove(tempDir, { recursive: true }).catch(() => {});
    throw error;
  }
}

function paths(tempDir: string) {
  return {
    dataDir: join(tempDir, "data"),
    socket: join(tempDir, "mysqld.sock"),
    pidFile: join(tempDir, "mariadbd.pid"),
    logFile: join(tempDir, "mariadbd.log"),
  };
}

/** Starts mariadbd in the background through /bin/sh, then watches its error log until it is ready. */
async function launch(
  server: string,
  tempDir: string,
  port: number,
  account: string | undefined,
  options: StartMariadbOptions,
  tlsArgs: string[],
): Promise<number> {
  const { dataDir, socket, pidFile, logFile } = paths(tempDir);
  await Deno.remove(logFile).catch(() => {});
  const args = [
    "--no-defaults",
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    "--bind-address=127.0.0.1",
    `--pid-file=${pidFile}`,
    `--log-error=${logFile}`,
    `--tmpdir=${tempDir}`,
    "--skip-name-resolve",
    `--local-infile=${options.localInfile === false ? 0 : 1}`,
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_general_ci",
    "--skip-log-bin",
    // The test equivalent of PostgreSQL's fsync=off.
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--sync-binlog=0",
    "--innodb-buffer-pool-load-at-startup=0",
    "--innodb-buffer-pool-dump-at-shutdown=0",
    ...INNODB_ARGS,
    ...tlsArgs,
    ...(options.serverArgs ?? []),
  ];
  // mariadbd does not daemonize itself: the shell puts it in the background and exits.
  const script = `${[server, ...args].map(shellQuote).join(" ")} </dev/null >/dev/null 2>&1 &`;
  await run("sh", ["-c", script], { account, what: "start mariadbd" });
  return await waitFor(
    async () => {
      const log = await readIfExists(logFile);
      const pid = Number((await readIfExists(pidFile)).trim()) || undefined;
      if (/ready for connections/.test(log) && pid !== undefined) return pid;
      if (/Address already in use/.test(log)) {
        await waitForExit(pid);
        throw new PortClash(`Cannot start MariaDB: port ${port} is taken`);
      }
      if (/\[ERROR\] Aborting|\[ERROR\] .*(mariadbd|mysqld): /.test(log)) {
        await waitForExit(pid);
        throw new LaunchError(`Cannot start MariaDB on port ${port}:\n${log}`);
      }
      return undefined;
    },
    SERVER_TIMEOUT_MS,
    `MariaDB to accept connections on port ${port}`,
  ).catch(async (error) => {
    if (error instanceof PortClash || error instanceof LaunchError) throw error;
    const log = await readIfExists(logFile);
    throw new LaunchError(`${error.message}; its log:\n${log}`, { cause: error });
  });
}

async function waitForExit(pid: number | undefined): Promise<void> {
  if (pid !== undefined) {
    await waitFor(
      async () => await isGone(pid) || undefined,
      SERVER_TIMEOUT_MS,
      `mariadbd ${pid} to exit`,
    );
  }
}

interface Started {
  tempDir: string;
  port: number;
  pid: number;
  version: string;
  certFile?: string;
}

async function createUser(started: Started, options: StartMariadbOptions): Promise<MariadbServer> {
  const { tempDir } = started;
  const user = options.user ?? "dap";
  const database = options.database ?? "dap";
  const password = options.password ?? makePassword();
  const root = await mysql.createConnection({ socketPath: paths(tempDir).socket, user: "root" });
  try {
    // Anonymous users would shadow `user` for some hosts, and root must not log in over TCP.
    await root.query(
      "DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost')",
    );
    await root.query("DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost'");
    await root.query(
      `CREATE DATABASE ${ident(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
    );
    await root.query("CREATE USER ?@'%' IDENTIFIED BY ?", [user, password]);
    await root.query(`GRANT ALL PRIVILEGES ON ${ident(database)}.* TO ?@'%'`, [user]);
    await root.query("FLUSH PRIVILEGES");
  } finally {
    await root.end();
  }
  return makeServer({ ...started, user, database, password, options });
}

function makeServer(
  fields: Started & {
    user: string;
    database: string;
    password: string;
    options: StartMariadbOptions;
  },
): MariadbServer {
  const { tempDir, port, pid, user, database, password } = fields;
  const { dataDir, socket, pidFile, logFile } = paths(tempDir);
  const host = "127.0.0.1";
  let admin: Promise<mysql.Connection> | undefined;
  const connect = () =>
    admin ??= mysql.createConnection({
      socketPath: socket,
      user: "root",
      database,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      jsonStrings: true,
    }).then(async (connection) => {
      await connection.query("SET time_zone = '+00:00'");
      return connection;
    });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      if (admin !== undefined) await (await admin.catch(() => undefined))?.end().catch(() => {});
      const pidText = (await readIfExists(pidFile)).trim();
      // SIGTERM = normal shutdown
      await stopPid(pidText === "" ? pid : Number(pidText), "SIGTERM", { pidFile });
      await Deno.remove(tempDir, { recursive: true });
    })();
  return {
    url: `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${
      encodeURIComponent(database)
    }`,
    host,
    port,
    user,
    database,
    password,
    localInfile: fields.options.localInfile !== false,
    dataDir,
    socket,
    logFile,
    certFile: fields.certFile,
    version: fields.version,
    pid,
    async query<T>(sql: string, values?: unknown[]): Promise<T> {
      const [rows] = await (await connect()).query(sql, values);
      return rows as T;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function ident(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}
