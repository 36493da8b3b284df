/**
 * Upstream's flag syntax, turned into what oclif parses before oclif sees it (bin/run.cjs): `-h` is
 * help everywhere, and a boolean flag takes `--flag=true|false` as cobra's do (`--natt=false`, as
 * upstream's documentation writes it), besides `--flag` and `--no-flag`. The flags of each command
 * come from oclif.manifest.json.
 */

export interface ManifestFlag {
  type: string
  allowNo?: boolean
  aliases?: string[]
}

export interface Manifest {
  commands: Record<string, {flags: Record<string, ManifestFlag>}>
}

/** The command the arguments name: the longest run of leading words that is a command id. */
function commandOf(argv: string[], manifest: Manifest): string | undefined {
  const words: string[] = []
  for (const arg of argv) {
    if (arg.startsWith('-')) break
    words.push(arg)
  }

  for (let length = words.length; length > 0; length--) {
    const id = words.slice(0, length).join(':')
    if (manifest.commands[id]) return id
  }

  return undefined
}

export function normalizeArgv(argv: string[], manifest: Manifest): string[] {
  const id = commandOf(argv, manifest)
  const booleans = new Map<string, {name: string; allowNo: boolean}>()
  for (const [name, flag] of Object.entries(id ? (manifest.commands[id]?.flags ?? {}) : {})) {
    if (flag.type !== 'boolean') continue
    for (const spelling of [name, ...(flag.aliases ?? [])]) booleans.set(spelling, {allowNo: flag.allowNo === true, name})
  }

  const out: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string
    if (arg === '--') {
      out.push(...argv.slice(index))
      break
    }

    if (arg === '-h') {
      out.push('--help')
      continue
    }

    const match = /^--([^=]+)=(.*)$/.exec(arg)
    const flag = match ? booleans.get(match[1] as string) : undefined
    const value = match?.[2]?.toLowerCase()
    if (!flag || (value !== 'true' && value !== 'false')) {
      out.push(arg)
      continue
    }

    // false on a flag that cannot be negated is its default: leave it out.
    if (value === 'true') out.push(`--${flag.name}`)
    else if (flag.allowNo) out.push(`--no-${flag.name}`)
  }

  return out
}
