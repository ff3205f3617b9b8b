/**
 * A flag declared as data: `--format <format>` with its description, default,
 * choices and whether it must be given. The flag string alone tells its shape
 * (a value or not, negated or not), at run time and, through `FlagsOf`, in the
 * types of the parsed flags. Pure.
 */

/** One flag of a command or of the program. */
export interface OptionSpec {
  /** `--format <format>`, `--merge`, `--no-tracking` or `-V, --version` */
  readonly flags: string;
  readonly description: string;
  /** the value when the flag is not given (flags with a value only) */
  readonly default?: string;
  /** the only values accepted */
  readonly choices?: readonly string[];
  /** the command refuses to run without it; shown as "(required)" */
  readonly required?: boolean;
}

/** Flags by the name of their parsed value: `outputDirectory` for `--output-directory <dir>`. */
export type OptionSpecs = { readonly [name: string]: OptionSpec };

type TakesValue<F extends string> = F extends `${string}<${string}>` ? true : false;

/** What parsing gives for one flag: a string for flags with a value, a boolean otherwise. */
export type FlagValue<S extends OptionSpec> = TakesValue<S["flags"]> extends true
  ? S extends { required: true } | { default: string } ? string : string | undefined
  : S["flags"] extends `--no-${string}` ? boolean
  : boolean | undefined;

/** The parsed flags of a set of specs, typed from the flag strings. */
export type FlagsOf<O extends OptionSpecs> = { -readonly [K in keyof O]: FlagValue<O[K]> };

/** Parsed flags before they are typed. */
export type FlagValues = Record<string, string | boolean | undefined>;

/** The shape a flag string declares. */
export interface FlagShape {
  /** `--format` */
  long: string;
  /** `-V` */
  short?: string;
  /** `format` for `--format <format>`; absent for a switch */
  valueName?: string;
  /** `--no-tracking`: given means false, absent means true */
  negated: boolean;
  /** the parsed value's name: `outputDirectory`, `tracking` for `--no-tracking` */
  name: string;
}

const FLAGS = /^(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?: <([a-z-]+)>)?$/;

/** Reads a flag string; throws on one that is not `[-X, ]--long[ <value>]` (a bug in a declaration). */
export function flagShape(flags: string): FlagShape {
  const match = FLAGS.exec(flags);
  if (!match) throw new Error(`Bad flag declaration '${flags}'`);
  const [short, long, valueName] = [match[1], match[2]!, match[3]];
  const negated = long.startsWith("--no-") && valueName === undefined;
  const bare = negated ? long.slice(5) : long.slice(2);
  return {
    long,
    ...(short ? { short } : {}),
    ...(valueName ? { valueName } : {}),
    negated,
    name: bare.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
  };
}
