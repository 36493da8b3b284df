#!/usr/bin/env node
// Builds everything the CLI and the agent image need:
//   dist/            the CLI, compiled by tsc (oclif loads commands from dist/commands)
//   dist/agent.js    the agent bundle, one ESM file by esbuild (the CLI itself is never bundled)
//   oclif.manifest.json  the command/flag contract, regenerated; CI fails when the committed one differs
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const run = (file, args) => execFileSync(file, args, {cwd: root, stdio: 'inherit'})

rmSync(join(root, 'dist'), {force: true, recursive: true})
run(bin('tsc'), ['-p', 'tsconfig.build.json'])

// The agent bundle carries manifests/ inline: src/manifests/files.ts reads the folder at run time,
// and here it is replaced by a module that returns the same files, so the image needs only agent.js.
const inlineManifests = {
  name: 'inline-manifests',
  setup(context) {
    context.onLoad({filter: /src[\\/]manifests[\\/]files\.ts$/}, () => {
      const folder = (name) =>
        readdirSync(join(root, 'manifests', name))
          .filter((file) => file.endsWith('.yaml'))
          .sort()
          .map((file) => ({path: `${name}/${file}`, text: readFileSync(join(root, 'manifests', name, file), 'utf8')}))
      const files = {crds: folder('crds'), rbac: folder('rbac')}
      return {contents: `const FILES = ${JSON.stringify(files)}\nexport function manifestFiles(folder) { return FILES[folder] }\n`, loader: 'js'}
    })
  },
}

await build({
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
  bundle: true,
  entryPoints: [join(root, 'src/agent/main.ts')],
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  outfile: join(root, 'dist/agent.js'),
  platform: 'node',
  plugins: [inlineManifests],
  sourcemap: 'linked',
  target: 'node20',
})

run(bin('oclif'), ['manifest'])

// oclif lists commands in the order the file system returns them, which differs between checkouts:
// sort them, so that the committed manifest is the same wherever it is built.
const manifestPath = join(root, 'oclif.manifest.json')
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b)))
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
