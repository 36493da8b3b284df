import * as Args from '@oclif/core/args'

import {SubctlCommand} from '../../cli/base-command.js'
import {connectionOptions, contextNamespaceFlag, kubeFlags, outputFlag, type OutputFormat} from '../../cli/flags.js'
import {document} from '../../cli/output.js'
import {usageError} from '../../lib/errors.js'
import {unexportService} from '../../services/export.js'

export default class UnexportService extends SubctlCommand {
  static override summary = 'Stop exporting a Service'
  static override description = 'Deletes the ServiceExport of a Service; the other clusters stop resolving it within seconds.'
  static override examples = ['<%= config.bin %> unexport service nginx -n demo', '<%= config.bin %> unexport service nginx -n demo -o json']
  static override args = {name: Args.string({description: 'The Service to stop exporting'})}
  static override flags = {...kubeFlags, namespace: contextNamespaceFlag(), output: outputFlag}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(UnexportService)
    if (!args.name) throw usageError('NAME_MISSING', 'Insufficient arguments: name of the Service to be removed must be specified', 'Pass it: subctl unexport service NAME -n NAMESPACE')
    const result = await unexportService({connection: connectionOptions(flags), name: args.name, namespace: flags.namespace})
    const format = flags.output as OutputFormat
    if (format === 'table') {
      this.reporter().success('Service successfully unexported')
      return
    }

    await this.output(format, document('ServiceExportResult', result), () => '')
  }
}
