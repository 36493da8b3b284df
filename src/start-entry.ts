/**
 * What bin/run.cjs loads first (dist/start.cjs, small): the version and the help fast path, which
 * answer without the CLI bundle, and the loader of that bundle with its code cache.
 */
import {fileURLToPath} from 'node:url'

import {compileCacheFile, requireWithCompileCache} from './cli/compile-cache.js'

export {printHelp} from './help-entry.js'
export {VERSION} from './lib/version.js'

/** The content hash of dist/cli.cjs, set by scripts/build.mjs when it builds this file. */
declare const CLI_BUNDLE_HASH: string

/** Runs the CLI (src/cli-entry.ts, bundled as dist/cli.cjs) on argv. */
export async function runCli(args: string[], binUrl: string): Promise<void> {
  const bundle = fileURLToPath(new URL('../dist/cli.cjs', binUrl))
  const cli = requireWithCompileCache(bundle, compileCacheFile(CLI_BUNDLE_HASH)) as typeof import('./cli-entry.js')
  await cli.run(args, binUrl)
}
