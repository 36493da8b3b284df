/**
 * oclif's help class (package.json oclif.helpClass), for the help oclif prints itself: `subctl help
 * join`, and help after a parse. It renders with lib/help.ts, as bin/run.cjs's fast path does.
 */
import type {Command} from '@oclif/core'
import {Help} from '@oclif/core/help'

import {unknownCommandMessage} from './lib/commands.js'
import {usageError} from './lib/errors.js'
import {type HelpCommand, type HelpContext, helpTarget, renderHelp} from './lib/help.js'

export default class SubctlHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    const context = this.context()
    const target = helpTarget(argv, context)
    if (!target) {
      const typed = argv.filter((argument) => !argument.startsWith('-')).join(' ')
      const known = context.commands.filter((command) => !command.hidden).map((command) => command.id.replaceAll(':', ' '))
      throw usageError('UNKNOWN_COMMAND', unknownCommandMessage(typed, known, context.bin))
    }

    process.stdout.write(renderHelp(target, context))
  }

  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    process.stdout.write(renderHelp({command: command as unknown as HelpCommand, kind: 'command'}, this.context()))
  }

  private context(): HelpContext {
    const topics = (this.config.pjson.oclif.topics ?? {}) as Record<string, {description?: string}>
    return {
      bin: this.config.bin,
      commands: this.config.commands as unknown as HelpCommand[],
      description: this.config.pjson.description,
      topics: Object.fromEntries(Object.entries(topics).map(([name, topic]) => [name, topic.description])),
      width: process.stdout.columns || Number(process.env.COLUMNS) || 80,
    }
  }
}
