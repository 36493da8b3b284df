/**
 * Shell completion scripts, generated from the command tree (ids like "show connections" and their
 * flags). Static scripts: completing a word never starts subctl, so it is instant.
 */
import {compareText} from './compare.js'

export interface CompletionCommand {
  /** Space-separated id, e.g. "show connections". */
  id: string
  summary?: string
  /** Long flag names without dashes, plus single-character shorthands. */
  flags: Array<{name: string; char?: string; description?: string}>
}

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const
export type Shell = (typeof SHELLS)[number]

interface Tree {
  /** "" is the root; keys are space-separated paths. */
  children: Map<string, Set<string>>
  flags: Map<string, string[]>
}

function buildTree(commands: CompletionCommand[]): Tree {
  const children = new Map<string, Set<string>>()
  const flags = new Map<string, string[]>()
  for (const command of commands) {
    const words = command.id.split(' ')
    for (let depth = 0; depth < words.length; depth++) {
      const parent = words.slice(0, depth).join(' ')
      if (!children.has(parent)) children.set(parent, new Set())
      children.get(parent)?.add(words[depth] ?? '')
    }

    flags.set(
      command.id,
      command.flags.flatMap((flag) => [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])]).sort(),
    )
  }

  return {children, flags}
}

function caseArms(entries: Map<string, string[] | Set<string>>, indent: string): string {
  return [...entries.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([path, words]) => `${indent}"${path}") echo "${[...words].sort().join(' ')}" ;;`)
    .join('\n')
}

function bash(bin: string, tree: Tree): string {
  const fn = `__${bin.replaceAll('-', '_')}`
  return `# ${bin} completion for bash. Load with: source <(${bin} completion bash)
${fn}_children() {
  case "$1" in
${caseArms(tree.children, '    ')}
  esac
}
${fn}_flags() {
  case "$1" in
${caseArms(tree.flags, '    ')}
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ $word == -* ]] && continue
    next="\${path:+$path }$word"
    if [[ -n "$(${fn}_children "$next")$(${fn}_flags "$next")" ]]; then path="$next"; fi
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_flags "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(${fn}_children "$path")" -- "$cur"))
  fi
}
complete -o default -F ${fn} ${bin}
`
}

function zsh(bin: string, tree: Tree): string {
  return `#compdef ${bin}
# ${bin} completion for zsh. Load with: source <(${bin} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(bin, tree).split('\n').slice(1).join('\n')}`
}

function fish(bin: string, commands: CompletionCommand[], tree: Tree): string {
  const lines = [`# ${bin} completion for fish. Load with: ${bin} completion fish | source`, `complete -c ${bin} -f`]
  const quote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  for (const [path, words] of [...tree.children.entries()].sort(([a], [b]) => compareText(a, b))) {
    const parents = path === '' ? [] : path.split(' ')
    const condition =
      parents.length === 0
        ? `__fish_use_subcommand`
        : `__fish_seen_subcommand_from ${parents.at(-1)}; and not __fish_seen_subcommand_from ${[...words].join(' ')}`
    for (const word of [...words].sort()) {
      const summary = commands.find((command) => command.id === (path ? `${path} ${word}` : word))?.summary
      lines.push(`complete -c ${bin} -n ${quote(condition)} -a ${word}${summary ? ` -d ${quote(summary)}` : ''}`)
    }
  }

  for (const command of [...commands].sort((a, b) => compareText(a.id, b.id))) {
    const last = command.id.split(' ').at(-1) ?? ''
    for (const flag of command.flags) {
      lines.push(
        `complete -c ${bin} -n ${quote(`__fish_seen_subcommand_from ${last}`)} -l ${flag.name}` +
          `${flag.char ? ` -s ${flag.char}` : ''}${flag.description ? ` -d ${quote(flag.description)}` : ''}`,
      )
    }
  }

  return lines.join('\n') + '\n'
}

function powershell(bin: string, tree: Tree): string {
  const table = (entries: Map<string, string[] | Set<string>>) =>
    [...entries.entries()]
      .sort(([a], [b]) => compareText(a, b))
      .map(([path, words]) => `    '${path}' = @(${[...words].sort().map((word) => `'${word}'`).join(', ')})`)
      .join('\n')
  return `# ${bin} completion for PowerShell. Load with: ${bin} completion powershell | Out-String | Invoke-Expression
$__${bin}Children = @{
${table(tree.children)}
}
$__${bin}Flags = @{
${table(tree.flags)}
}
Register-ArgumentCompleter -Native -CommandName '${bin}' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $path = ''
  foreach ($element in $commandAst.CommandElements | Select-Object -Skip 1) {
    $word = $element.ToString()
    if ($word -eq $wordToComplete -or $word.StartsWith('-')) { continue }
    $next = if ($path) { "$path $word" } else { $word }
    if ($__${bin}Children.ContainsKey($next) -or $__${bin}Flags.ContainsKey($next)) { $path = $next }
  }
  $candidates = if ($wordToComplete.StartsWith('-')) { $__${bin}Flags[$path] } else { $__${bin}Children[$path] }
  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`
}

/** The completion script for a shell. */
export function completionScript(shell: Shell, bin: string, commands: CompletionCommand[]): string {
  const tree = buildTree(commands)
  switch (shell) {
    case 'bash':
      return bash(bin, tree)
    case 'zsh':
      return zsh(bin, tree)
    case 'fish':
      return fish(bin, commands, tree)
    case 'powershell':
      return powershell(bin, tree)
  }
}
