/**
 * `deno task demo`: starts the DAP API emulator on a free port and runs, as a
 * user would, `dap snapshot` into `downloads/`, then `dap initdb` and (a day
 * of changes later) `dap syncdb` into an embedded SQLite database, and counts
 * the rows. It says what happened at each step, and stops.
 */
import { DatabaseSync } from "node:sqlite";
import { runCli } from "../src/cli/run_cli.ts";
import { DEMO_CREDENTIAL } from "../tests/emulator/emulator.ts";
import { serveEmulator } from "../tests/emulator/serve_emulator.ts";

const encoder = new TextEncoder();
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
const DAY_MS = 86_400_000;

await using server = serveEmulator({ rows: 2000, rowsPerObject: 400 });
const env = {
  DAP_API_URL: server.url,
  DAP_CLIENT_ID: DEMO_CREDENTIAL.clientId,
  DAP_CLIENT_SECRET: DEMO_CREDENTIAL.clientSecret,
};

async function dap(args: string[]): Promise<number> {
  say(`\n$ dap ${args.join(" ")}\n`);
  const code = await runCli({
    args,
    env,
    stdout: (text) => Deno.stdout.writeSync(encoder.encode(text)),
    stderr: say,
    isTerminal: Deno.stderr.isTerminal(),
  });
  if (code !== 0) say(`(exit code ${code})\n`);
  return code;
}

say(
  `Emulator of the DAP API at ${server.url} (data as of ${
    new Date(server.emulator.options.dataAt!).toISOString()
  })\n`,
);
let code = await dap([
  "snapshot",
  "--namespace",
  "canvas",
  "--table",
  "courses",
  "--output-directory",
  "downloads",
]);
for await (const entry of Deno.readDir("downloads")) {
  if (!entry.isDirectory || !entry.name.startsWith("job_")) continue;
  const files: string[] = [];
  for await (const file of Deno.readDir(`downloads/${entry.name}`)) files.push(file.name);
  say(`downloads/${entry.name}/\n  ${files.sort().join("\n  ")}\n`);
}

const database = "downloads/demo.db";
await Deno.remove(database).catch(() => {});
const connection = ["--connection-string", `sqlite:///${database}`];
code ||= await dap(["initdb", "--namespace", "canvas", "--table", "courses,users", ...connection]);
server.emulator.configure({ dataAt: server.emulator.options.dataAt! + DAY_MS });
say(`\n(the emulator moves its data one day ahead: rows are inserted, updated and deleted)\n`);
code ||= await dap(["syncdb", "--namespace", "canvas", "--table", "all", ...connection]);

const db = new DatabaseSync(database, { readOnly: true });
for (const table of ["canvas__courses", "canvas__users"]) {
  const { n } = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
  say(`\nsqlite> SELECT count(*) FROM ${table};\n${n}\n`);
}
const synced = db.prepare(
  "SELECT source_table, timestamp, schema_version FROM instructure_dap__table_sync ORDER BY source_table",
).all();
say(`\nsqlite> SELECT source_table, timestamp, schema_version FROM instructure_dap__table_sync;\n`);
for (const row of synced) say(`${row.source_table} | ${row.timestamp} | ${row.schema_version}\n`);
db.close();
say(`\nThe emulator answered ${server.emulator.requests.length} requests. Exit code ${code}.\n`);
Deno.exitCode = code;
