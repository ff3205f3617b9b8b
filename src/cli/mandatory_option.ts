/**
 * Options a command cannot run without. Commander checks its own required
 * options before it looks for unknown ones, so `--tabel courses` would be
 * reported as a missing `--table`; these are typed as required but checked
 * by `checkMandatory()` in a preAction hook, after unknown options.
 */
import { type CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";

const MANDATORY = new WeakSet<object>();

/** An option that must be given, marked "(required)" in help. */
// deno-lint-ignore explicit-module-boundary-types -- the typed Option commander infers from the flags
export function mandatory<Usage extends string>(flags: Usage, description: string) {
  const option = new Option(flags, `${description} (required)`).makeOptionMandatory();
  option.mandatory = false; // checked by checkMandatory(), after unknown options
  MANDATORY.add(option);
  return option;
}

/** Throws a UsageError for the first mandatory option without a value. */
export function checkMandatory(command: CommandUnknownOpts): void {
  for (const option of command.options) {
    if (!MANDATORY.has(option)) continue;
    if (command.getOptionValue(option.attributeName()) === undefined) {
      throw new UsageError(`required option '${option.flags}' not specified`);
    }
  }
}
