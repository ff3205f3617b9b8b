/**
 * Shell completion scripts (bash, zsh, fish) generated from the command tree,
 * so they never drift from the flags. Pure: a description in, a script out.
 */

/** One flag as completion needs it. */
export interface FlagSpec {
  /** `--namespace` */
  long: string;
  description: string;
  /** the flag takes a value */
  takesValue: boolean;
  /** the values it accepts, when fixed */
  choices?: readonly string[];
}

/** The commands and flags of the program. */
export interface ProgramSpec {
  name: string;
  globals: readonly FlagSpec[];
  commands: readonly { name: string; description: string; flags: readonly FlagSpec[] }[];
}

const SHELLS = ["bash", "zsh", "fish"] as const;
/** The shells with a script. */
export type Shell = typeof SHELLS[number];
export { SHELLS };

function clean(text: string): string {
  return text.replace(/[\n'"`$\\[\]:]/g, " ").replace(/\s+/g, " ").trim();
}

/** The completion script for `shell`. */
export function completionScript(shell: Shell, spec: ProgramSpec): string {
  return { bash: bashScript, zsh: zshScript, fish: fishScript }[shell](spec);
}

function bashScript(spec: ProgramSpec): string {
  const fn = `_${spec.name}_completions`;
  const names = spec.commands.map((c) => c.name);
  const globals = spec.globals.map((f) => f.long).join(" ");
  const valueCases = [...spec.globals, ...spec.commands.flatMap((c) => c.flags)]
    .filter((f) => f.choices)
    .map((f) =>
      `    ${f.long}) COMPREPLY=($(compgen -W "${f.choices!.join(" ")}" -- "$cur")); return ;;`
    );
  const commandCases = spec.commands.map((c) =>
    `    ${c.name}) opts="${c.flags.map((f) => f.long).join(" ")} ${globals}" ;;`
  );
  return `# bash completion for ${spec.name}: source it, or save it in /etc/bash_completion.d/${spec.name}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" opts word
  case "$prev" in
${[...new Set(valueCases)].join("\n")}
  esac
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$word" in ${names.join("|")}) command="$word"; break ;; esac
  done
  case "$command" in
${commandCases.join("\n")}
    *) opts="${names.join(" ")} ${globals} --help --version" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F ${fn} ${spec.name}
`;
}

function zshFlag(flag: FlagSpec): string {
  const value = flag.takesValue
    ? `:${flag.long.slice(2)}:${flag.choices ? `(${flag.choices.join(" ")})` : "_files"}`
    : "";
  return `'${flag.long}[${clean(flag.description)}]${value}'`;
}

function zshScript(spec: ProgramSpec): string {
  const globals = spec.globals.map(zshFlag).join(" \\\n    ");
  const commands = spec.commands.map((c) => `'${c.name}:${clean(c.description)}'`).join(" ");
  const cases = spec.commands.map((c) =>
    `    ${c.name}) _arguments ${[...c.flags.map(zshFlag), "$globals[@]"].join(" ")} ;;`
  );
  return `#compdef ${spec.name}
# zsh completion for ${spec.name}: save it as _${spec.name} in a directory on $fpath
_${spec.name}() {
  local -a globals commands
  globals=(${globals})
  commands=(${commands})
  local i command=""
  for (( i = 2; i < CURRENT; i++ )); do
    if (( \${commands[(I)\${words[i]}:*]} )); then command=\${words[i]}; break; fi
  done
  if [[ -z $command ]]; then
    _arguments "$globals[@]" '1:command:->command' && return
    _describe 'command' commands
    return
  fi
  case $command in
${cases.join("\n")}
  esac
}
_${spec.name} "$@"
`;
}

function fishFlag(flag: FlagSpec, condition: string, name: string): string {
  const value = flag.takesValue
    ? (flag.choices ? ` -x -a '${flag.choices.join(" ")}'` : " -r")
    : "";
  return `complete -c ${name}${condition} -l ${flag.long.slice(2)} -d '${
    clean(flag.description)
  }'${value}`;
}

function fishScript(spec: ProgramSpec): string {
  const names = spec.commands.map((c) => c.name).join(" ");
  const lines = [
    `# fish completion for ${spec.name}: save it as ~/.config/fish/completions/${spec.name}.fish`,
    `complete -c ${spec.name} -f`,
    ...spec.commands.map((c) =>
      `complete -c ${spec.name} -n 'not __fish_seen_subcommand_from ${names}' -a ${c.name} -d '${
        clean(c.description)
      }'`
    ),
    ...spec.globals.map((f) => fishFlag(f, "", spec.name)),
    ...spec.commands.flatMap((c) =>
      c.flags.map((f) => fishFlag(f, ` -n '__fish_seen_subcommand_from ${c.name}'`, spec.name))
    ),
  ];
  return lines.join("\n") + "\n";
}
