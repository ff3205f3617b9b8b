/** `dap list`: the tables of a namespace, one per line on stdout. */
import { mandatory } from "../mandatory_option.ts";
import { EXIT } from "../../errors.ts";
import { printable } from "../../printable.ts";
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CommandRunner } from "../command_runner.ts";
import { openSession } from "../open_session.ts";

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
      await run(async (flags, deps) => {
        const { client } = openSession(flags, deps);
        const tables = await client.listTables(flags.namespace);
        // One name per line, each made inert: a name from the server cannot forge lines or escapes.
        deps.stdout(tables.map((t) => `${printable(t)}\n`).join(""));
        return EXIT.OK;
      }, command.optsWithGlobals());
    });
}
