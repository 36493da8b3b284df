#!/usr/bin/env node
// Builds everything the CLI and the agent image need, with esbuild:
//   dist/cli.cjs         the CLI: oclif, every command, the hooks and the help class, as one CommonJS
//       file. bin/run.cjs loads it through V8's code cache (src/cli/compile-cache.ts): start-up is
//       mostly compiling and evaluating modules (bench/startup), Node 20 can cache the compiled code
//       of a vm.Script but not of an ES module, and one file is one read. Each command module is
//       evaluated only when oclif asks for it (the getters of the generated entry below).
//   dist/start.cjs       what bin/run.cjs needs before that: the version, the help fast path, the loader
//   dist/agent.js        the agent bundle, one ESM file (the agent image's entrypoint)
//   oclif.manifest.json  the command/flag contract, regenerated; CI fails when the committed one differs
// Type-checking is tsc's job in `npm run lint`; esbuild only strips the types.
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

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
// makeApiClient), node-fetch (only for applyToFetchOptions) and the proxy agents socks-proxy-agent
// and hpagent (only for createAgent: src/k8s/proxy.ts makes our agents); none is called here. They
// are replaced by modules that fail loudly if ever called, which takes KubeConfig from ~0.9 s to
// ~40 ms, and a few ms more off every command (the proxy agents and the socks client they load).
const kubeConfigOnly = {
  name: 'kubeconfig-only',
  setup(context) {
    context.onResolve({filter: /^\.\/gen\/index\.js$/}, (args) =>
      /client-node[\\/]dist[\\/]config\.js$/.test(args.importer) ? {namespace: 'kubeconfig-only', path: 'gen'} : undefined,
    )
    context.onResolve({filter: /^node-fetch$/}, () => ({namespace: 'kubeconfig-only', path: 'node-fetch'}))
    context.onResolve({filter: /^(socks-proxy-agent|hpagent)$/}, (args) =>
      /client-node[\\/]dist[\\/]config\.js$/.test(args.importer) ? {namespace: 'kubeconfig-only', path: 'proxy-agents'} : undefined,
    )
    const stubs = {
      gen:
        "const unused = () => { throw new Error('client-node generated APIs are not bundled: use src/k8s/client.ts') }\n" +
        'export const createConfiguration = unused\nexport class ServerConfiguration { constructor() { unused() } }\n',
      // Reading globalThis.Headers at load would load undici (~20 ms); only a call does.
      'node-fetch': 'export class Headers { constructor(init) { return new globalThis.Headers(init) } }\nexport default (...args) => globalThis.fetch(...args)\n',
      'proxy-agents':
        "class Unused { constructor() { throw new Error('client-node proxy agents are not bundled: use src/k8s/proxy.ts') } }\n" +
        'export {Unused as SocksProxyAgent, Unused as HttpProxyAgent, Unused as HttpsProxyAgent}\n',
    }
    context.onLoad({filter: /.*/, namespace: 'kubeconfig-only'}, ({path}) => ({contents: stubs[path], loader: 'js'}))
    // Everything we use of the package goes through its KubeConfig module.
    context.onResolve({filter: /^@kubernetes\/client-node$/}, () => ({
      path: join(root, 'node_modules/@kubernetes/client-node/dist/config.js'),
    }))
  },
}

// oclif sorts the commands of a plugin with localeCompare while it loads its configuration; the
// first localeCompare of a process builds ICU's collator (~13 ms of every command). Command ids are
// lowercase ASCII, so the bundle's oclif compares them as strings; the build fails if oclif changes.
const oclifWithoutCollator = {
  name: 'oclif-without-collator',
  setup(context) {
    context.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, ({path}) => {
      const source = readFileSync(path, 'utf8')
      const sort = '.sort((a, b) => a.id.localeCompare(b.id))'
      if (!source.includes(sort)) throw new Error(`${path} no longer sorts commands with ${sort}: update the oclif-without-collator plugin`)
      return {contents: source.replace(sort, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))'), loader: 'js'}
    })
  },
}

