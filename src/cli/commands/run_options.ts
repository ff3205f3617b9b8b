/** The flags of every command that runs jobs (snapshot, incremental, initdb, syncdb), declared once. */
import type { Command, OptionValues } from "@commander-js/extra-typings";

/** Default download concurrency (see docs/benchmarks.md, "Choosing --concurrency"). */
export const DEFAULT_CONCURRENCY = 8;

/** Adds --concurrency, --rate-limits, --job-timeout and --json to a command. */
// deno-lint-ignore explicit-module-boundary-types -- the typed command commander infers
export function withRunOptions<O extends OptionValues, G extends OptionValues>(
  command: Command<[], O, G>,
) {
  return command
    .option(
      "--concurrency <n>",
      "objects downloaded at once, across all tables",
      String(DEFAULT_CONCURRENCY),
    )
    .option(
      "--rate-limits <limits>",
      "override API rate limits, e.g. query=5/60s,job=500/60s,urls=200/60s",
    )
    .option(
      "--job-timeout <seconds>",
      "give up on a job still running after this long (env DAP_JOB_TIMEOUT; default: wait as long as it runs)",
    )
    .option("--json", "print a machine-readable run summary on stdout");
}
