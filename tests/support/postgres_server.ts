/**
 * A throwaway PostgreSQL server for tests: the real binaries from
 * /usr/lib/postgresql/<version>/bin, a fresh data directory in a temp dir,
 * 127.0.0.1 on a free port, fsync off. The superuser `postgres` logs in
 * without a password (trust); the test database belongs to a role that must
 * give its password over TCP (md5 rule; scram-sha-256 unless asked), so tests
 * can prove a password never shows in output. Each server is its own
 * cluster: tests may start several at once. Stop it with `await using`.
 */
import postgres from "postgres";
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

/** Where Debian puts each PostgreSQL version's server binaries. */
export const POSTGRES_ROOT = "/usr/lib/postgresql";

/** Options of startPostgres(). */
export interface StartPostgresOptions {
  /** Owner of the test database, who logs in with `password`. @default "dap" */
  user?: string;
  /** The test database. @default "dap" */
  database?: string;
  /**
   * The role's password; `false` makes `user` the trusted superuser `postgres`
   * with no password. @default a random one that needs URL-encoding ("pw:<hex>@/%?#")
   */
  password?: string | false;
  /** How the role's password is stored, so decides the SASL/MD5 exchange. @default "scram-sha-256" */
  passwordEncryption?: "scram-sha-256" | "md5";
  /** Serve TLS too, with a fresh self-signed certificate for 127.0.0.1 (see `certFile`). @default false */
  tls?: boolean;
  /** Extra server settings, passed as `-c name=value`. @default {} */
  settings?: Record<string, string>;
  /** A directory holding initdb, pg_ctl and postgres. @default the newest under /usr/lib/postgresql */
  binDir?: string;
}

/** A running server; `stop()` (or leaving an `await using` block) shuts it down and deletes its files. */
export interface PostgresServer extends AsyncDisposable {
  /** postgresql://user:password@127.0.0.1:port/database, the password URL-encoded. */
  readonly url: string;
  /** The superuser's URL (trust, no password) for the same database. */
  readonly superuserUrl: string;
  /** Always "127.0.0.1". */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The role's password, undefined with `password: false`. */
  readonly password?: string;
  /** The cluster's data directory (postgresql.conf, postmaster.pid...). */
  readonly dataDir: string;
  /** The server's log file. */
  readonly logFile: string;
  /** With `tls`, the server's self-signed certificate (PEM), to use as the CA for verify-full. */
  readonly certFile?: string;
  /** E.g. "15.18". */
  readonly version: string;
  /** The postmaster's pid. */
  readonly pid: number;
  /** A postgres.js client, connected on first use as the superuser to `database`, for assertions; ended by stop(). */
  readonly sql: postgres.Sql;
  /** Fast shutdown (SIGINT to the postmaster), waits until it is gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";
// Bump when what initCluster() writes changes: cached templates then rebuild.
const TEMPLATE_FORMAT = 2;

/** Starts a fresh PostgreSQL server (about 0.5 s once the data directory template is cached). */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? await findPostgresBinDir();
  const account = isRoot() ? await requirePostgresAccount() : undefined;
  const version = await postgresVersion(binDir);
  const templateName = `dap-test-postgres-${TEMPLATE_FORMAT}-${version}-uid${Deno.uid()}`;
  const template = await cachedTemplate(templateName, {
    account,
    required: ["data/PG_VERSION", "data/global/pg_control", "data/base/1"],
    build: (dir) => initCluster(binDir, join(dir, "data"), account),
  });
  return await startFromTemplate(join(template, "data"), binDir, account, version, options);
}

