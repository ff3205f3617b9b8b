/** `dap syncdb`: brings tables initialised by initdb (dap's or the official client's) up to date. */
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CommandRunner } from "../command_runner.ts";
import { withDatabaseOptions } from "./database_options.ts";

/** Adds `syncdb` to the program. */
export function registerSyncdb(program: DapProgram, run: CommandRunner): void {
  withDatabaseOptions(
    program.command("syncdb").description(
      "Apply the changes since the last sync to database tables",
    )
      .addHelpText(
        "after",
        examples(
          "syncdb --namespace canvas --table all --connection-string sqlite:///canvas.db",
          "syncdb --namespace canvas --table courses --reinit  # rebuild when the changes are gone",
        ),
      ),
  )
    .option(
      "--reinit",
      "when the API no longer keeps the changes since the last sync, rebuild the table from a new snapshot",
    )
    .action(async (_flags, command) => {
      await run(
        async (flags, deps) =>
          (await import("./run_database_export.ts")).runDatabaseExport(flags, deps, "syncdb"),
        command.optsWithGlobals(),
      );
    });
}
