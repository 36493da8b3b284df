import type {Hook} from '@oclif/core'

import {VERSION} from '../lib/version.js'

/**
 * `subctl --version` answers like upstream (`subctl version X`) rather than with oclif's user agent.
 * oclif ignores errors thrown by hooks, so the hook ends the process itself.
 */
const hook: Hook.Init = async function (options) {
  if (options.id === '--version' || options.id === '-v') {
    process.stdout.write(`${options.config.bin} version ${VERSION}\n`)
    process.exit(0)
  }
}

export default hook
