/** `dap completions bash|zsh|fish`: a completion script for the shell, on stdout. */
import { Argument, type CommandUnknownOpts, type Option } from "@commander-js/extra-typings";
import { EXIT } from "../../errors.ts";
import type { DapProgram } from "../build_program.ts";
import type { CommandRunner } from "../command_runner.ts";
import { completionScript, type FlagSpec, type ProgramSpec, SHELLS } from "../completion_script.ts";
import { examples } from "./examples.ts";

function flagSpec(option: Option): FlagSpec | undefined {
  if (!option.long || option.long === "--help" || option.long === "--version") return undefined;
  return {
    long: option.long,
    description: option.description,
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: option.argChoices } : {}),
  };
}

function flags(command: CommandUnknownOpts): FlagSpec[] {
  return command.options.flatMap((option) => flagSpec(option as Option) ?? []);
}

/** The program's commands and flags, as completion needs them. */
export function programSpec(program: CommandUnknownOpts): ProgramSpec {
  return {
    name: program.name(),
    globals: flags(program),
    commands: program.commands
      .filter((c) => c.name() !== "help")
      .map((c) => ({ name: c.name(), description: c.description(), flags: flags(c) })),
  };
}

/** Adds `completions` to the program. */
export function registerCompletions(program: DapProgram, run: CommandRunner): void {
  program.command("completions")
    .description("Print a shell completion script (bash, zsh or fish) on stdout")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText(
      "after",
      examples(
        "completions bash > /etc/bash_completion.d/dap",
        "completions zsh > ~/.zfunc/_dap",
        "completions fish > ~/.config/fish/completions/dap.fish",
      ),
    )
    .action(async (shell, _flags, command) => {
      await run((_f, deps) => {
        deps.stdout(completionScript(shell, programSpec(program)));
        return Promise.resolve(EXIT.OK);
      }, command.optsWithGlobals());
    });
}
