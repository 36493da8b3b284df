/**
 * bin/run.cjs's answer to `--help` and `-h`: rendered from oclif.manifest.json and
 * package.json, without loading oclif, so that help starts as fast as `version` (bench/startup).
 * src/help.ts renders the same text when oclif itself is asked.
 */
import {readFileSync} from 'node:fs'

import {type HelpCommand, helpTarget, renderHelp} from './lib/help.js'

interface PackageJson {
  description?: string
  oclif: {bin: string; topics?: Record<string, {description?: string}>}
}

/** Prints the help that argv asks for; false when argv names no command or topic (oclif answers then). */
export function printHelp(argv: readonly string[], binUrl: string): boolean {
  const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, binUrl), 'utf8')) as T
  const manifest = read<{commands: Record<string, HelpCommand>}>('../oclif.manifest.json')
  const pjson = read<PackageJson>('../package.json')
  const context = {
    bin: pjson.oclif.bin,
    commands: Object.values(manifest.commands),
    description: pjson.description,
    topics: Object.fromEntries(Object.entries(pjson.oclif.topics ?? {}).map(([name, topic]) => [name, topic.description])),
    width: process.stdout.columns || Number(process.env.COLUMNS) || 80,
  }
  const target = helpTarget(argv, context)
  if (!target) return false
  process.stdout.write(renderHelp(target, context))
  return true
}
