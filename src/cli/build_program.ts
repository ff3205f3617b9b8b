/**
 * The command tree, declared once: the global options (accepted before and
 * after the subcommand, as the official CLI documents them) and one
 * registration per command file. This module parses; it does not act.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { LOG_LEVELS } from "../report/logger.ts";
import { VERSION } from "../version.ts";
import { registerCompletions } from "./commands/completions.ts";
import { registerDropdb } from "./commands/dropdb.ts";
import { registerIncremental } from "./commands/incremental.ts";
import { registerInitdb } from "./commands/initdb.ts";
import { registerList } from "./commands/list.ts";
import { registerSchema } from "./commands/schema.ts";
import { registerSnapshot } from "./commands/snapshot.ts";
import { registerSyncdb } from "./commands/syncdb.ts";
import type { CommandRunner } from "./command_runner.ts";
import {
  DEFAULT_BASE_URL,
  parseNamespace,
  parseOutputDirectory,
  parseTables,
} from "./resolve_config.ts";
import { checkMandatory } from "./mandatory_option.ts";

/** Where commander writes help and its own errors. */
export interface ProgramOutput {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
}

/** The program with its global options; commands hang off it. */
// deno-lint-ignore explicit-module-boundary-types -- commander infers the typed program; DapProgram names it
export function globalProgram(output: ProgramOutput) {
  return new Command()
    .name("dap")
    .description("Fast, dependable client for the Instructure Data Access Platform (Canvas Data 2)")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput(output)
    .configureHelp({ showGlobalOptions: true })
    .optionsGroup("Global options (before or after the command):")
    .addOption(
      new Option(
        "--base-url <url>",
        `DAP API base URL (env DAP_API_URL; default: ${DEFAULT_BASE_URL})`,
      ),
    )
    .addOption(new Option("--client-id <id>", "client id (env DAP_CLIENT_ID)"))
    .addOption(new Option("--client-secret <secret>", "client secret (env DAP_CLIENT_SECRET)"))
    .addOption(new Option("--loglevel <level>", "log level").choices(LOG_LEVELS))
    .addOption(new Option("--logfile <path>", "write log lines to this file instead of stderr"))
    .addOption(new Option("--logformat <format>", "log line format").choices(["plain", "json"]))
    .addOption(
      new Option("--non-interactive", "no status line: plain log lines on stderr (official 2.x)"),
    )
    .addOption(new Option("--no-log-to-console", "log only to --logfile (official 2.x)"))
    .addOption(new Option("--no-tracking", "accepted for the official 2.x CLI; dap never tracks"))
    .addOption(new Option("--console-theme <theme>", "accepted for the official 2.x CLI"))
    .addOption(
      new Option(
        "--request-timeout <seconds>",
        "longest wait for an answer's headers, connecting included (env DAP_REQUEST_TIMEOUT; default: 60)",
      ),
    )
    .addOption(
      new Option(
        "--idle-timeout <seconds>",
        "longest silence inside an answer's body (env DAP_IDLE_TIMEOUT; default: 60)",
      ),
    )
    .addOption(
      new Option(
        "--retry-budget <n>",
        "retries the whole run may make before it fails (env DAP_RETRY_BUDGET; default: 100)",
      ),
    )
    .optionsGroup("Options:")
    .addHelpText(
      "after",
      `
Examples:
  $ dap snapshot --namespace canvas --table courses
  $ dap incremental --namespace canvas --table courses --since latest
  $ dap initdb --namespace canvas --table courses --connection-string sqlite:///canvas.db
  $ dap syncdb --namespace canvas --table all --connection-string sqlite:///canvas.db

Credentials come from --client-id/--client-secret or DAP_CLIENT_ID/DAP_CLIENT_SECRET.
Exit codes: 0 ok, 1 bug, 2 usage, 3 auth, 4 API, 5 some files missing, 6 database, 130 interrupted.`,
    );
}

/** Refuses a bad namespace, table list or output directory before any request, for every command. */
function checkTargets(options: Record<string, unknown>): void {
  if (typeof options.namespace === "string") parseNamespace(options.namespace);
  if (typeof options.table === "string") parseTables(options.table);
  if (typeof options.outputDirectory === "string") parseOutputDirectory(options.outputDirectory);
}

/** Redacts the value of a mistyped option (`--client-secet=S`) from commander's messages. */
function redactOptionValues(text: string): string {
  return text.replace(/'(--?[\w-]+)=[^']*'/g, "'$1=[redacted]'");
}

/** The `dap` program as built: global options typed for every command. */
export type DapProgram = ReturnType<typeof globalProgram>;

/** Builds the `dap` program; `run` runs a command's handler with its parsed flags. */
export function buildProgram(run: CommandRunner, output: ProgramOutput): DapProgram {
  const safe = {
    writeOut: output.writeOut,
    writeErr: (text: string) => output.writeErr(redactOptionValues(text)),
  };
  const program = globalProgram(safe);
  const commands = [
    registerSnapshot,
    registerIncremental,
    registerList,
    registerSchema,
    registerInitdb,
    registerSyncdb,
    registerDropdb,
    registerCompletions,
  ];
  for (const register of commands) register(program, run);
  program.hook("preAction", (_program, command) => {
    checkMandatory(command);
    checkTargets(command.opts());
  });
  for (const command of program.commands) {
    command.exitOverride().configureOutput(safe).showSuggestionAfterError(true);
  }
  return program;
}
