import {ShowCommand} from '../../cli/show-command.js'
import {CONNECTION_COLUMNS} from '../../cli/show-tables.js'
import {renderTable} from '../../cli/output.js'
import {showConnections, type ConnectionsView} from '../../services/show.js'

export default class ShowConnections extends ShowCommand<ConnectionsView> {
  static override summary = 'Show the connections to other clusters'
  static override description = 'Lists the tunnels of every gateway to the other clusters, with their state and round-trip time, on each cluster of the kubeconfig.'
  static override examples = ['<%= config.bin %> show connections', '<%= config.bin %> show connections --context c1 -o json']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'ConnectionList'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowConnections)
    await this.runShow(flags, showConnections, (view) =>
      'connections' in view ? {text: renderTable(CONNECTION_COLUMNS, view.connections)} : {warning: 'Submariner connectivity feature is not installed'},
    )
  }
}
