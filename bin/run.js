#!/usr/bin/env node
// `subctl version`, `--version` and help are answered without loading oclif, because scripts call
// them often and --help is much of what a new user types; the output is the same as oclif's path.
const args = process.argv.slice(2)
const end = args.includes('--') ? args.indexOf('--') : args.length
const wantsHelp = args.slice(0, end).some((arg) => arg === '--help' || arg === '-h')
if (args.length === 1 && (args[0] === 'version' || args[0] === '--version')) {
  const {VERSION} = await import('../dist/lib/version.js')
  process.stdout.write(args[0] === 'version' ? `subctl version: ${VERSION}\n` : `subctl version ${VERSION}\n`)
} else if (!(wantsHelp && (await import('../dist/help-entry.js')).printHelp(args, import.meta.url))) {
  const {run} = await import('../dist/cli-entry.js')
  await run(args, import.meta.url)
}
