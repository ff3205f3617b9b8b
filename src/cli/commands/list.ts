/** `dap list`: the tables of a namespace, one per line on stdout. */
import { mandatory } from "../mandatory_option.ts";
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CommandRunner } from "../command_runner.ts";

/** Adds `list` to the program. */
export function registerList(program: DapProgram, run: CommandRunner): void {
  program.command("list")
    .description("List the tables of a namespace, one per line on stdout")
    .addHelpText(
      "after",
      examples(
        "list --namespace canvas",
        "list --namespace canvas_logs",
      ),
    )
    .addOption(mandatory("--namespace <namespace>", "data namespace"))
    .action(async (_flags, command) => {
      // The work loads only when the command runs: `dap --version` and `--help` stay light.
      await run(
        async (flags, deps) => (await import("./list_tables.ts")).listTables(flags, deps),
        command.optsWithGlobals(),
      );
    });
}
