import {ShowCommand} from '../../cli/show-command.js'
import {showNetworks} from '../../services/show.js'
import {networkText, type NetworkDetails} from '../../lib/show.js'

export default class ShowNetworks extends ShowCommand<{network: NetworkDetails | null}> {
  static override summary = 'Show the network details of the clusters'
  static override description = 'Shows the network plugin and the pod, service, global and clusterset-IP CIDRs, from the Submariner CR or, without one, discovered live.'
  static override examples = ['<%= config.bin %> show networks', '<%= config.bin %> show networks --context c2 -o json']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'NetworkList'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowNetworks)
    await this.runShow(flags, showNetworks, (view) => (view.network ? {text: networkText(view.network)} : {warning: 'The network details could not be determined'}))
  }
}
