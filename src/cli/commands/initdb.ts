/** `dap initdb`: creates tables in a database and loads a snapshot into each. */
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CommandRunner } from "../command_runner.ts";
import { withDatabaseOptions } from "./database_options.ts";

/** Adds `initdb` to the program. */
export function registerInitdb(program: DapProgram, run: CommandRunner): void {
  withDatabaseOptions(
    program.command("initdb").description("Create tables in a database and load a full snapshot")
      .addHelpText(
        "after",
        examples(
          "initdb --namespace canvas --table courses --connection-string sqlite:///canvas.db",
          "initdb --namespace canvas --table courses,users --connection-string postgresql://dap:secret@localhost/canvas",
        ),
      ),
  ).action(async (_flags, command) => {
    await run(
      async (flags, deps) =>
        (await import("./run_database_export.ts")).runDatabaseExport(flags, deps, "initdb"),
      command.optsWithGlobals(),
    );
  });
}
