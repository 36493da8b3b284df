import {ShowCommand} from '../../cli/show-command.js'
import {ENDPOINT_COLUMNS} from '../../cli/show-tables.js'
import {renderTable} from '../../cli/output.js'
import {showEndpoints, type EndpointsView} from '../../services/show.js'

export default class ShowEndpoints extends ShowCommand<EndpointsView> {
  static override summary = 'Show the local and remote endpoints'
  static override description = 'Lists the Endpoint of each gateway and of the remote gateways it connects to.'
  static override examples = ['<%= config.bin %> show endpoints', '<%= config.bin %> show endpoints --contexts c1,c2 -o yaml']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'EndpointList'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowEndpoints)
    await this.runShow(flags, showEndpoints, (view) =>
      'endpoints' in view ? {text: renderTable(ENDPOINT_COLUMNS, view.endpoints)} : {warning: 'Submariner connectivity feature is not installed'},
    )
  }
}
