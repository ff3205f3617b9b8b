/**
 * The command tree as data: a program with its global flags and its
 * commands, each with its own flags, an optional argument and examples.
 * What a command does is not here: the CLI adds that to its commands.
 */
import type { OptionSpecs } from "./option_spec.ts";

/** A command's one positional argument (`completions <shell>`). */
export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
  readonly choices?: readonly string[];
}

/** A command as parsing and help see it. */
export interface CommandShape {
  readonly name: string;
  readonly description: string;
  readonly options: OptionSpecs;
  readonly argument?: ArgumentSpec;
  /** shown after the flags, each as `$ <program> <line>` */
  readonly examples: readonly string[];
}

/** The program: its global flags (accepted before or after the command) and its commands. */
export interface ProgramShape<C extends CommandShape = CommandShape> {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly options: OptionSpecs;
  /** the heading of the global flags in the program's help */
  readonly globalsTitle: string;
  readonly commands: readonly C[];
  /** shown after the commands, each as `$ <program> <line>` */
  readonly examples: readonly string[];
  /** text after the examples */
  readonly epilogue: string;
}

/** `-h, --help` and `-V, --version`, which every program and command accepts. */
export const BUILT_IN_FLAGS = {
  version: { flags: "-V, --version", description: "print the version" },
  help: { flags: "-h, --help", description: "show help" },
} as const;
