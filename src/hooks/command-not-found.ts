import type {Hook} from '@oclif/core'

import {EXIT_USAGE} from '../cli/errors.js'

/** An unknown command is a usage error: one line that says what to do, exit 2. */
const hook: Hook.CommandNotFound = async function (options) {
  const typed = options.id.replaceAll(':', ' ')
  process.stderr.write(`Error: Unknown command "${typed}". Run "${options.config.bin} --help" to list the commands\n`)
  process.exit(EXIT_USAGE)
}

export default hook
