/**
 * The command tree, declared once: global options (accepted before and after
 * the subcommand, as the official CLI documents them) and the subcommands with
 * their flags. Handlers are injected; this module parses, it does not act.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { VERSION } from "../version.ts";
import type { GlobalFlags } from "./resolve_config.ts";
import { LOG_LEVELS } from "../report/logger.ts";

/** The flags of `snapshot`. */
export interface SnapshotFlags {
  namespace: string;
  table: string;
  format: string;
  outputDirectory: string;
  concurrency: string;
  json?: boolean;
}

/** What each subcommand does with its flags and the global flags. */
export interface Handlers {
  snapshot: (flags: SnapshotFlags, globals: GlobalFlags) => Promise<void>;
}

/** Where commander writes help and its own errors. */
export interface ProgramOutput {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
}

/** Default download concurrency (see README, "Choosing --concurrency"). */
export const DEFAULT_CONCURRENCY = 8;

function globalOptions<T extends Command<[], Record<string, unknown>>>(command: T) {
  return command
    .addOption(new Option("--base-url <url>", "DAP API base URL (env DAP_API_URL)"))
    .addOption(new Option("--client-id <id>", "client id (env DAP_CLIENT_ID)"))
    .addOption(new Option("--client-secret <secret>", "client secret (env DAP_CLIENT_SECRET)"))
    .addOption(new Option("--loglevel <level>", "log level").choices(LOG_LEVELS))
    .addOption(new Option("--logfile <path>", "write log lines to this file instead of stderr"))
    .addOption(new Option("--logformat <format>", "log line format").choices(["plain", "json"]));
}

/** Builds the `dap` program. */
export function buildProgram(handlers: Handlers, output: ProgramOutput): Command {
  const program = new Command()
    .name("dap")
    .description("Fast, dependable client for the Instructure Data Access Platform (Canvas Data 2)")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .configureOutput(output)
    .showSuggestionAfterError(true);
  globalOptions(program);

  const snapshot = new Command("snapshot")
    .description("Download a full copy of one or more tables")
    .requiredOption("--namespace <namespace>", "data namespace: canvas, canvas_logs, catalog, ...")
    .requiredOption("--table <table>", "table name, comma-separated list, or 'all'")
    .option("--format <format>", "CSV, JSONL, Parquet or TSV (any case)", "jsonl")
    .option("--output-directory <dir>", "where to save the files", "downloads")
    .option("--concurrency <n>", "objects downloaded at once", String(DEFAULT_CONCURRENCY))
    .option("--json", "print a machine-readable run summary on stdout")
    .exitOverride()
    .configureOutput(output);
  globalOptions(snapshot);
  snapshot.action(async (_flags, command) => {
    const all = command.optsWithGlobals() as SnapshotFlags & GlobalFlags;
    await handlers.snapshot(all, all);
  });
  program.addCommand(snapshot);
  return program as unknown as Command;
}
