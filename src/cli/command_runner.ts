/** How a command's handler is run: with its parsed flags, its exit code kept by `runCli`. */
import type { GlobalFlags } from "./resolve_config.ts";
import type { CliDeps } from "./cli_deps.ts";

/** A command's body: flags in, exit code out. */
export type CommandHandler<F> = (flags: F, deps: CliDeps) => Promise<number>;

/** Runs a handler with the flags commander parsed (global flags included). */
export type CommandRunner = <F extends GlobalFlags>(
  handler: CommandHandler<F>,
  flags: F,
) => Promise<void>;
