/** `dap dropdb`: removes tables, their enum types and their sync rows from a database. */
import { mandatory } from "../mandatory_option.ts";
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CommandRunner } from "../command_runner.ts";

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
      await run(
        async (flags, deps) => (await import("./drop_tables.ts")).dropTables(flags, deps),
        command.optsWithGlobals(),
      );
    });
}
