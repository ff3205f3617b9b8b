/**
 * The help of a program or of one of its commands, laid out in two columns
 * (flag, description) wrapped to the width. Pure: the tree in, text out.
 */
import type { OptionSpec, OptionSpecs } from "./option_spec.ts";
import { BUILT_IN_FLAGS, type CommandShape, type ProgramShape } from "./program_shape.ts";

/** Lines wider than this are wrapped @default 80 */
const WIDTH = 80;

type Row = [term: string, description: string];
type Section = [title: string, rows: Row[]];

function quoted(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

function optionRow(spec: OptionSpec): Row {
  const notes = [
    spec.required ? "(required)" : "",
    spec.choices ? `(choices: ${quoted(spec.choices)})` : "",
    spec.default !== undefined ? `(default: "${spec.default}")` : "",
  ].filter(Boolean);
  return [spec.flags, [spec.description, ...notes].join(" ")];
}

function optionRows(options: OptionSpecs): Row[] {
  return Object.values(options).map(optionRow);
}

/** `text` cut at spaces into lines of at most `width` characters (a longer word keeps its line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

function layout(sections: Section[]): string {
  const termWidth = Math.max(...sections.flatMap(([, rows]) => rows.map(([t]) => t.length)));
  const descriptionWidth = Math.max(20, WIDTH - termWidth - 4);
  const indent = " ".repeat(termWidth + 4);
  return sections.map(([title, rows]) => {
    const lines = rows.map(([term, description]) =>
      `  ${term.padEnd(termWidth)}  ${wrap(description, descriptionWidth).join(`\n${indent}`)}`
    );
    return `${title}:\n${lines.join("\n")}\n`;
  }).join("\n");
}

/** `lines` as shell examples, after a blank line; nothing without lines. */
function examples(program: ProgramShape, lines: readonly string[]): string {
  if (lines.length === 0) return "";
  return `\nExamples:\n${lines.map((e) => `  $ ${program.name} ${e}\n`).join("")}`;
}

function commandHelp(program: ProgramShape, command: CommandShape): string {
  const { argument } = command;
  const usage = `Usage: ${program.name} ${command.name} [options]${
    argument ? ` <${argument.name}>` : ""
  }`;
  const sections: Section[] = [];
  if (argument) {
    const choices = argument.choices ? ` (choices: ${quoted(argument.choices)})` : "";
    sections.push(["Arguments", [[argument.name, `${argument.description}${choices}`]]]);
  }
  sections.push(["Options", [...optionRows(command.options), optionRow(BUILT_IN_FLAGS.help)]]);
  sections.push(["Global options", [
    optionRow(BUILT_IN_FLAGS.version),
    ...optionRows(program.options),
  ]]);
  return `${usage}\n\n${command.description}\n\n${layout(sections)}${
    examples(program, command.examples)
  }`;
}

function programHelp(program: ProgramShape): string {
  const commands: Row[] = program.commands.map((c) => [
    `${c.name} ${c.argument ? `<${c.argument.name}>` : "[options]"}`,
    c.description,
  ]);
  const sections: Section[] = [
    ["Options", [optionRow(BUILT_IN_FLAGS.version), optionRow(BUILT_IN_FLAGS.help)]],
    [program.globalsTitle, optionRows(program.options)],
    ["Commands", [...commands, ["help [command]", "show help for a command"]]],
  ];
  const usage = `Usage: ${program.name} [options] [command]`;
  const text = `${usage}\n\n${program.description}\n\n${layout(sections)}`;
  return `${text}${examples(program, program.examples)}\n${program.epilogue}\n`;
}

/** The help of `command`, or of the program when there is none. */
export function helpText<C extends CommandShape>(program: ProgramShape<C>, command?: C): string {
  return command ? commandHelp(program, command) : programHelp(program);
}
