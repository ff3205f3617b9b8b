/** The flags `snapshot` and `incremental` share, declared once. */
import type { Command, OptionValues } from "@commander-js/extra-typings";
import { mandatory } from "../mandatory_option.ts";
import { withRunOptions } from "./run_options.ts";

/** Default Parquet codec for merged files (see README, "Merged output"). */
export const DEFAULT_CODEC = "zstd";

/** Adds the export flags to a command (its type carries every flag, as commander infers it). */
// deno-lint-ignore explicit-module-boundary-types ban-types -- `{}` is commander's "no options yet"
export function withExportOptions<G extends OptionValues>(command: Command<[], {}, G>) {
  const named = command
    .addOption(
      mandatory("--namespace <namespace>", "data namespace: canvas, canvas_logs, catalog, ..."),
    )
    .addOption(mandatory("--table <table>", "table name, comma-separated list, or 'all'"))
    .option("--format <format>", "CSV, JSONL, Parquet or TSV (any case)", "jsonl")
    .option("--output-directory <dir>", "where to save the files", "downloads");
  return withRunOptions(named)
    .option(
      "--merge",
      "write one file per table, <output-directory>/<namespace>/<table>.<ext>, in --format",
    )
    .option(
      "--mode <mode>",
      "with --merge, CSV/TSV nested objects: expanded (dotted columns) or condensed (JSON)",
      "expanded",
    )
    .option(
      "--codec <codec>",
      "with --merge --format parquet: zstd, snappy, gzip or none",
      DEFAULT_CODEC,
    );
}

/** The export flags as parsed. */
export type ExportFlags = ReturnType<ReturnType<typeof withExportOptions>["opts"]>;
