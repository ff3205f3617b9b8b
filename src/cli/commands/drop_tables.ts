/** `dap dropdb`'s work: each table, its enum types and its sync row, gone in one transaction. */
import { EXIT, UsageError } from "../../errors.ts";
import { checkSyncState, storedModel } from "../../db/sync_table.ts";
import type { CliDeps } from "../cli_deps.ts";
import { openRuntime } from "../open_session.ts";
import { type GlobalFlags, parseTables, resolveLogging } from "../resolve_config.ts";
import { openDatabase, resolveConnection } from "./open_database.ts";

/** The flags of `dropdb`. */
export interface DropFlags extends GlobalFlags {
  namespace: string;
  table: string;
  connectionString?: string;
}

/** Drops the tables; resolves with the exit code. */
export async function dropTables(flags: DropFlags, deps: CliDeps): Promise<number> {
  const tables = parseTables(flags.table);
  const connection = resolveConnection(flags.connectionString, deps);
  const { runtime, tell } = openRuntime(resolveLogging(flags), flags, deps);
  const engine = await openDatabase(connection, runtime);
  try {
    const kept = await engine.syncedTables(flags.namespace);
    const names = tables === "all" ? kept.map((row) => row.table) : tables;
    if (names.length === 0) {
      throw new UsageError(`Cannot dropdb ${flags.namespace}: the database holds no table of it`);
    }
    for (const table of names) {
      const session = await engine.begin(flags.namespace, table, "drop");
      try {
        const row = await session.readSync();
        checkSyncState("dropdb", { namespace: flags.namespace, table }, row);
        await session.dropTable(storedModel(row!));
        await session.commit();
      } catch (error) {
        await session.rollback();
        throw error;
      }
      tell(`${flags.namespace}.${table}: dropped from ${connection.display}`, "info", {
        namespace: flags.namespace,
        table,
        status: "dropped",
      });
    }
    return EXIT.OK;
  } finally {
    await engine.close().catch(() => {});
  }
}
