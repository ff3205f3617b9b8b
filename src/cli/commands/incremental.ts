/** `dap incremental`: the changes of one or more tables since a timestamp, a manifest, or the latest run. */
import { mandatory } from "../mandatory_option.ts";
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CommandRunner } from "../command_runner.ts";
import { withExportOptions } from "./export_options.ts";

/** Adds `incremental` to the program. */
export function registerIncremental(program: DapProgram, run: CommandRunner): void {
  withExportOptions(
    program.command("incremental").description(
      "Download the changes of one or more tables since a point in time",
    )
      .addHelpText(
        "after",
        examples(
          "incremental --namespace canvas --table courses --since 2026-11-19T08:00:00Z",
          "incremental --namespace canvas --table courses --since latest",
          "incremental --namespace canvas --table all --since downloads/job_1234/.dap-manifest.json",
        ),
      ),
  )
    .addOption(
      mandatory(
        "--since <when>",
        "RFC 3339 timestamp, a manifest file, or 'latest' (the newest manifest of each table in the output directory)",
      ),
    )
    .option("--until <when>", "RFC 3339 timestamp (default: the newest change)")
    .action(async (_flags, command) => {
      await run(
        async (flags, deps) => (await import("./run_incremental.ts")).runIncremental(flags, deps),
        command.optsWithGlobals(),
      );
    });
}
