import {Flags} from '@oclif/core'

import {SubctlCommand} from '../cli/base-command.js'
import {connectionOptions, kubeFlags} from '../cli/flags.js'
import {BROKER_INFO_FILE} from '../lib/broker-info.js'
import {recoverBrokerInfo} from '../services/recover-broker-info.js'

export default class RecoverBrokerInfo extends SubctlCommand {
  static override summary = 'Recreate broker-info.subm from a joined cluster'
  static override description =
    'Rebuilds broker-info.subm in the current directory from the Submariner CR of the cluster of the current kube context and from the broker it is joined to.'

  static override examples = ['<%= config.bin %> recover-broker-info --context c1']

  static override flags = {
    ...kubeFlags,
    'broker-url': Flags.string({description: 'Broker URL to write (default: the one the cluster uses)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(RecoverBrokerInfo)
    await recoverBrokerInfo({brokerURL: flags['broker-url'], connection: connectionOptions(flags), file: BROKER_INFO_FILE}, this.reporter())
  }
}
