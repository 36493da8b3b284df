import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../cli/base-command.js'
import {connectionOptions, kubeFlags, outputFlag, type OutputFormat} from '../cli/flags.js'
import {document} from '../cli/output.js'
import {BROKER_INFO_FILE} from '../lib/broker-info.js'
import {recoverBrokerInfo} from '../services/recover-broker-info.js'

export default class RecoverBrokerInfo extends SubctlCommand {
  static override summary = 'Recreate broker-info.subm from a joined cluster'
  static override description =
    'Rebuilds broker-info.subm in the current directory from the Submariner CR of the cluster of the current kube context and from the broker it is joined to.'

  static override examples = ['<%= config.bin %> recover-broker-info --context c1', '<%= config.bin %> recover-broker-info --context c1 -o json']

  static override flags = {
    ...kubeFlags,
    'broker-url': Flags.string({description: 'Broker URL to write (default: the one the cluster uses)'}),
    output: outputFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(RecoverBrokerInfo)
    const format = flags.output as OutputFormat
    const recovered = await recoverBrokerInfo({brokerURL: flags['broker-url'], connection: connectionOptions(flags), file: BROKER_INFO_FILE}, this.reporter(format))
    const body = recovered
      ? {backup: recovered.backup ?? null, brokerURL: recovered.brokerURL, components: recovered.components, file: recovered.path, recovered: true}
      : {reason: 'Submariner connectivity feature is not installed', recovered: false}
    await this.output(format, document('BrokerInfoRecovery', body), () => '')
  }
}
