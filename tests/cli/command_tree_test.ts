import { assertEquals, assertThrows } from "../support/assert.ts";
import { UsageError } from "../../src/errors.ts";
import { helpText } from "../../src/cli/command_tree/help_text.ts";
import { flagShape } from "../../src/cli/command_tree/option_spec.ts";
import { parseCommandLine } from "../../src/cli/command_tree/parse_command_line.ts";
import type { CommandShape, ProgramShape } from "../../src/cli/command_tree/program_shape.ts";
import { DAP_PROGRAM } from "../../src/cli/program.ts";

const COPY: CommandShape = {
  name: "copy",
  description: "Copy a table",
  options: {
    table: { flags: "--table <table>", description: "the table", required: true },
    format: { flags: "--format <format>", description: "the format", default: "jsonl" },
    merge: { flags: "--merge", description: "one file" },
  },
  examples: ["copy --table t"],
};
const SHELL: CommandShape = {
  name: "shell",
  description: "A script",
  options: {},
  argument: { name: "kind", description: "the kind", choices: ["bash", "zsh"] },
  examples: [],
};
const PROGRAM: ProgramShape = {
  name: "tool",
  description: "A tool",
  version: "1.2.3",
  options: {
    level: { flags: "--level <level>", description: "log level", choices: ["info", "debug"] },
    secret: { flags: "--secret <secret>", description: "the secret" },
    tracking: { flags: "--no-tracking", description: "never track" },
  },
  globalsTitle: "Global options",
  commands: [COPY, SHELL],
  examples: ["copy --table t --merge"],
  epilogue: "Bye.",
};

const parse = (...args: string[]) => parseCommandLine(PROGRAM, args);
/** The whole message, so that nothing more (a value) is echoed. */
const refused = (args: string[], message: string) =>
  assertEquals(assertThrows(() => parseCommandLine(PROGRAM, args), UsageError).message, message);

Deno.test("flagShape() reads a flag string: value, short form, negation and the value's name", () => {
  assertEquals(flagShape("--output-directory <dir>"), {
    long: "--output-directory",
    valueName: "dir",
    negated: false,
    name: "outputDirectory",
  });
  assertEquals(flagShape("-V, --version"), {
    long: "--version",
    short: "-V",
    negated: false,
    name: "version",
  });
  assertEquals(flagShape("--no-log-to-console"), {
    long: "--no-log-to-console",
    negated: true,
    name: "logToConsole",
  });
  assertThrows(() => flagShape("--Bad flag"), Error, "Bad flag declaration '--Bad flag'");
});

Deno.test("every dap flag is keyed by the name its value is parsed under", () => {
  const specs = [DAP_PROGRAM.options, ...DAP_PROGRAM.commands.map((c) => c.options)];
  const wrong = specs.flatMap((options) =>
    Object.entries(options).filter(([key, spec]) => flagShape(spec.flags).name !== key)
      .map(([key, spec]) => `${key}: ${spec.flags}`)
  );
  assertEquals(wrong, []);
});

Deno.test("parseCommandLine() takes global flags before and after the command, both value forms, and defaults", () => {
  const line = parse("--level", "debug", "copy", "--table=courses", "--merge", "--no-tracking");
  assertEquals(line, {
    kind: "run",
    command: COPY,
    flags: { tracking: false, level: "debug", table: "courses", format: "jsonl", merge: true },
    argument: undefined,
  });
  assertEquals(parse("copy", "--table", "a", "--table", "b", "--level=info"), {
    kind: "run",
    command: COPY,
    flags: { tracking: true, table: "b", format: "jsonl", level: "info" },
    argument: undefined,
  });
  assertEquals(parse("shell", "--", "bash"), {
    kind: "run",
    command: SHELL,
    flags: { tracking: true },
    argument: "bash",
  });
  assertEquals(parse("copy", "--table", "-x"), {
    kind: "run",
    command: COPY,
    flags: { tracking: true, table: "-x", format: "jsonl" },
    argument: undefined,
  });
});

