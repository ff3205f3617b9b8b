/** `dap dropdb`: removes tables, their enum types and their sync rows from a database. */
import { mandatory } from "../mandatory_option.ts";
import { EXIT } from "../../errors.ts";
import { storedModel } from "../../db/sync_table.ts";
import { checkSyncState } from "../../db/sync_table.ts";
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CliDeps } from "../cli_deps.ts";
import type { CommandRunner } from "../command_runner.ts";
import { openRuntime } from "../open_session.ts";
import { type GlobalFlags, parseTables, resolveLogging } from "../resolve_config.ts";
import { openDatabase, resolveConnection } from "./open_database.ts";
import { UsageError } from "../../errors.ts";

/** Adds `dropdb` to the program. */
export function registerDropdb(program: DapProgram, run: CommandRunner): void {
  program.command("dropdb")
    .description("Drop tables kept by initdb/syncdb, with their enum types and sync rows")
    .addHelpText(
      "after",
      examples(
        "dropdb --namespace canvas --table courses --connection-string sqlite:///canvas.db",
      ),
    )
    .addOption(mandatory("--namespace <namespace>", "data namespace"))
    .addOption(
      mandatory(
        "--table <table>",
        "table name, comma-separated list, or 'all' (the tables the database holds)",
      ),
    )
    .option("--connection-string <url>", "the database (env DAP_CONNECTION_STRING)")
    .action(async (_flags, command) => {
      await run(dropTables, command.optsWithGlobals());
    });
}

interface DropFlags extends GlobalFlags {
  namespace: string;
  table: string;
  connectionString?: string;
}

async function dropTables(flags: DropFlags, deps: CliDeps): Promise<number> {
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
