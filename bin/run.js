#!/usr/bin/env node
// `subctl version` and `subctl --version` are answered without loading oclif, which is most of the
// CLI's startup time, because scripts call them often; the output is the same as the oclif command's.
let args = process.argv.slice(2)
if (args.length === 1 && (args[0] === 'version' || args[0] === '--version')) {
  const {VERSION} = await import('../dist/lib/version.js')
  process.stdout.write(args[0] === 'version' ? `subctl version: ${VERSION}\n` : `subctl version ${VERSION}\n`)
} else {
  // Upstream's syntax (-h, --flag=true|false) becomes oclif's; the manifest is read only when needed.
  if (args.some((arg) => arg === '-h' || /^--[^=]+=(true|false)$/i.test(arg))) {
    const [{readFileSync}, {normalizeArgv}] = await Promise.all([import('node:fs'), import('../dist/lib/argv.js')])
    args = normalizeArgv(args, JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8')))
  }

  const {execute} = await import('@oclif/core')
  await execute({args, dir: import.meta.url})
}
