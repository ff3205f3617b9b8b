/**
 * Runs the CLI with every dependency injected (arguments, environment,
 * output, fetch, clock, signal) and returns the exit code. `main.ts` gives it
 * the real world; tests give it the emulator's handler and capture output.
 * The one place where errors become a line for people and an exit code.
 */
import { describeError, EXIT, exitCodeFor, InterruptedError } from "../errors.ts";
import { redact } from "../report/logger.ts";
import type { CliDeps } from "./cli_deps.ts";
import { helpText } from "./command_tree/help_text.ts";
import type { FlagValues } from "./command_tree/option_spec.ts";
import { parseCommandLine } from "./command_tree/parse_command_line.ts";
import { DAP_PROGRAM } from "./program.ts";
import { parseNamespace, parseOutputDirectory, parseTables } from "./resolve_config.ts";

export type { CliDeps };

/** Refuses a bad namespace, table list or output directory before any request, for every command. */
function checkTargets(flags: FlagValues): void {
  if (typeof flags.namespace === "string") parseNamespace(flags.namespace);
  if (typeof flags.table === "string") parseTables(flags.table);
  if (typeof flags.outputDirectory === "string") parseOutputDirectory(flags.outputDirectory);
}

/** Parses the command line and runs what it asks for. */
function runLine(deps: CliDeps, secrets: Set<string>): Promise<number> {
  const line = parseCommandLine(DAP_PROGRAM, deps.args);
  if (line.kind === "version") {
    deps.stdout(`${DAP_PROGRAM.version}\n`);
    return Promise.resolve(EXIT.OK);
  }
  if (line.kind === "help") {
    (line.asked ? deps.stdout : deps.stderr)(helpText(DAP_PROGRAM, line.command));
    return Promise.resolve(line.asked ? EXIT.OK : EXIT.USAGE);
  }
  const secret = line.flags.clientSecret ?? deps.env.DAP_CLIENT_SECRET;
  if (typeof secret === "string" && secret) secrets.add(secret);
  checkTargets(line.flags);
  const { flags, argument } = line;
  return line.command.run({ flags, argument, program: DAP_PROGRAM }, deps);
}

/** Runs `dap` and returns its exit code; never throws. */
export async function runCli(deps: CliDeps): Promise<number> {
  const secrets = deps.secrets ?? new Set<string>();
  const world: CliDeps = { ...deps, secrets, runLog: {} };
  try {
    return await runLine(world, secrets);
  } catch (error) {
    reportError(error, world, secrets);
    return exitCodeFor(error);
  }
}

/** One line for people, and for bugs a hint (or, with --loglevel debug, the stack). */
function reportError(error: unknown, deps: CliDeps, secrets: Set<string>): void {
  const interrupted = error instanceof InterruptedError;
  const message = interrupted
    ? "Interrupted; files under their final names are complete. Rerun the same command to resume."
    : describeError(error);
  deps.stderr(`error: ${redact(message, secrets)}\n`);
  deps.runLog?.file?.error(message, { exit_code: exitCodeFor(error) });
  if (interrupted || exitCodeFor(error) !== EXIT.INTERNAL || !(error instanceof Error)) return;
  const debug = deps.args.some((a, i) =>
    a === "--loglevel=debug" || (a === "--loglevel" && deps.args[i + 1] === "debug")
  );
  deps.stderr(
    debug
      ? `${redact(error.stack ?? "", secrets)}\n`
      : "This is a bug; rerun with --loglevel debug for details and report it.\n",
  );
}
