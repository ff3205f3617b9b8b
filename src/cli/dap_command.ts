/**
 * A `dap` command: its declaration (name, flags, argument, examples) and what
 * it runs, typed by its own flags plus the global ones. The work is a dynamic
 * import inside `run`, so `dap --version` and `--help` load none of it.
 */
import type { CliDeps } from "./cli_deps.ts";
import type { FlagsOf, FlagValues, OptionSpecs } from "./command_tree/option_spec.ts";
import type { CommandShape, ProgramShape } from "./command_tree/program_shape.ts";
import type { GlobalFlagValues } from "./global_options.ts";

/** What a command is run with besides the world. */
export interface CommandCall<F> {
  flags: F;
  /** the positional argument, for a command that takes one */
  argument?: string;
  /** the whole tree (completions describe it) */
  program: ProgramShape<DapCommand>;
}

/** A command of the tree; its flags are checked against its options by `defineCommand()`. */
export interface DapCommand extends CommandShape {
  run(call: CommandCall<FlagValues>, deps: CliDeps): Promise<number>;
}

/** A command declaration whose `run` sees its flags typed from the flag strings. */
export interface CommandDeclaration<O extends OptionSpecs> extends CommandShape {
  readonly options: O;
  run(call: CommandCall<GlobalFlagValues & FlagsOf<O>>, deps: CliDeps): Promise<number>;
}

/** Declares a command (the parser gives `run` exactly the flags `options` declare). */
export function defineCommand<const O extends OptionSpecs>(
  declaration: CommandDeclaration<O>,
): DapCommand {
  return {
    ...declaration,
    run: (call, deps) =>
      declaration.run({ ...call, flags: call.flags as GlobalFlagValues & FlagsOf<O> }, deps),
  };
}
