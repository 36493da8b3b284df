import {SubctlCommand} from '../cli/base-command.js'
import SubctlHelp from '../help.js'

/** `subctl help [COMMAND]`: the same text as `--help`, from the one renderer (lib/help.ts). */
export default class HelpCommand extends SubctlCommand {
  static override summary = 'Show the help of subctl or of a command'
  static override description = 'Prints what `COMMAND --help` prints: the usage, arguments, flags with their defaults, and examples.'
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help join', '<%= config.bin %> help show connections']
  static override strict = false

  async run(): Promise<void> {
    const {argv} = await this.parse(HelpCommand)
    await new SubctlHelp(this.config).showHelp(argv as string[])
  }
}
