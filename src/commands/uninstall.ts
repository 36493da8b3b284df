import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../cli/base-command.js'
import {connectionOptions, kubeFlags, namespaceFlag, timeoutFlag} from '../cli/flags.js'
import {askConfirm, isInteractive} from '../cli/prompts.js'
import {OPERATOR_NAMESPACE} from '../api/submariner.js'
import {parseDuration} from '../lib/duration.js'
import {uninstall} from '../services/uninstall.js'

export default class Uninstall extends SubctlCommand {
  static override summary = 'Remove Submariner from the current cluster'
  static override description =
    'Removes everything join, deploy-broker and the operator created on the cluster of the current kube context: the components (after the operator cleaned every node), this cluster’s records on the broker, the broker itself when it is here (refused while other clusters still use it, unless --force), RBAC, namespaces, CRDs and gateway labels.'

  static override examples = [
    '<%= config.bin %> uninstall --context c1 --yes',
    '<%= config.bin %> uninstall --context broker --dry-run',
    '<%= config.bin %> uninstall --context broker --yes --force',
  ]

  static override flags = {
    ...kubeFlags,
    namespace: namespaceFlag(OPERATOR_NAMESPACE, 'The Submariner namespace'),
    'dry-run': Flags.boolean({default: false, description: 'List what would be removed; remove nothing'}),
    force: Flags.boolean({default: false, description: 'Remove the broker even though other clusters still use it'}),
    timeout: timeoutFlag,
    yes: Flags.boolean({char: 'y', default: false, description: 'Do not ask for confirmation'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Uninstall)
    const result = await uninstall(
      {
        connection: connectionOptions(flags),
        dryRun: flags['dry-run'],
        force: flags.force,
        namespace: flags.namespace,
        timeoutMs: parseDuration(flags.timeout),
        yes: flags.yes,
      },
      this.reporter(flags['dry-run'] ? 'yaml' : 'table'),
      isInteractive()
        ? (cluster) => askConfirm(`This will completely uninstall Submariner from the cluster "${cluster}". Are you sure you want to continue?`)
        : undefined,
    )
    if (!result) {
      this.log('Nothing was removed.')
      return
    }

    if (flags['dry-run']) {
      this.log(result.removed.length === 0 ? `Nothing to remove on cluster "${result.cluster}".` : `Would remove from cluster "${result.cluster}":`)
      for (const line of result.removed) this.log(`  - ${line}`)
    }
  }
}
