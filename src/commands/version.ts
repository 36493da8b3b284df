import {SubctlCommand} from '../cli/base-command.js'
import {outputFlag, type OutputFormat} from '../cli/flags.js'
import {document} from '../cli/output.js'
import {VERSION} from '../lib/version.js'

export default class Version extends SubctlCommand {
  static override summary = 'Print the version of subctl'
  static override description = 'Prints the version of this subctl build, as upstream subctl does.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version -o json']
  static override flags = {output: outputFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Version)
    const body = {arch: process.arch, node: process.version, platform: process.platform, version: VERSION}
    await this.output(flags.output as OutputFormat, document('Version', body), () => `subctl version: ${VERSION}\n`)
  }
}
