import {SubctlCommand} from '../cli/base-command.js'
import {VERSION} from '../lib/version.js'

export default class Version extends SubctlCommand {
  static override summary = 'Print the version of subctl'
  static override description = 'Prints the version of this subctl build, as upstream subctl does.'
  static override examples = ['<%= config.bin %> version']

  async run(): Promise<void> {
    await this.parse(Version)
    this.log(`subctl version: ${VERSION}`)
  }
}
