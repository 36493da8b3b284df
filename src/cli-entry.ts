/**
 * What bin/run.cjs loads for everything but `version`: upstream's argument syntax turned into
 * oclif's, then oclif. It is bundled with the commands (scripts/build.mjs), so that they share one
 * copy of @oclif/core.
 */
import {readFileSync} from 'node:fs'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execute} from '@oclif/core/execute'
import {settings} from '@oclif/core/settings'

import {normalizeArgv} from './lib/argv.js'

export async function run(args: string[], binUrl: string): Promise<void> {
  // Upstream's syntax (-h, --flag=true|false) becomes oclif's; the manifest is read only when needed.
  if (args.some((arg) => arg === '-h' || /^--[^=]+=(true|false)$/i.test(arg))) {
    args = normalizeArgv(args, JSON.parse(readFileSync(new URL('../oclif.manifest.json', binUrl), 'utf8')))
  }

  // The CLI is always the bundle in dist/: oclif must not look for src/*.ts even under
  // NODE_ENV=development or test (which it takes as "run from the TypeScript sources").
  settings.enableAutoTranspile = false
  // The package's folder, where oclif would otherwise look for package.json from bin/run.cjs upwards.
  await execute({args, dir: dirname(fileURLToPath(new URL('../package.json', binUrl)))})
}
