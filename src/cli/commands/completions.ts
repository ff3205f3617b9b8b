/** `dap completions bash|zsh|fish`: a completion script for the shell, on stdout. */
import { EXIT } from "../../errors.ts";
import { flagShape, type OptionSpecs } from "../command_tree/option_spec.ts";
import type { ProgramShape } from "../command_tree/program_shape.ts";
import {
  completionScript,
  type FlagSpec,
  type ProgramSpec,
  type Shell,
  SHELLS,
} from "../completion_script.ts";
import { defineCommand } from "../dap_command.ts";

function flags(options: OptionSpecs): FlagSpec[] {
  return Object.values(options).map((spec) => {
    const shape = flagShape(spec.flags);
    return {
      long: shape.long,
      description: spec.description,
      takesValue: shape.valueName !== undefined,
      ...(spec.choices ? { choices: spec.choices } : {}),
    };
  });
}

/** The program's commands and flags, as completion needs them. */
export function programSpec(program: ProgramShape): ProgramSpec {
  return {
    name: program.name,
    globals: flags(program.options),
    commands: program.commands.map((c) => ({
      name: c.name,
      description: c.description,
      flags: flags(c.options),
    })),
  };
}

function isShell(text: string | undefined): text is Shell {
  return SHELLS.some((shell) => shell === text);
}

/** The `completions` command. */
export const COMPLETIONS = defineCommand({
  name: "completions",
  description: "Print a shell completion script (bash, zsh or fish) on stdout",
  options: {},
  argument: { name: "shell", description: "the shell", choices: SHELLS },
  examples: [
    "completions bash > /etc/bash_completion.d/dap",
    "completions zsh > ~/.zfunc/_dap",
    "completions fish > ~/.config/fish/completions/dap.fish",
  ],
  run: ({ argument, program }, deps) => {
    if (!isShell(argument)) return Promise.resolve(EXIT.USAGE); // the parser checked the choices
    deps.stdout(completionScript(argument, programSpec(program)));
    return Promise.resolve(EXIT.OK);
  },
});
