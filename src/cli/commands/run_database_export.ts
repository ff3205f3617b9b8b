/**
 * What `initdb` and `syncdb` share: decide each table's start (initdb: a
 * snapshot; syncdb: an incremental from its `table_sync` timestamp), run the
 * export pipeline into the database destination, explain a table whose
 * changes the API no longer keeps (and with --reinit, rebuild it).
 */
import { ApiError, UsageError } from "../../errors.ts";
import type { SyncRow } from "../../db/engine.ts";
import { stateRefusal } from "../../db/sync_table.ts";
import { exportTables } from "../../export/export_tables.ts";
import type { TableResult } from "../../export/table_result.ts";
import { createDestination } from "../../output/destinations.ts";
import type { CliDeps } from "../cli_deps.ts";
import { openSession, type Session } from "../open_session.ts";
import { type GlobalFlags, parsePositiveInteger, parseTables } from "../resolve_config.ts";
import type { DatabaseFlags } from "./database_options.ts";
import { reportResults } from "./report_results.ts";
import { openDatabase, resolveConnection } from "./open_database.ts";

/** `initdb` or `syncdb`, with `--reinit` for syncdb. */
export type LoadCommand = "initdb" | "syncdb";

/** The API answers that mean "your changes are gone: take a new snapshot". */
const SNAPSHOT_NEEDED = ["SnapshotRequiredError", "OutOfRangeError"];

/** Runs initdb or syncdb for the flags' tables. */
export async function runDatabaseExport(
  flags: DatabaseFlags & GlobalFlags & { reinit?: boolean },
  deps: CliDeps,
  command: LoadCommand,
): Promise<number> {
  const tables = parseTables(flags.table);
  const concurrency = parsePositiveInteger("--concurrency", flags.concurrency);
  const connection = resolveConnection(flags.connectionString, deps);
  const session = openSession(flags, deps);
  const engine = await openDatabase(connection, session.runtime);
  const partsRoot = await Deno.makeTempDir({ prefix: "dap-parts-" });
  try {
    const kept = await engine.syncedTables(flags.namespace);
    await session.client.authenticate();
    const names = await chooseTables(command, flags.namespace, tables, kept, session);
    const since = new Map(kept.map((row) => [row.table, row.timestamp]));
    const run = (which: string[], as: LoadCommand | "reinit") =>
      exportTables({
        namespace: flags.namespace,
        tables: which,
        destination: createDestination({
          kind: "database",
          command: as,
          engine,
          display: connection.display,
          partsRoot,
        }),
        range: as === "syncdb" ? (table) => ({ since: since.get(table)! }) : undefined,
        concurrency,
      }, {
        client: session.client,
        runtime: session.runtime,
        observer: session.board,
        // the board's run-wide heartbeat says what every job waits for
        jobHeartbeatMs: Infinity,
      });
    let results = await run(names, command).finally(() => session.board.stop());
    if (command === "syncdb") {
      results = await recover(results, flags, (which) => run(which, "reinit"));
    }
    return await reportResults(results, session, flags, deps);
  } finally {
    await engine.close().catch(() => {});
    await Deno.remove(partsRoot, { recursive: true }).catch(() => {});
  }
}

/** The tables to load: initdb takes the API's list (`all`) minus kept ones; syncdb the kept ones. */
async function chooseTables(
  command: LoadCommand,
  namespace: string,
  tables: string[] | "all",
  kept: SyncRow[],
  session: Session,
): Promise<string[]> {
  const keptNames = kept.map((row) => row.table);
  if (command === "syncdb" && tables === "all") {
    if (keptNames.length > 0) return keptNames;
    throw new UsageError(
      `Cannot syncdb ${namespace}: the database holds no table of it; run dap initdb --namespace ${namespace} --table <table>`,
    );
  }
  if (tables === "all") return await tablesToInitialise(namespace, keptNames, session);
  // initdb refuses kept tables, syncdb tables that are not kept: all of them in one line
  const wrong = tables.filter((t) => keptNames.includes(t) === (command === "initdb"));
  if (wrong.length > 0) throw stateRefusal(command, namespace, wrong);
  return tables;
}

/** `initdb --table all`: the namespace's tables the database does not hold yet. */
async function tablesToInitialise(
  namespace: string,
  keptNames: string[],
  session: Session,
): Promise<string[]> {
  const all = await session.client.listTables(namespace);
  const skipped = all.filter((t) => keptNames.includes(t));
  if (skipped.length > 0) {
    session.logger.warning(
      `Skipping ${skipped.length} table(s) already initialised (syncdb keeps them): ${
        skipped.join(", ")
      }`,
    );
  }
  return all.filter((t) => !keptNames.includes(t));
}

/** Tables the API wants a new snapshot of: rebuilt with --reinit, or explained. */
async function recover(
  results: TableResult[],
  flags: DatabaseFlags & { reinit?: boolean },
  reinit: (tables: string[]) => Promise<TableResult[]>,
): Promise<TableResult[]> {
  const stale = results.filter((r) =>
    !r.ok && r.error instanceof ApiError && SNAPSHOT_NEEDED.includes(r.error.type ?? "")
  );
  if (stale.length === 0) return results;
  if (flags.reinit) {
    const rebuilt = await reinit(stale.map((r) => r.table));
    return results.map((r) => rebuilt.find((b) => b.table === r.table) ?? r);
  }
  return results.map((r) => {
    if (!stale.includes(r)) return r;
    const error = r.error as ApiError;
    const flagsText = `--namespace ${r.namespace} --table ${r.table}`;
    const advice = `the API no longer keeps the changes since the last sync (${error.type}); ` +
      `rebuild the table: dap syncdb ${flagsText} --reinit (or dap dropdb ${flagsText} then dap initdb ${flagsText})`;
    return {
      ...r,
      error: new ApiError(`${error.message}; ${advice}`, {
        status: error.status,
        type: error.type,
        uuid: error.uuid,
      }),
    };
  });
}
