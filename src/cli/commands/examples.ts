/** Example lines for a command's help, shown after its options. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ dap ${line}`).join("\n")}`;
}
