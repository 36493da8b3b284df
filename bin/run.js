#!/usr/bin/env node
// `subctl version` and `subctl --version` are answered without loading oclif, because scripts call
// them often; the output is the same as the oclif command's.
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === 'version' || args[0] === '--version')) {
  const {VERSION} = await import('../dist/lib/version.js')
  process.stdout.write(args[0] === 'version' ? `subctl version: ${VERSION}\n` : `subctl version ${VERSION}\n`)
} else {
  const {run} = await import('../dist/cli-entry.js')
  await run(args, import.meta.url)
}
