/**
 * A child process of `deno task bench` (section 7): one initdb or syncdb
 * through the engine seam, exactly as the database destination drives it
 * (`TableSync`: create or migrate, one `addPart` per gzipped TSV part,
 * commit), with no download, so the engine's own time and memory are
 * measured. initdb replaces the table dap already loaded (as `--reinit`).
 * Prints `{"seconds", "upserted", "deleted"}` on stdout; the parent measures
 * peak RSS.
 *
 *   deno run -A scripts/bench/engine_load.ts initdb|syncdb <connection string> <namespace> <table> <part.tsv.gz>...
 */
import { parseConnectionString } from "../../src/db/connection_string.ts";
import { openEngine } from "../../src/db/open_engine.ts";
import { TableSync } from "../../src/db/sync_table.ts";
import { tableModel } from "../../src/db/table_model.ts";
import { SILENT_LOG } from "../../src/runtime.ts";
import { HISTORY_ANCHOR } from "../../tests/emulator/row_history.ts";
import { tableAt } from "../../tests/emulator/table_at.ts";
import { tableSchema } from "../../tests/emulator/columns.ts";

const [command, url, namespace, table, ...parts] = Deno.args as [string, string, string, string];
const served = tableAt(namespace, table, HISTORY_ANCHOR)!;
const model = tableModel(namespace, table, {
  schema: tableSchema(served.spec),
  version: served.version,
});
const engine = await openEngine(parseConnectionString(url), {
  log: SILENT_LOG,
  signal: new AbortController().signal,
});
await engine.prepare();
const started = performance.now();
const session = await engine.begin(namespace, table, command === "initdb" ? "init" : "sync");
const sync = new TableSync(session, model, SILENT_LOG);
if (command === "initdb") await sync.create({ replace: true });
else await sync.migrate();
for (const part of parts) await sync.addPart(part);
const at = new Date(HISTORY_ANCHOR + (command === "initdb" ? 0 : 3_600_000)).toISOString();
const counts = await sync.commit(command === "initdb" ? { at } : { until: at });
const seconds = (performance.now() - started) / 1000;
await engine.close();
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ seconds, ...counts }) + "\n"));
