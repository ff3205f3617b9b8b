/**
 * What every database engine's end-to-end tests check alike, run against
 * a target the engine's own test file supplies: the API's "changes gone"
 * answer and `--reinit`, the commands refused for the table's state, and a
 * server that refuses the connection.
 * Engine-specific checks (layout, kills, passwords) stay in those files.
 */
import type { EmulatorServer } from "../emulator/serve_emulator.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { demoEnv, runDap } from "./run_dap.ts";

/** A database server under test. */
export interface SyncTarget {
  /** a new, empty database; its connection string */
  database(name: string): Promise<string>;
  /** everything a database holds, comparable with `assertEquals` */
  contents(name: string): Promise<unknown>;
}

const DAY_MS = 86_400_000;

/** The environment of a run: the emulator, the demo credentials, the database. */
export function syncEnv(emulatorUrl: string, connection: string): Record<string, string> {
  return { ...demoEnv(emulatorUrl), DAP_CONNECTION_STRING: connection };
}

/** Runs `dap` and asserts it succeeds; returns what it told people. */
export async function dapOk(args: string[], env: Record<string, string>): Promise<string> {
  const run = await runDap(args, env);
  assertEquals(run.code, 0, `dap ${args.join(" ")}:\n${run.stderr}`);
  return run.stderr;
}

/**
 * After 40 days the API no longer keeps the changes since the last sync:
 * syncdb fails (exit 4) with the commands to rebuild and leaves the table as
 * it was; `--reinit` rebuilds it as a fresh initdb would.
 */
export async function assertReinitRecovers(
  target: SyncTarget,
  emulator: EmulatorServer,
): Promise<void> {
  const courses = ["--namespace", "canvas", "--table", "courses"];
  const kept = syncEnv(emulator.url, await target.database("kept"));
  await dapOk(["initdb", ...courses], kept);
  const at = emulator.emulator.options.dataAt!;
  emulator.emulator.configure({ dataAt: at + 40 * DAY_MS }); // beyond the 30 days of changes kept
  const before = await target.contents("kept");
  const stale = await runDap(["syncdb", ...courses], kept);
  assertEquals(stale.code, 4, stale.stderr);
  assertStringIncludes(
    stale.stderr,
    "rebuild the table: dap syncdb --namespace canvas --table courses --reinit (or dap dropdb --namespace canvas --table courses then dap initdb --namespace canvas --table courses)",
  );
  assertEquals(await target.contents("kept"), before);
  await dapOk(["syncdb", ...courses, "--reinit"], kept);
  await dapOk(["initdb", ...courses], syncEnv(emulator.url, await target.database("fresh")));
  assertEquals(await target.contents("kept"), await target.contents("fresh"));
}

/**
 * With canvas.courses kept and canvas.accounts never initialised: initdb of
 * the one and syncdb of the other are refused (exit 2), naming the command to run.
 */
export async function assertStateMistakes(
  emulator: EmulatorServer,
  connection: string,
): Promise<void> {
  const env = syncEnv(emulator.url, connection);
  const again = await runDap(["initdb", "--namespace", "canvas", "--table", "courses"], env);
  assertEquals([again.code, again.stderr], [
    2,
    "error: Cannot initdb canvas.courses: already initialised; run dap syncdb --namespace canvas --table courses\n",
  ]);
  const unknown = await runDap(["syncdb", "--namespace", "canvas", "--table", "accounts"], env);
  assertEquals([unknown.code, unknown.stderr], [
    2,
    "error: Cannot syncdb canvas.accounts: not initialised; run dap initdb --namespace canvas --table accounts\n",
  ]);
}

/** A server that refuses dap: the lines dap must print, exactly. */
export interface Refusals {
  /** the server at `url` (listening on `port`, the test role's password `password`) */
  server: { url: string; port: number; password?: string };
  /** for a wrong password */
  denied: string;
  /** for port 1, where nothing listens */
  unreachable: string;
}

/**
 * A wrong password (initdb, syncdb, dropdb) and a port where nothing listens:
 * exit 6, one exact line, and neither password printed.
 */
export async function assertConnectionRefusals(emulatorUrl: string, r: Refusals): Promise<void> {
  const password = "Wr0ng:p@ss/w%rd?";
  const wrong = r.server.url.replace(/:[^:@/]+@/, `:${encodeURIComponent(password)}@`);
  const secrets = [password, encodeURIComponent(password), r.server.password ?? password];
  for (const command of ["initdb", "syncdb", "dropdb"]) {
    const run = await runDap(
      [command, "--namespace", "canvas", "--table", "courses"],
      syncEnv(emulatorUrl, wrong),
    );
    assertEquals([run.code, run.stderr], [6, `error: ${r.denied}\n`], command);
    for (const secret of secrets) {
      assert(!run.stderr.includes(secret) && !run.stdout.includes(secret), secret);
    }
  }
  const unreachable = r.server.url.replace(`:${r.server.port}/`, ":1/");
  const refused = await runDap(
    ["syncdb", "--namespace", "canvas", "--table", "all", "--connection-string", unreachable],
    demoEnv(emulatorUrl),
  );
  assertEquals([refused.code, refused.stderr], [6, `error: ${r.unreachable}\n`]);
  assert(!refused.stderr.includes(secrets[2]!));
}