// bin/run.cjs reads dist/cli.cjs as Latin-1 (src/cli/compile-cache.ts): one copy, where UTF-8 with
// a single non-ASCII character takes Node's slow decoder (~5 ms of every command). Latin-1 reads
// ASCII exactly, so the bundle must be ASCII. esbuild escapes non-ASCII characters everywhere but
// in regular expression literals, where \uXXXX means the same character: the dependencies that
// have such literals are escaped here, and the build fails if the bundle still is not ASCII.
const ASCII_ESCAPED_SOURCES = [/[\\/]node_modules[\\/]ansis[\\/]index\.js$/]
const asciiRegExps = {
  name: 'ascii-regexps',
  setup(context) {
    for (const filter of ASCII_ESCAPED_SOURCES) {
      context.onLoad({filter}, ({path}) => {
        const source = readFileSync(path, 'utf8')
        // After a backslash, \uXXXX would be read as an escaped backslash and the letters uXXXX.
        if (/\\[\u0080-\uffff]/.test(source)) throw new Error(`${path} escapes a non-ASCII character: update the ascii-regexps plugin`)
        return {contents: source.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`), loader: 'js'}
      })
    }
  },
}

function assertAscii(file) {
  const lines = readFileSync(file, 'utf8').split('\n')
  for (const [index, line] of lines.entries()) {
    const column = line.search(/[\u0080-\uffff]/)
    if (column >= 0) {
      throw new Error(`${relative(root, file)}:${index + 1}:${column + 1} is not ASCII (${JSON.stringify(line.slice(Math.max(0, column - 40), column + 10))}): write \\uXXXX in its source, or add the dependency to ASCII_ESCAPED_SOURCES`)
    }
  }
}

const common = {
  bundle: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  minify: true,
  platform: 'node',
  plugins: [asciiRegExps, inlineManifests, kubeConfigOnly, oclifWithoutCollator],
  sourcemap: 'linked',
  target: 'node20',
}

const commandFiles = readdirSync(join(root, 'src', 'commands'), {recursive: true, withFileTypes: true})
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
  .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
  .sort()
const commandId = (file) => file.replace(/^src\/commands\//, '').replace(/\.ts$/, '').split('/').join(':')

// The CLI bundle's entry, generated so that no command can be left out of it. oclif reads the
// commands (package.json oclif.commands, strategy "explicit"), the hooks and the help class as
// exports of dist/cli.cjs; each is a getter whose require() esbuild turns into a lazily evaluated
// module, so `show connections` evaluates its own modules and not those of join or verify.
const lazy = (file, name = 'default') => `{enumerable: true, get: () => require('./${file}').${name}}`
const cliEntry = `'use strict'
Object.defineProperties(exports, {
  run: ${lazy('src/cli-entry.ts', 'run')},
  initHook: ${lazy('src/hooks/init.ts')},
  commandNotFoundHook: ${lazy('src/hooks/command-not-found.ts')},
  SubctlHelp: ${lazy('src/help.ts')},
  COMMANDS: {enumerable: true, value: Object.defineProperties({}, {
${commandFiles.map((file) => `    ${JSON.stringify(commandId(file))}: ${lazy(file)},`).join('\n')}
  })},
})
`

await build({
  ...common,
  // oclif requires TypeScript (or ts-node) only to run a plugin from its sources, which we never do.
  external: ['typescript', 'ts-node', 'tsx'],
  format: 'cjs',
  outfile: join(root, 'dist/cli.cjs'),
  stdin: {contents: cliEntry, loader: 'js', resolveDir: root, sourcefile: 'cli-bundle-entry.js'},
})

assertAscii(join(root, 'dist/cli.cjs'))

// The code cache of dist/cli.cjs is kept per content: V8 checks a cache against the source's length
// only, so a cache made for another build of the same length would be taken.
const cliHash = createHash('sha256').update(readFileSync(join(root, 'dist/cli.cjs'))).digest('hex').slice(0, 16)
await build({...common, define: {CLI_BUNDLE_HASH: JSON.stringify(cliHash)}, entryPoints: [join(root, 'src/start-entry.ts')], format: 'cjs', outfile: join(root, 'dist/start.cjs')})

await build({
  ...common,
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
  entryPoints: [join(root, 'src/agent/main.ts')],
  format: 'esm',
  outfile: join(root, 'dist/agent.js'),
})

run(bin('oclif'), ['manifest'])

// oclif lists commands in the order the file system returns them, which differs between checkouts:
// sort them, so that the committed manifest is the same wherever it is built.
const manifestPath = join(root, 'oclif.manifest.json')
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b)))
// oclif leaves booleans' defaults out of the manifest; help (src/lib/help.ts) shows them, the true
// ones above all, so they are taken from the command classes.
const {COMMANDS} = createRequire(import.meta.url)(join(root, 'dist/cli.cjs'))
for (const command of Object.values(manifest.commands)) {
  const commandClass = COMMANDS[command.id]
  for (const [name, flag] of Object.entries(command.flags)) {
    const declared = commandClass.flags?.[name] ?? commandClass.baseFlags?.[name]
    if (flag.type === 'boolean' && typeof declared?.default === 'boolean') flag.default = declared.default
  }
}

writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
