/** `dap snapshot`: a full copy of one or more tables. */
import type { DapProgram } from "../build_program.ts";
import type { CommandRunner } from "../command_runner.ts";
import { withExportOptions } from "./export_options.ts";
import { runExport } from "./run_export.ts";

/** Adds `snapshot` to the program. */
export function registerSnapshot(program: DapProgram, run: CommandRunner): void {
  withExportOptions(
    program.command("snapshot").description("Download a full copy of one or more tables"),
  ).action(async (_flags, command) => {
    await run((flags, deps) => runExport(flags, deps), command.optsWithGlobals());
  });
}
