import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../../cli/base-command.js'
import {connectionOptions, contextNamespaceFlag, kubeFlags, outputFlag, type OutputFormat} from '../../cli/flags.js'
import {document} from '../../cli/output.js'
import {usageError} from '../../lib/errors.js'
import {exportService} from '../../services/export.js'

export default class ExportService extends SubctlCommand {
  static override summary = 'Export a Service to the other clusters of the clusterset'
  static override description =
    'Creates the ServiceExport of a Service, so that every cluster resolves NAME.NAMESPACE.svc.clusterset.local. An existing export is left as it is.'

  static override examples = ['<%= config.bin %> export service nginx -n demo', '<%= config.bin %> export service nginx -n demo --use-clusterset-ip -o json']
  static override args = {name: Args.string({description: 'The Service to export'})}
  static override flags = {
    ...kubeFlags,
    namespace: contextNamespaceFlag(),
    output: outputFlag,
    'use-clusterset-ip': Flags.string({description: 'Give the service a clusterset IP (true/false; bare flag means true)'}),
  }

  async run(): Promise<void> {
    // A bare --use-clusterset-ip means true, as upstream's NoOptDefVal does.
    const index = this.argv.indexOf('--use-clusterset-ip')
    const argv = index !== -1 && (this.argv[index + 1] === undefined || this.argv[index + 1]?.startsWith('-')) ? [...this.argv.slice(0, index + 1), 'true', ...this.argv.slice(index + 1)] : this.argv
    const {args, flags} = await this.parse(ExportService, argv)
    if (!args.name) throw usageError('NAME_MISSING', 'Insufficient arguments: name of the Service to be exported must be specified', 'Pass it: subctl export service NAME -n NAMESPACE')
    const result = await exportService({connection: connectionOptions(flags), name: args.name, namespace: flags.namespace, useClustersetIP: flags['use-clusterset-ip']})
    const format = flags.output as OutputFormat
    if (format === 'table') {
      this.reporter().success(result.outcome === 'created' ? 'Service exported successfully' : 'Service already exported')
      return
    }

    await this.output(format, document('ServiceExportResult', result), () => '')
  }
}
