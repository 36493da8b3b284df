/**
 * Loads the CLI bundle (dist/cli.cjs) as a CommonJS module whose compiled code V8 keeps in a file
 * between runs. Compiling the bundle is a large part of a command's start-up (bench/startup); Node 20
 * offers no compile cache for ES modules or require() (module.enableCompileCache is Node 22), but a
 * vm.Script takes V8's cached data. The cache is written once, at the end of the first run of a build,
 * with every function that run compiled, and read by every later run.
 *
 * The cache is an optimisation only: without a cache directory, with a cache V8 rejects (another Node,
 * other V8 flags) or when the file cannot be written, the bundle is compiled as usual and the command
 * runs the same; none of these is an error the user could act on, so none is reported.
 */
import {mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire, Module} from 'node:module'
import {homedir} from 'node:os'
import {basename, dirname, join} from 'node:path'
import vm from 'node:vm'

/**
 * Where subctl keeps caches, as oclif's cacheDir would say: $SUBCTL_CACHE_DIR, else the platform's
 * per-user cache folder. Undefined when it cannot be told (no home directory).
 */
export function cacheDirectory(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string | undefined): string | undefined {
  if (env.SUBCTL_CACHE_DIR) return env.SUBCTL_CACHE_DIR
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA ?? (home ? join(home, 'AppData', 'Local') : undefined)
    return base ? join(base, 'subctl') : undefined
  }
  if (platform === 'darwin') return home ? join(home, 'Library', 'Caches', 'subctl') : undefined
  const base = env.XDG_CACHE_HOME ?? (home ? join(home, '.cache') : undefined)
  return base ? join(base, 'subctl') : undefined
}

/**
 * The cache file of one build of the bundle (its content hash) under one Node (V8 takes only the
 * cache of its own version); undefined when caching is off (SUBCTL_NO_COMPILE_CACHE) or has no place.
 */
export function compileCacheFile(bundleHash: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SUBCTL_NO_COMPILE_CACHE) return undefined
  let home: string | undefined
  try {
    home = homedir()
  } catch {
    home = undefined
  }

  const directory = cacheDirectory(env, process.platform, home)
  return directory ? join(directory, 'compile-cache', `cli-${bundleHash}-node${process.versions.v8}-${process.arch}.bin`) : undefined
}

/**
 * Evaluates `file`, an ASCII file, as the CommonJS module require() would make of it, with its code
 * cache, and returns its exports.
 */
export function requireWithCompileCache(file: string, cacheFile: string | undefined): unknown {
  // require() resolves symbolic links: register the module under the same name, so that oclif's
  // require of dist/cli.cjs gets this module rather than evaluating a second copy of the CLI.
  const filename = realpathSync(file)
  let cachedData: Buffer | undefined
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile)
    } catch {
      cachedData = undefined // the first run of this build
    }
  }

  // Latin-1: the build keeps the bundle ASCII (scripts/build.mjs), which Latin-1 reads exactly and in
  // one copy; Node's UTF-8 decoder is several times slower on a file with any non-ASCII character.
  const script = new vm.Script(Module.wrap(readFileSync(filename, 'latin1')), {
    cachedData,
    filename,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  })
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', () => writeCache(cacheFile, script))
  }

  const module = new Module(filename)
  module.filename = filename
  const localRequire = createRequire(filename)
  localRequire.cache[filename] = module
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void
  wrapper.call(module.exports, module.exports, localRequire, module, filename, dirname(filename))
  module.loaded = true
  return module.exports
}

function writeCache(cacheFile: string, script: vm.Script): void {
  try {
    mkdirSync(dirname(cacheFile), {mode: 0o700, recursive: true})
    // Written aside and renamed, so that a concurrent run reads either no cache or a whole one.
    const partial = `${cacheFile}.${process.pid}`
    writeFileSync(partial, script.createCachedData(), {mode: 0o600})
    renameSync(partial, cacheFile)
    // The caches of earlier builds and Node versions are of no further use, nor what a run killed
    // before its rename left (a run writing at this moment loses its write: it compiles next time).
    for (const name of readdirSync(dirname(cacheFile))) {
      if (name !== basename(cacheFile) && /^cli-.*\.bin(\.\d+)?$/.test(name)) rmSync(join(dirname(cacheFile), name), {force: true})
    }
  } catch {
    // A read-only or full cache directory: the next run compiles again (see the opening comment).
  }
}
