#!/usr/bin/env node
// Builds everything the CLI and the agent image need, with esbuild:
//   dist/commands/**, dist/hooks/*, dist/cli-entry.js   the CLI: one ESM file per oclif command and
//       hook, sharing chunks in dist/chunks/. Bundled because start-up is mostly module loading:
//       @oclif/core and client-node as hundreds of files cost more than a second (bench/startup).
//   dist/agent.js        the agent bundle, one ESM file (the agent image's entrypoint)
//   oclif.manifest.json  the command/flag contract, regenerated; CI fails when the committed one differs
// Type-checking is tsc's job in `npm run lint`; esbuild only strips the types.
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {build} from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const run = (file, args) => execFileSync(file, args, {cwd: root, stdio: 'inherit'})

rmSync(join(root, 'dist'), {force: true, recursive: true})

// Both bundles carry manifests/ inline: src/manifests/files.ts reads the folder at run time, and
// here it is replaced by a module that returns the same files, so neither depends on where it lies.
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

// Of @kubernetes/client-node we use KubeConfig alone (src/k8s/kubeconfig.ts): credentials, TLS and
// auth plugins. Its config module imports the generated API (gen/, thousands of models, only for
// makeApiClient) and node-fetch (only for applyToFetchOptions); neither is called here. They are
// replaced by modules that fail loudly if ever called, which takes KubeConfig from ~0.9 s to ~40 ms.
const kubeConfigOnly = {
  name: 'kubeconfig-only',
  setup(context) {
    context.onResolve({filter: /^\.\/gen\/index\.js$/}, (args) =>
      /client-node[\\/]dist[\\/]config\.js$/.test(args.importer) ? {namespace: 'kubeconfig-only', path: 'gen'} : undefined,
    )
    context.onResolve({filter: /^node-fetch$/}, () => ({namespace: 'kubeconfig-only', path: 'node-fetch'}))
    context.onLoad({filter: /.*/, namespace: 'kubeconfig-only'}, ({path}) => ({
      contents:
        path === 'gen'
          ? "const unused = () => { throw new Error('client-node generated APIs are not bundled: use src/k8s/client.ts') }\n" +
            'export const createConfiguration = unused\nexport class ServerConfiguration { constructor() { unused() } }\n'
          : // Reading globalThis.Headers at load would load undici (~20 ms); only a call does.
            'export class Headers { constructor(init) { return new globalThis.Headers(init) } }\nexport default (...args) => globalThis.fetch(...args)\n',
      loader: 'js',
    }))
    // Everything we use of the package goes through its KubeConfig module.
    context.onResolve({filter: /^@kubernetes\/client-node$/}, () => ({
      path: join(root, 'node_modules/@kubernetes/client-node/dist/config.js'),
    }))
  },
}

const common = {
  // Some dependencies are CommonJS and call require(); give the ESM bundles one.
  banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
  bundle: true,
  format: 'esm',
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  minify: true,
  platform: 'node',
  plugins: [inlineManifests, kubeConfigOnly],
  sourcemap: 'linked',
  target: 'node20',
}

const sources = (folder) =>
  readdirSync(join(root, 'src', folder), {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))

await build({
  ...common,
  chunkNames: 'chunks/[name]-[hash]',
  entryPoints: [...sources('commands'), ...sources('hooks'), 'src/cli-entry.ts', 'src/help-entry.ts', 'src/help.ts', 'src/lib/version.ts'].map((file) => join(root, file)),
  // oclif requires TypeScript (or ts-node) only to run a plugin from its sources, which we never do.
  external: ['typescript', 'ts-node', 'tsx'],
  outbase: join(root, 'src'),
  outdir: join(root, 'dist'),
  splitting: true,
})

await build({...common, entryPoints: [join(root, 'src/agent/main.ts')], outfile: join(root, 'dist/agent.js')})

run(bin('oclif'), ['manifest'])

// oclif lists commands in the order the file system returns them, which differs between checkouts:
// sort them, so that the committed manifest is the same wherever it is built.
const manifestPath = join(root, 'oclif.manifest.json')
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b)))
// oclif leaves booleans' defaults out of the manifest; help (src/lib/help.ts) shows them, the true
// ones above all, so they are taken from the command classes.
for (const command of Object.values(manifest.commands)) {
  const {default: commandClass} = await import(pathToFileURL(join(root, ...command.relativePath)).href)
  for (const [name, flag] of Object.entries(command.flags)) {
    const declared = commandClass.flags?.[name] ?? commandClass.baseFlags?.[name]
    if (flag.type === 'boolean' && typeof declared?.default === 'boolean') flag.default = declared.default
  }
}

writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
