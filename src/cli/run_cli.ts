/**
 * Runs the CLI with every dependency injected (arguments, environment,
 * output, fetch, clock, signal) and returns the exit code. `main.ts` gives it
 * the real world; tests give it the emulator's handler and capture output.
 * The one place where errors become a line for people and an exit code.
 */
import { CommanderError } from "@commander-js/extra-typings";
import { describeError, EXIT, exitCodeFor, InterruptedError } from "../errors.ts";
import { redact } from "../report/logger.ts";
import { buildProgram } from "./build_program.ts";
import type { CliDeps } from "./cli_deps.ts";
import type { CommandRunner } from "./command_runner.ts";

export type { CliDeps };

/** Runs `dap` and returns its exit code; never throws. */
export async function runCli(deps: CliDeps): Promise<number> {
  const secrets = deps.secrets ?? new Set<string>();
  const world: CliDeps = { ...deps, secrets, runLog: {} };
  let code: number = EXIT.OK;
  const run: CommandRunner = async (handler, flags) => {
    const secret = flags.clientSecret ?? deps.env.DAP_CLIENT_SECRET;
    if (secret) secrets.add(secret);
    code = await handler(flags, world);
  };
  const program = buildProgram(run, { writeOut: deps.stdout, writeErr: deps.stderr });
  try {
    await program.parseAsync([...deps.args], { from: "user" });
    if (deps.args.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
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
