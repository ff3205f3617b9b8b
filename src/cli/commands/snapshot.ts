/** `dap snapshot`: a full copy of one or more tables. */
import type { DapProgram } from "../build_program.ts";
import type { CommandRunner } from "../command_runner.ts";
import { examples } from "./examples.ts";
import { withExportOptions } from "./export_options.ts";

/** Adds `snapshot` to the program. */
export function registerSnapshot(program: DapProgram, run: CommandRunner): void {
  withExportOptions(
    program.command("snapshot").description("Download a full copy of one or more tables")
      .addHelpText(
        "after",
        examples(
          "snapshot --namespace canvas --table courses",
          "snapshot --namespace canvas --table courses,users --format csv --merge",
          "snapshot --namespace canvas_logs --table all --output-directory /data/dap",
        ),
      ),
  ).action(async (_flags, command) => {
    await run(
      async (flags, deps) => (await import("./run_export.ts")).runExport(flags, deps),
      command.optsWithGlobals(),
    );
  });
}
