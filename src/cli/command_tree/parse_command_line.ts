/**
 * Reads a command line against the command tree: global flags before or after
 * the command, `--flag value` and `--flag=value`, `--` to end the flags,
 * `-h`/`--help` and `-V`/`--version` anywhere, `help [command]`. Mistakes
 * become one `UsageError` line, the first one in this order: unknown flag or
 * command (with the closest name), a bad or missing value, a wrong number of
 * arguments, a required flag not given. The value of an unknown flag is never
 * echoed: it may be a mistyped secret. Pure.
 */
import { UsageError } from "../../errors.ts";
import { printable } from "../../printable.ts";
import { closestNames } from "../closest_names.ts";
import { type FlagShape, flagShape, type FlagValues, type OptionSpec } from "./option_spec.ts";
import type { CommandShape, ProgramShape } from "./program_shape.ts";

/** What the command line asks for. */
export type ParsedLine<C extends CommandShape> =
  /** `asked` is false when no command was given at all */
  | { kind: "help"; command?: C; asked: boolean }
  | { kind: "version" }
  | { kind: "run"; command: C; flags: FlagValues; argument?: string };

interface Flag {
  spec: OptionSpec;
  shape: FlagShape;
}

const HELP = new Set(["-h", "--help"]);
const VERSION = new Set(["-V", "--version"]);

function flagsOf(options: Record<string, OptionSpec>): Flag[] {
  return Object.values(options).map((spec) => ({ spec, shape: flagShape(spec.flags) }));
}

function suggestion(name: string, candidates: string[]): string {
  const [best] = closestNames(name, candidates, 1);
  return best ? ` (did you mean ${best}?)` : "";
}

/** One pass over the arguments; `result()` then says what they ask for. */
class LineReader<C extends CommandShape> {
  command?: C;
  readonly values: FlagValues = {};
  readonly positionals: string[] = [];
  readonly problems: string[] = [];
  /** an unknown command that was the first mistake: reported even when help is asked for */
  badCommand?: string;
  help = false;
  version = false;
  /** the program's flags, then the command's once it is known */
  #flags: Flag[] = [];
  #commandFlags: Flag[] = [];

  constructor(readonly program: ProgramShape<C>) {
    this.#adopt(flagsOf(program.options));
  }

  #adopt(flags: Flag[]): void {
    this.#flags = [...flags, ...this.#flags];
    for (const { spec, shape } of flags) {
      if (shape.negated) this.values[shape.name] = true;
      else if (spec.default !== undefined) this.values[shape.name] = spec.default;
    }
  }

  read(args: readonly string[]): void {
    let flagsEnded = false;
    for (let i = 0; i < args.length; i++) {
      const token = args[i]!;
      if (flagsEnded) this.positionals.push(token);
      else if (token === "--") flagsEnded = true;
      else if (token.startsWith("-") && token.length > 1) i += this.#option(token, args[i + 1]);
      else this.#word(token);
    }
  }

  /** Reads one flag; returns 1 when it took the next argument as its value. */
  #option(token: string, next: string | undefined): number {
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const inline = eq > 0 ? token.slice(eq + 1) : undefined;
    if (HELP.has(name) || VERSION.has(name)) {
      if (HELP.has(name)) this.help = true;
      else this.version = true;
      return 0;
    }
    const flag = this.#flags.find((f) => f.shape.long === name || f.shape.short === name);
    if (!flag) {
      this.#unknown(name, inline !== undefined);
      return 0;
    }
    const { spec, shape } = flag;
    if (!shape.valueName) {
      if (inline !== undefined) this.problems.push(`option '${spec.flags}' takes no value`);
      this.values[shape.name] = !shape.negated;
      return 0;
    }
    const value = inline ?? next;
    if (value === undefined) {
      this.problems.push(`option '${spec.flags}' argument missing`);
      return 0;
    }
    if (inline === undefined && this.#looksLikeFlag(value)) {
      // The next word is not echoed: it may be a secret that starts with "--".
      this.problems.push(
        `option '${spec.flags}' argument missing (a value that starts with '-' goes as ${shape.long}=VALUE)`,
      );
      return 0;
    }
    if (spec.choices && !spec.choices.includes(value)) {
      this.problems.push(
        `option '${spec.flags}' argument '${printable(value)}' is invalid; allowed choices are ${
          spec.choices.join(", ")
        }`,
      );
    }
    this.values[shape.name] = value;
    return inline === undefined ? 1 : 0;
  }

  #looksLikeFlag(value: string): boolean {
    return value.startsWith("--") || HELP.has(value) || VERSION.has(value);
  }

  #unknown(name: string, hadValue: boolean): void {
    const longs = ["--help", "--version", ...this.#flags.map((f) => f.shape.long)];
    const shown = `${printable(name, 100)}${hadValue ? "=[redacted]" : ""}`;
    this.problems.push(`unknown option '${shown}'${suggestion(name, longs)}`);
  }

  #word(token: string): void {
    if (this.command) {
      this.positionals.push(token);
    } else if (token === "help" && !this.help) {
      this.help = true;
    } else {
      const command = this.program.commands.find((c) => c.name === token);
      if (command) {
        this.command = command;
        this.#commandFlags = flagsOf(command.options);
        this.#adopt(this.#commandFlags);
        return;
      }
      // After an unknown flag, a word may be its value (a mistyped secret's): never echoed then.
      const names = [...this.program.commands.map((c) => c.name), "help"];
      const problem = `unknown command '${printable(token, 100)}'${suggestion(token, names)}`;
      if (this.problems.length === 0) this.badCommand = problem;
      this.problems.push(problem);
    }
  }

  /** The argument of the command, after checking there is exactly what it takes. */
  #argument(command: C): string | undefined {
    const { argument } = command;
    const [first, ...extra] = this.positionals;
    if (extra.length > 0 || (first !== undefined && !argument)) {
      const takes = argument ? `one argument, <${argument.name}>` : "no arguments";
      const unexpected = printable(extra[0] ?? first!, 100);
      throw new UsageError(`'${command.name}' takes ${takes}; unexpected '${unexpected}'`);
    }
    if (!argument) return undefined;
    if (first === undefined) throw new UsageError(`missing required argument '${argument.name}'`);
    if (argument.choices && !argument.choices.includes(first)) {
      throw new UsageError(
        `argument '${
          printable(first, 100)
        }' is invalid for <${argument.name}>; allowed choices are ${argument.choices.join(", ")}`,
      );
    }
    return first;
  }

  result(): ParsedLine<C> {
    if (this.help && this.badCommand) throw new UsageError(this.badCommand);
    if (this.help) return { kind: "help", command: this.command, asked: true };
    if (this.version) return { kind: "version" };
    if (this.problems.length > 0) throw new UsageError(this.problems[0]!);
    const { command } = this;
    if (!command) return { kind: "help", asked: false };
    const argument = this.#argument(command);
    for (const { spec, shape } of this.#commandFlags) {
      if (spec.required && this.values[shape.name] === undefined) {
        throw new UsageError(`required option '${spec.flags}' not specified`);
      }
    }
    return { kind: "run", command, flags: this.values, argument };
  }
}

/** What `args` ask of `program`; throws a `UsageError` for a mistake. */
export function parseCommandLine<C extends CommandShape>(
  program: ProgramShape<C>,
  args: readonly string[],
): ParsedLine<C> {
  const reader = new LineReader(program);
  reader.read(args);
  return reader.result();
}
