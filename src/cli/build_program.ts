/**
 * The command tree, declared once: global options (accepted before and after
 * the subcommand, as the official CLI documents them) and the subcommands with
 * their flags. Handlers are injected; this module parses, it does not act.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { VERSION } from "../version.ts";
import type { GlobalFlags } from "./resolve_config.ts";
import { LOG_LEVELS } from "../report/logger.ts";

/** Flags shared by `snapshot` and `incremental`. */
export interface ExportFlags {
  namespace: string;
  table: string;
  format: string;
  outputDirectory: string;
  concurrency: string;
  rateLimits?: string;
  json?: boolean;
  merge?: boolean;
  mode: string;
  codec: string;
}

/** The flags of `incremental`. */
export interface IncrementalFlags extends ExportFlags {
  since: string;
  until?: string;
}

/** The flags of `list`. */
export interface ListFlags {
  namespace: string;
}

/** The flags of `schema`. */
export interface SchemaFlags {
  namespace: string;
  table: string;
  outputDirectory: string;
}

/** What each subcommand does with its flags (merged with the global flags). */
export interface Handlers {
  snapshot: (flags: ExportFlags & GlobalFlags) => Promise<void>;
  incremental: (flags: IncrementalFlags & GlobalFlags) => Promise<void>;
  list: (flags: ListFlags & GlobalFlags) => Promise<void>;
  schema: (flags: SchemaFlags & GlobalFlags) => Promise<void>;
}

/** Where commander writes help and its own errors. */
export interface ProgramOutput {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
}

/** Default download concurrency (see README, "Choosing --concurrency"). */
export const DEFAULT_CONCURRENCY = 8;
/** Default Parquet codec for merged files (see README, "Merged output"). */
export const DEFAULT_CODEC = "zstd";

type AnyCommand = Command<[], Record<string, unknown>, Record<string, unknown>>;

function withGlobalOptions(command: AnyCommand, output: ProgramOutput): AnyCommand {
  return command
    .addOption(new Option("--base-url <url>", "DAP API base URL (env DAP_API_URL)"))
    .addOption(new Option("--client-id <id>", "client id (env DAP_CLIENT_ID)"))
    .addOption(new Option("--client-secret <secret>", "client secret (env DAP_CLIENT_SECRET)"))
    .addOption(new Option("--loglevel <level>", "log level").choices(LOG_LEVELS))
    .addOption(new Option("--logfile <path>", "write log lines to this file instead of stderr"))
    .addOption(new Option("--logformat <format>", "log line format").choices(["plain", "json"]))
    .exitOverride()
    .configureOutput(output) as unknown as AnyCommand;
}

function withExportOptions(command: AnyCommand): AnyCommand {
  return command
    .requiredOption("--namespace <namespace>", "data namespace: canvas, canvas_logs, catalog, ...")
    .requiredOption("--table <table>", "table name, comma-separated list, or 'all'")
    .option("--format <format>", "CSV, JSONL, Parquet or TSV (any case)", "jsonl")
    .option("--output-directory <dir>", "where to save the files", "downloads")
    .option(
      "--concurrency <n>",
      "objects downloaded at once, across all tables",
      String(DEFAULT_CONCURRENCY),
    )
    .option(
      "--rate-limits <limits>",
      "override API rate limits, e.g. query=5/60s,job=500/60s,urls=200/60s",
    )
    .option("--json", "print a machine-readable run summary on stdout")
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
    ) as unknown as AnyCommand;
}

function subcommand<F>(
  name: string,
  description: string,
  output: ProgramOutput,
  declare: (command: AnyCommand) => AnyCommand,
  handler: (flags: F) => Promise<void>,
): AnyCommand {
  const command = declare(
    withGlobalOptions(new Command(name).description(description) as AnyCommand, output),
  );
  command.action(async (_flags, self) => {
    await handler((self as AnyCommand).optsWithGlobals() as F);
  });
  return command;
}

/** Builds the `dap` program. */
export function buildProgram(handlers: Handlers, output: ProgramOutput): Command {
  const program = withGlobalOptions(
    new Command()
      .name("dap")
      .description(
        "Fast, dependable client for the Instructure Data Access Platform (Canvas Data 2)",
      )
      .version(VERSION, "-V, --version", "print the version")
      .helpOption("-h, --help", "show help")
      .showSuggestionAfterError(true) as unknown as AnyCommand,
    output,
  );
  program.addCommand(subcommand(
    "snapshot",
    "Download a full copy of one or more tables",
    output,
    withExportOptions,
    handlers.snapshot,
  ));
  program.addCommand(subcommand(
    "incremental",
    "Download the changes of one or more tables since a point in time",
    output,
    (command) =>
      withExportOptions(command)
        .requiredOption(
          "--since <when>",
          "RFC 3339 timestamp, a manifest file, or 'latest' (the newest manifest of each table in the output directory)",
        )
        .option(
          "--until <when>",
          "RFC 3339 timestamp (default: the newest change)",
        ) as unknown as AnyCommand,
    handlers.incremental,
  ));
  program.addCommand(subcommand(
    "list",
    "List the tables of a namespace, one per line on stdout",
    output,
    (command) =>
      command.requiredOption("--namespace <namespace>", "data namespace") as unknown as AnyCommand,
    handlers.list,
  ));
  program.addCommand(subcommand(
    "schema",
    "Save the JSON schema of one or more tables",
    output,
    (command) =>
      command
        .requiredOption("--namespace <namespace>", "data namespace")
        .requiredOption("--table <table>", "table name, comma-separated list, or 'all'")
        .option(
          "--output-directory <dir>",
          "where to save the schema files",
          "downloads",
        ) as unknown as AnyCommand,
    handlers.schema,
  ));
  return program as unknown as Command;
}