/** The newest /usr/lib/postgresql/<version>/bin that has a postgres binary; throws saying how to install one. */
export async function findPostgresBinDir(root = POSTGRES_ROOT): Promise<string> {
  const versions: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (await isFile(join(root, entry.name, "bin", "postgres"))) versions.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (versions.length === 0) {
    throw new Error(
      `Cannot start PostgreSQL: no ${root}/<version>/bin/postgres on this machine ` +
        "(install it: apt-get update && apt-get install -y postgresql)",
    );
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return join(root, versions[0], "bin");
}

async function requirePostgresAccount(): Promise<string> {
  if (await lookupAccount(SUPERUSER) === undefined) {
    throw new Error(
      "Cannot start PostgreSQL as root: there is no 'postgres' account to run it as " +
        "(the Debian package creates it; or run the tests as an unprivileged user)",
    );
  }
  return SUPERUSER;
}

const versions = new Map<string, Promise<string>>();

function postgresVersion(binDir: string): Promise<string> {
  let version = versions.get(binDir);
  if (version === undefined) {
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "15.18"
    version = run(join(binDir, "postgres"), ["--version"], { what: "ask postgres its version" })
      .then((text) => text.match(/\) (\d+(?:\.\d+)*)/)?.[1] ?? "unknown");
    versions.set(binDir, version);
  }
  return version;
}

