import {ShowCommand} from '../../cli/show-command.js'
import {GATEWAY_COLUMNS} from '../../cli/show-tables.js'
import {renderTable} from '../../cli/output.js'
import {showGateways, type GatewaysView} from '../../services/show.js'

export default class ShowGateways extends ShowCommand<GatewaysView> {
  static override summary = 'Show the gateway nodes and their state'
  static override description = 'Lists the gateway nodes, which one is active, and how many of their connections are established.'
  static override examples = ['<%= config.bin %> show gateways', '<%= config.bin %> show gateways --context c1 -o json']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'GatewayList'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowGateways)
    await this.runShow(flags, showGateways, (view) =>
      'gateways' in view ? {text: renderTable(GATEWAY_COLUMNS, view.gateways)} : {warning: 'Submariner connectivity feature is not installed'},
    )
  }
}
