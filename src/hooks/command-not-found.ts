import type {Hook} from '@oclif/core'

import {EXIT_USAGE} from '../cli/errors.js'
import {unknownCommandMessage} from '../lib/commands.js'

/** An unknown command is a usage error: one line that says what to do, exit 2. */
const hook: Hook.CommandNotFound = async function (options) {
  const typed = options.id.replaceAll(':', ' ')
  const known = options.config.commands.filter((command) => !command.hidden).map((command) => command.id.replaceAll(':', ' '))
  process.stderr.write(`Error: ${unknownCommandMessage(typed, known, options.config.bin)}\n`)
  process.exit(EXIT_USAGE)
}

export default hook
