/** `dap schema`: saves the JSON schema of one or more tables, as the official client names them. */
import { mandatory } from "../mandatory_option.ts";
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CommandRunner } from "../command_runner.ts";

/** Adds `schema` to the program. */
export function registerSchema(program: DapProgram, run: CommandRunner): void {
  program.command("schema")
    .description("Save the JSON schema of one or more tables")
    .addHelpText(
      "after",
      examples(
        "schema --namespace canvas --table courses",
        "schema --namespace canvas --table all --output-directory schemas",
      ),
    )
    .addOption(mandatory("--namespace <namespace>", "data namespace"))
    .addOption(mandatory("--table <table>", "table name, comma-separated list, or 'all'"))
    .option("--output-directory <dir>", "where to save the schema files", "downloads")
    .action(async (_flags, command) => {
      await run(
        async (flags, deps) => (await import("./save_schemas.ts")).saveSchemas(flags, deps),
        command.optsWithGlobals(),
      );
    });
}
