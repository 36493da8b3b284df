import {ShowCommand} from '../../cli/show-command.js'
import {VERSION_COLUMNS} from '../../cli/show-tables.js'
import {renderTable} from '../../cli/output.js'
import {showVersions} from '../../services/show.js'
import type {VersionRow} from '../../lib/show.js'

export default class ShowVersions extends ShowCommand<{versions: VersionRow[]}> {
  static override summary = 'Show the versions of the Submariner components'
  static override description = 'Lists each deployed component with its image repository, the version configured and the version its pods run.'
  static override examples = ['<%= config.bin %> show versions', '<%= config.bin %> show versions --context c1 -o yaml']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'VersionList'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowVersions)
    await this.runShow(flags, showVersions, (view) => ({text: renderTable(VERSION_COLUMNS, view.versions)}))
  }
}
