/**
 * Help text, rendered from the command contract (oclif.manifest.json's commands and the topics of
 * package.json). One renderer serves both paths: bin/run.cjs answers `--help` from the manifest
 * without loading oclif (start-up, bench/startup), and oclif's own help (`subctl help join`) uses
 * the same functions through src/help.ts. Unlike oclif's default help, a required argument shows
 * bare (BROKER-INFO) and "(required)", and every default is shown, the true ones included.
 */
import {compareText} from './compare.js'

export interface HelpFlag {
  name: string
  char?: string
  description?: string
  summary?: string
  type: 'boolean' | 'option'
  default?: unknown
  allowNo?: boolean
  multiple?: boolean
  options?: readonly string[]
  required?: boolean
  helpGroup?: string
  hidden?: boolean
}

export interface HelpArg {
  name: string
  description?: string
  required?: boolean
  options?: readonly string[]
}

export interface HelpCommand {
  id: string
  summary?: string
  description?: string
  examples?: ReadonlyArray<string | {command: string; description?: string}>
  flags: Record<string, HelpFlag>
  args: Record<string, HelpArg>
  hidden?: boolean
}

export interface HelpContext {
  bin: string
  /** The CLI's own description, heading the root help. */
  description?: string
  commands: HelpCommand[]
  /** Topic name (space- or colon-separated) to description. */
  topics: Record<string, string | undefined>
  /** Columns to wrap at. */
  width: number
}

export type HelpTarget = {kind: 'root'} | {kind: 'topic'; name: string} | {kind: 'command'; command: HelpCommand}

/**
 * What `ARGS --help` (or `help ARGS`) asks about: the longest run of leading words that names a command, else a
 * topic, else the root when no word was typed. Undefined for a word that names nothing, which
 * oclif then answers (did you mean).
 */
export function helpTarget(argv: readonly string[], context: HelpContext): HelpTarget | undefined {
  const words: string[] = []
  for (const argument of argv) {
    if (argument === '--') break
    if (argument.startsWith('-')) continue
    words.push(argument)
  }

  // `help join` asks about join; `help` alone (with --help) about the help command.
  if (words[0] === 'help' && words.length > 1) words.shift()

  for (let count = words.length; count > 0; count--) {
    const id = words.slice(0, count).join(':')
    const command = context.commands.find((candidate) => candidate.id === id)
    if (command) return {kind: 'command', command}
    if (count === words.length && isTopic(id, context)) return {kind: 'topic', name: id}
  }

  return words.length === 0 ? {kind: 'root'} : undefined
}

export function renderHelp(target: HelpTarget, context: HelpContext): string {
  if (target.kind === 'command') return renderCommandHelp(target.command, context)
  if (target.kind === 'topic') return renderTopicHelp(target.name, context)
  return renderRootHelp(context)
}

function isTopic(name: string, context: HelpContext): boolean {
  return context.commands.some((command) => command.id.startsWith(`${name}:`))
}

function topicDescription(name: string, context: HelpContext): string {
  return context.topics[name] ?? context.topics[name.replaceAll(':', ' ')] ?? ''
}

/** The commands and topics one level below `prefix` ('' for the root). */
function children(prefix: string, context: HelpContext): {topics: string[]; commands: HelpCommand[]} {
  const depth = prefix === '' ? 0 : prefix.split(':').length
  const visible = context.commands.filter((command) => !command.hidden && (prefix === '' || command.id.startsWith(`${prefix}:`)))
  const topics = [...new Set(visible.filter((command) => command.id.split(':').length > depth + 1).map((command) => command.id.split(':').slice(0, depth + 1).join(':')))]
  const commands = visible.filter((command) => command.id.split(':').length === depth + 1)
  return {commands: commands.sort((a, b) => compareText(a.id, b.id)), topics: topics.sort()}
}

function renderRootHelp(context: HelpContext): string {
  const {commands, topics} = children('', context)
  return sections(context.width, [
    ['', context.description ?? ''],
    ['USAGE', `$ ${context.bin} [COMMAND]`],
    ['TOPICS', rows(topics.map((topic) => [topic, topicDescription(topic, context)]), context.width)],
    ['COMMANDS', rows(commands.map((command) => [command.id, command.summary ?? '']), context.width)],
  ])
}

function renderTopicHelp(name: string, context: HelpContext): string {
  const {commands, topics} = children(name, context)
  const spaced = (id: string) => id.replaceAll(':', ' ')
  return sections(context.width, [
    ['', topicDescription(name, context)],
    ['USAGE', `$ ${context.bin} ${spaced(name)} COMMAND`],
    ['TOPICS', rows(topics.map((topic) => [spaced(topic), topicDescription(topic, context)]), context.width)],
    ['COMMANDS', rows(commands.map((command) => [spaced(command.id), command.summary ?? '']), context.width)],
  ])
}

