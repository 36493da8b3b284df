import {clusterDocuments, ShowCommand} from '../../cli/show-command.js'
import {showTopology} from '../../services/show.js'
import {drawTopology, type ClusterTopology} from '../../lib/show.js'
import {reportError} from '../../cli/errors.js'
import {document, serialize} from '../../cli/output.js'
import {connectionOptions} from '../../cli/flags.js'

export default class ShowTopology extends ShowCommand<ClusterTopology> {
  static override summary = 'Draw the clusterset: clusters, gateways, tunnels, their state and RTT'
  static override description =
    'Draws every cluster of the kubeconfig with its gateways (● active, ○ passive) and each tunnel with its state and round-trip time, then a matrix of which cluster reaches which.'

  static override examples = ['<%= config.bin %> show topology', '<%= config.bin %> show topology --contexts c1,c2,c3 -o json']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'Topology'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowTopology)
    const result = await showTopology({...connectionOptions(flags), ...(flags.contexts ? {contexts: flags.contexts} : {})})
    const reporter = this.reporter(flags.output as 'table')
    for (const warning of result.warnings) reporter.warning(warning)
    const clusters = result.outcomes.flatMap((outcome) => (outcome.result ? [outcome.result] : []))
    for (const outcome of result.outcomes) {
      if (outcome.error !== undefined) reporter.failure(`Cluster "${outcome.cluster}": ${reportError(outcome.error).message}`)
    }

    if (flags.output === 'table') process.stdout.write(drawTopology(clusters, process.stdout.isTTY === true))
    // The document keeps a cluster that could not be read, with its error, as every show document does.
    else process.stdout.write(await serialize(flags.output as 'json' | 'yaml', document(this.kind, {clusters: clusterDocuments(result.outcomes)})))
    if (result.outcomes.some((outcome) => outcome.error !== undefined)) this.exit(1)
  }
}