Deno.test("parseCommandLine() answers help and version wherever they are asked, even beside mistakes", () => {
  assertEquals(parse("--help"), { kind: "help", command: undefined, asked: true });
  assertEquals(parse("copy", "-h", "--tabel"), { kind: "help", command: COPY, asked: true });
  assertEquals(parse("help", "copy"), { kind: "help", command: COPY, asked: true });
  assertEquals(parse("copy", "--bogus", "-V"), { kind: "version" });
  assertEquals(parse(), { kind: "help", asked: false });
  assertEquals(parse("--level", "info"), { kind: "help", asked: false });
  refused(["help", "cpy"], "unknown command 'cpy' (did you mean copy?)");
  // the word after an unknown flag may be its value: never echoed, even with --help
  assertEquals(parse("--scret", "hunter2", "copy", "--help"), {
    kind: "help",
    command: COPY,
    asked: true,
  });
  refused(["--scret", "hunter2", "copy"], "unknown option '--scret' (did you mean --secret?)");
});

Deno.test("parseCommandLine() reports the first mistake in one line, never echoing an unknown flag's value", () => {
  refused(["copy", "--tabel", "x"], "unknown option '--tabel' (did you mean --table?)");
  refused(
    ["copy", "--secrte=hunter2"],
    "unknown option '--secrte=[redacted]' (did you mean --secret?)",
  );
  refused(["--table", "x", "copy"], "unknown option '--table'");
  refused(["copy", "--x\u001b[2J"], "unknown option '--x\\x1b[2J'");
  refused(["cpy"], "unknown command 'cpy' (did you mean copy?)");
  refused(["copy", "--table"], "option '--table <table>' argument missing");
  refused(
    ["copy", "--table", "--merge"],
    "option '--table <table>' argument missing (a value that starts with '-' goes as --table=VALUE)",
  );
  assertEquals(parse("copy", "--table=--odd"), {
    kind: "run",
    command: COPY,
    flags: { tracking: true, table: "--odd", format: "jsonl" },
    argument: undefined,
  });
  refused(["copy", "--table", "t", "--merge=yes"], "option '--merge' takes no value");
  refused(
    ["copy", "--table", "t", "--level", "loud"],
    "option '--level <level>' argument 'loud' is invalid; allowed choices are info, debug",
  );
  refused(["copy", "--table", "t", "extra"], "'copy' takes no arguments; unexpected 'extra'");
  refused(["shell"], "missing required argument 'kind'");
  refused(["shell", "bash", "zsh"], "'shell' takes one argument, <kind>; unexpected 'zsh'");
  refused(
    ["shell", "tcsh"],
    "argument 'tcsh' is invalid for <kind>; allowed choices are bash, zsh",
  );
  refused(["copy", "--merge"], "required option '--table <table>' not specified");
  refused(["copy", "--tabel", "x"], "unknown option '--tabel' (did you mean --table?)"); // not the missing --table
});

Deno.test("helpText() lays out a command's flags, the global ones and its examples, wrapped at 80 columns", () => {
  assertEquals(
    helpText(PROGRAM, COPY),
    `Usage: tool copy [options]

Copy a table

Options:
  --table <table>    the table (required)
  --format <format>  the format (default: "jsonl")
  --merge            one file
  -h, --help         show help

Global options:
  -V, --version      print the version
  --level <level>    log level (choices: "info", "debug")
  --secret <secret>  the secret
  --no-tracking      never track

Examples:
  $ tool copy --table t
`,
  );
  const program = helpText(PROGRAM);
  assertEquals(
    program.slice(program.indexOf("Commands:")),
    `Commands:
  copy [options]     Copy a table
  shell <kind>       A script
  help [command]     show help for a command

Examples:
  $ tool copy --table t --merge

Bye.
`,
  );
  const long = {
    ...PROGRAM,
    description: "x",
    commands: [{ ...SHELL, description: "word ".repeat(20).trim() }],
  };
  assertEquals(
    helpText(long).split("Commands:\n")[1]!.split("\n\n")[0],
    `  shell <kind>       word word word word word word word word word word word word
                     word word word word word word word word
  help [command]     show help for a command`,
  );
});