async function initCluster(binDir: string, dataDir: string, account?: string): Promise<void> {
  await run(join(binDir, "initdb"), [
    ...["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
    ...["--no-sync", "--no-instructions", "--wal-segsize=1"],
  ], { account, what: "create a PostgreSQL cluster (initdb)" });
  // Trust for the superuser, a password for everybody else over TCP. "md5"
  // also accepts a scram-sha-256 password, with the SCRAM exchange.
  await Deno.writeTextFile(
    join(dataDir, "pg_hba.conf"),
    [
      "local all all trust",
      `host all ${SUPERUSER} 127.0.0.1/32 trust`,
      "host all all 127.0.0.1/32 md5",
      "",
    ].join("\n"),
  );
}

/** The server did not come up; the message carries its log. */
class LaunchError extends Error {}

class PortClash extends Error {}

async function startFromTemplate(
  template: string,
  binDir: string,
  account: string | undefined,
  version: string,
  options: StartPostgresOptions,
): Promise<PostgresServer> {
  const tempDir = await makeServerDir("dap-test-postgres-");
  const dataDir = join(tempDir, "data");
  let pid: number | undefined;
  try {
    await giveTo(tempDir, account);
    await copyTree(template, dataDir);
    const tls = options.tls ? await makeCertificate(tempDir, account) : undefined;
    const settings = {
      ...(tls && { ssl: "on", ssl_cert_file: tls.certFile, ssl_key_file: tls.keyFile }),
      ...options.settings,
    };
    let port = 0;
    for (let attempt = 1; pid === undefined; attempt++) {
      port = freePort();
      try {
        pid = await launch(binDir, tempDir, port, account, settings);
      } catch (error) {
        if (!(error instanceof PortClash) || attempt >= 5) throw error;
      }
    }
    await guardServer(pid, "INT", tempDir);
    return await createRole({ tempDir, port, pid, version, certFile: tls?.certFile }, options);
  } catch (error) {
    if (pid !== undefined) await stopPid(pid, "SIGQUIT");
    await Deno.remove(tempDir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** Starts the postmaster with pg_ctl without its 100 ms polling, then watches postmaster.pid. */
async function launch(
  binDir: string,
  tempDir: string,
  port: number,
  account: string | undefined,
  settings: Record<string, string>,
): Promise<number> {
  const dataDir = join(tempDir, "data");
  const logFile = join(tempDir, "postgres.log");
  await Deno.remove(logFile).catch(() => {});
  const all: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    ...settings,
  };
  // pg_ctl hands -o to /bin/sh: quote every word.
  const serverArgs = ["-p", String(port), "-k", tempDir]
    .concat(Object.entries(all).flatMap(([name, value]) => ["-c", `${name}=${value}`]))
    .map(shellQuote).join(" ");
  await run(join(binDir, "pg_ctl"), [
    "-D",
    dataDir,
    "-l",
    logFile,
    "-W",
    "-s",
    "-o",
    serverArgs,
    "start",
  ], {
    account,
    what: "start PostgreSQL (pg_ctl start)",
  });
  return await waitFor(
    async () => {
      const status = (await readIfExists(join(dataDir, "postmaster.pid"))).split("\n");
      if (status[7]?.trim() === "ready") return Number(status[0]);
      const log = await readIfExists(logFile);
      if (/could not bind IPv4 address[^\n]*Address already in use/.test(log)) {
        await waitForExit(status[0]);
        throw new PortClash(`Cannot start PostgreSQL: port ${port} is taken`);
      }
      if (/^\S+ \S+ \S+ \[\d+\] (FATAL|PANIC):/m.test(log)) {
        await waitForExit(status[0]);
        throw new LaunchError(`Cannot start PostgreSQL on port ${port}:\n${log}`);
      }
      return undefined;
    },
    SERVER_TIMEOUT_MS,
    `PostgreSQL to accept connections on port ${port}`,
  ).catch(async (error) => {
    if (error instanceof PortClash || error instanceof LaunchError) throw error;
    const log = await readIfExists(logFile);
    throw new LaunchError(`${error.message}; its log:\n${log}`, { cause: error });
  });
}

async function waitForExit(pidText: string | undefined): Promise<void> {
  const pid = Number(pidText);
  if (Number.isInteger(pid) && pid > 0) {
    await waitFor(
      async () => await isGone(pid) || undefined,
      SERVER_TIMEOUT_MS,
      `postmaster ${pid} to exit`,
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

async function createRole(
  started: Started,
  options: StartPostgresOptions,
): Promise<PostgresServer> {
  const { port } = started;
  const database = options.database ?? "dap";
  const password = options.password === false ? undefined : options.password ?? makePassword();
  const user = password === undefined ? SUPERUSER : options.user ?? "dap";
  const admin = postgres({
    host: "127.0.0.1",
    port,
    user: SUPERUSER,
    database: "postgres",
    max: 1,
    onnotice: () => {},
  });
  try {
    if (password !== undefined) {
      await admin.unsafe(
        `SET password_encryption = '${options.passwordEncryption ?? "scram-sha-256"}'`,
      );
      await admin.unsafe(`CREATE ROLE ${ident(user)} LOGIN PASSWORD ${literal(password)}`);
    }
    await admin.unsafe(
      `CREATE DATABASE ${ident(database)} OWNER ${ident(user)} STRATEGY FILE_COPY`,
    );
  } finally {
    await admin.end();
  }
  return makeServer({ ...started, user, database, password });
}

function makeServer(
  fields: Started & { user: string; database: string; password?: string },
): PostgresServer {
  const { tempDir, port, pid, user, database, password } = fields;
  const dataDir = join(tempDir, "data");
  const host = "127.0.0.1";
  const credentials = password === undefined
    ? encodeURIComponent(user)
    : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  const sql = postgres({ host, port, user: SUPERUSER, database, max: 2, onnotice: () => {} });
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= stopServer(sql, dataDir, pid, tempDir);
  return {
    url: `postgresql://${credentials}@${host}:${port}/${encodeURIComponent(database)}`,
    superuserUrl: `postgresql://${SUPERUSER}@${host}:${port}/${encodeURIComponent(database)}`,
    host,
    port,
    user,
    database,
    password,
    dataDir,
    logFile: join(tempDir, "postgres.log"),
    certFile: fields.certFile,
    version: fields.version,
    pid,
    sql,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function stopServer(sql: postgres.Sql, dataDir: string, startPid: number, tempDir: string) {
  await sql.end({ timeout: 1 });
  const status = await readIfExists(join(dataDir, "postmaster.pid"));
  const pid = status === "" ? startPid : Number(status.split("\n")[0]);
  // SIGINT = fast shutdown: abort transactions, checkpoint, exit
  await stopPid(pid, "SIGINT", { pidFile: join(dataDir, "postmaster.pid") });
  await Deno.remove(tempDir, { recursive: true });
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
