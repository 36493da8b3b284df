import {ShowCommand} from '../../cli/show-command.js'
import {BROKER_COLUMNS, CONNECTION_COLUMNS, ENDPOINT_COLUMNS, GATEWAY_COLUMNS, VERSION_COLUMNS} from '../../cli/show-tables.js'
import {renderTable} from '../../cli/output.js'
import {showAll, type AllView} from '../../services/show.js'
import {networkText} from '../../lib/show.js'

export default class ShowAll extends ShowCommand<AllView> {
  static override summary = 'Show brokers, connections, endpoints, gateways, networks and versions'
  static override description = 'Everything the other show commands print, for each cluster.'
  static override examples = ['<%= config.bin %> show all', '<%= config.bin %> show all -o json > clusterset.json']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'ClusterSummaryList'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowAll)
    await this.runShow(flags, showAll, (view) => {
      const parts = [view.brokers.length > 0 ? renderTable(BROKER_COLUMNS, view.brokers) : '']
      if (view.installed) {
        parts.push(renderTable(CONNECTION_COLUMNS, view.connections ?? []), renderTable(ENDPOINT_COLUMNS, view.endpoints ?? []), renderTable(GATEWAY_COLUMNS, view.gateways ?? []))
        if (view.network) parts.push(networkText(view.network))
      }

      parts.push(renderTable(VERSION_COLUMNS, view.versions))
      return {
        text: parts.filter(Boolean).join('\n'),
        ...(view.installed ? {} : {warning: 'Submariner connectivity feature is not installed'}),
      }
    })
  }
}
