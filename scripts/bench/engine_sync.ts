/**
 * A child process of `deno task bench` (section 7): one syncdb of a table
 * already initialised, driven through the engine seam exactly as the
 * database destination drives it, from one gzipped TSV part of changes
 * (`part.tsv.gz`, as DAP serves incrementals: header, U and D records).
 * Prints `{"seconds", "upserted", "deleted"}` on stdout; its peak RSS is
 * measured by the parent.
 *
 *   deno run -A scripts/bench/engine_sync.ts <connection string> <namespace> <table> <part.tsv.gz>
 */
import { parseConnectionString } from "../../src/db/connection_string.ts";
import { openEngine } from "../../src/db/open_engine.ts";
import { partRecords } from "../../src/db/record_lines.ts";
import { tableModel } from "../../src/db/table_model.ts";
import { SILENT_LOG } from "../../src/runtime.ts";
import { findTable } from "../../tests/emulator/catalogue.ts";
import { tableSchema } from "../../tests/emulator/columns.ts";

const [url, namespace, table, part] = Deno.args as [string, string, string, string];
const engine = await openEngine(parseConnectionString(url), {
  log: SILENT_LOG,
  signal: new AbortController().signal,
});
await engine.prepare();
const started = performance.now();
const session = await engine.begin(namespace, table, "sync");
const before = await session.readSync();
if (!before) throw new Error(`Cannot sync ${namespace}.${table}: run initdb first`);
const schema = tableSchema(findTable(namespace, table)!);
const model = tableModel(namespace, table, { schema, version: before.schemaVersion });
await session.migrate(model, model);
await session.load(model, partRecords(part, model));
const counts = await session.finish(model);
await session.writeSync({
  namespace,
  table,
  timestamp: new Date(Date.parse(before.timestamp) + 86_400_000).toISOString(),
  schemaVersion: before.schemaVersion,
  schemaDescription: before.schemaDescription,
});
await session.commit();
const seconds = (performance.now() - started) / 1000;
await engine.close();
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ seconds, ...counts }) + "\n"));