function renderCommandHelp(command: HelpCommand, context: HelpContext): string {
  const args = Object.values(command.args)
  const usageArgs = args.map((arg) => (arg.required ? arg.name.toUpperCase() : `[${arg.name.toUpperCase()}]`))
  const flags = Object.values(command.flags).filter((flag) => !flag.hidden)
  const groups = new Map<string, HelpFlag[]>()
  for (const flag of flags.sort((a, b) => compareText(a.name, b.name))) {
    const group = flag.helpGroup ? `${flag.helpGroup.toUpperCase()} FLAGS` : 'FLAGS'
    groups.set(group, [...(groups.get(group) ?? []), flag])
  }

  const flagSections: Array<[string, string]> = [...groups.entries()]
    .sort(([a], [b]) => (a === 'FLAGS' ? -1 : b === 'FLAGS' ? 1 : compareText(a, b)))
    .map(([title, members]) => [title, rows(members.map((flag) => [flagLabel(flag, members), flagDescription(flag)]), context.width)])
  const summary = command.summary ?? ''
  const description = command.description && command.description !== summary ? command.description : ''
  return sections(context.width, [
    ['', summary],
    ['USAGE', `$ ${[context.bin, command.id.replaceAll(':', ' '), ...usageArgs].join(' ')}${flags.length > 0 ? ' [FLAGS]' : ''}`],
    ['ARGUMENTS', rows(args.map((arg) => [arg.name.toUpperCase(), argDescription(arg)]), context.width)],
    ...flagSections,
    ['DESCRIPTION', wrap(description, context.width - 2).join('\n')],
    ['EXAMPLES', (command.examples ?? []).map((example) => exampleText(example, context.bin)).join('\n\n')],
  ])
}

function argDescription(arg: HelpArg): string {
  const parts = [arg.required ? '(required)' : '', arg.description ?? '', arg.options ? `(${arg.options.join('|')})` : '']
  return parts.filter(Boolean).join(' ')
}

/** "-n, --namespace=<value>", "    --[no-]natt"; the short-flag column only when the group has one. */
function flagLabel(flag: HelpFlag, group: HelpFlag[]): string {
  const long = flag.type === 'boolean' ? (flag.allowNo ? `--[no-]${flag.name}` : `--${flag.name}`) : `--${flag.name}=${flag.options ? flag.options.join('|') : '<value>'}${flag.multiple ? '...' : ''}`
  if (flag.char) return `-${flag.char}, ${long}`
  return group.some((member) => member.char) ? `    ${long}` : long
}

function flagDescription(flag: HelpFlag): string {
  const text = flag.summary ?? flag.description ?? ''
  const notes: string[] = []
  if (flag.required) notes.push('(required)')
  const defaultValue = Array.isArray(flag.default) ? flag.default.join(',') : flag.default
  // A description that states its own default ("default: the broker's") says it better than the value.
  const statesDefault = /\(default: /.test(text)
  if (!statesDefault && defaultValue !== undefined && defaultValue !== '' && !(flag.type === 'boolean' && defaultValue === false && !flag.allowNo)) {
    notes.push(`[default: ${String(defaultValue)}]`)
  }

  return [text, ...notes].filter(Boolean).join(' ')
}

function exampleText(example: string | {command: string; description?: string}, bin: string): string {
  const fill = (text: string) => text.replaceAll(/<%=\s*config\.bin\s*%>/g, bin).replaceAll(/<%=\s*command\.id\s*%>/g, '')
  if (typeof example === 'string') return `$ ${fill(example)}`
  return [example.description ? fill(example.description) : '', `$ ${fill(example.command)}`].filter(Boolean).join('\n')
}

/** Two columns: the label, then its text wrapped to the width; long labels put the text on the next line. */
function rows(entries: Array<[string, string]>, width: number): string {
  if (entries.length === 0) return ''
  const labelWidth = Math.min(Math.max(...entries.map(([label]) => label.length)), Math.floor(width / 2))
  const textWidth = Math.max(20, width - 2 - labelWidth - 2)
  return entries
    .flatMap(([label, text]) => {
      const lines = wrap(text, textWidth)
      const indent = ' '.repeat(labelWidth + 2)
      if (label.length > labelWidth) return [label, ...lines.map((line) => indent + line)]
      return lines.length === 0 ? [label] : lines.map((line, index) => (index === 0 ? label.padEnd(labelWidth) + '  ' : indent) + line)
    })
    .join('\n')
}

/** Words wrapped to the width; a word longer than the width keeps its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line)
        line = word
      } else {
        line = line ? `${line} ${word}` : word
      }
    }

    lines.push(line)
  }

  while (lines.length > 0 && lines.at(-1) === '') lines.pop()
  return lines
}

/** Titled sections, each body indented by two spaces; empty ones are left out. */
function sections(width: number, parts: Array<[string, string]>): string {
  return (
    parts
      .filter(([, body]) => body.trim() !== '')
      .map(([title, body]) => (title === '' ? wrap(body, width).join('\n') : `${title}\n${body.split('\n').map((line) => (line ? `  ${line}` : '')).join('\n')}`))
      .join('\n\n') + '\n'
  )
}
