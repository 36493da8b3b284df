import * as Args from '@oclif/core/args'

import {SubctlCommand} from '../cli/base-command.js'
import {completionScript, SHELLS, type Shell} from '../lib/completion.js'

export default class Completion extends SubctlCommand {
  static override summary = 'Generate the shell completion script'
  static override description =
    'Prints a completion script for bash, zsh, fish or PowerShell that completes subctl commands and flags.'

  static override examples = [
    'source <(<%= config.bin %> completion bash)',
    '<%= config.bin %> completion zsh > "${fpath[1]}/_<%= config.bin %>"',
    '<%= config.bin %> completion fish | source',
  ]

  static override args = {
    shell: Args.string({description: 'The shell to generate the script for', options: [...SHELLS], required: true}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    const commands = this.config.commands
      .filter((command) => !command.hidden)
      .map((command) => ({
        flags: Object.entries(command.flags)
          .filter(([, flag]) => !flag.hidden)
          .map(([name, flag]) => ({char: flag.char, description: flag.summary ?? flag.description?.split('\n')[0], name})),
        id: command.id.replaceAll(':', ' '),
        summary: command.summary ?? command.description?.split('\n')[0],
      }))
    process.stdout.write(completionScript(args.shell as Shell, this.config.bin, commands))
  }
}
