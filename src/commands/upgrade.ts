import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../cli/base-command.js'
import {errorBody, reportError} from '../cli/errors.js'
import {connectionOptions, contextsFlag, dryRunFlag, kubeFlags, outputFlag, type OutputFormat, timeoutFlag} from '../cli/flags.js'
import {document, renderPlanned, renderTable} from '../cli/output.js'
import {parseDuration} from '../lib/duration.js'
import {reportClusters, selfUpdateCommand, skewLines, targetVersion} from '../lib/upgrade-plan.js'
import {VERSION} from '../lib/version.js'
import {upgrade, upgradeReport} from '../services/upgrade.js'

const PACKAGE = 'subctl'

export default class Upgrade extends SubctlCommand {
  static override summary = 'Upgrade Submariner on every cluster to this version of subctl'
  static override description =
    'Reports the version of every component in every kube context (or --context/--contexts) and on the broker against the target, then re-applies the CRDs and the operator of this version, moves the Submariner and ServiceDiscovery CRs to the target and waits until every component has rolled out. subctl itself is updated by npm, not by this command.'

  static override examples = [
    '<%= config.bin %> upgrade',
    '<%= config.bin %> upgrade --dry-run -o json',
    '<%= config.bin %> upgrade --context c1 --to-version 0.19.0',
  ]

  static override flags = {
    ...kubeFlags,
    contexts: contextsFlag,
    'dry-run': dryRunFlag,
    output: outputFlag,
    timeout: timeoutFlag,
    'to-version': Flags.string({description: 'The version to upgrade to (default: this subctl’s); a newer one needs a newer subctl'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Upgrade)
    const format = flags.output as OutputFormat
    const target = targetVersion(flags['to-version'], VERSION, PACKAGE)
    const connection = {...connectionOptions(flags), ...(flags.contexts ? {contexts: flags.contexts} : {})}
    const {skew, states} = await upgradeReport({connection, target})
    const rows = skewLines(skew, target, (error) => reportError(error).message)
    if (format === 'table') {
      this.log(`subctl ${VERSION}: upgrading Submariner to ${target}${flags['dry-run'] ? ' (dry run)' : ''}`)
      const keys = ['cluster', 'role', 'component', 'version', 'target', 'state'] as const
      process.stdout.write(renderTable(keys.map((key) => ({header: key.toUpperCase(), value: (row: (typeof rows)[number]) => row[key]})), rows))
    }

    const {planned, upgrades} = await upgrade({connection, dryRun: flags['dry-run'], target, timeoutMs: parseDuration(flags.timeout)}, states, this.reporter(format))
    const failed = [...skew.filter((entry) => 'error' in entry).map((entry) => entry.cluster), ...upgrades.filter((entry) => entry.error !== undefined).map((entry) => entry.cluster)]
    const selfUpdate = selfUpdateCommand(PACKAGE)
    const body = {cliVersion: VERSION, clusters: reportClusters(skew, upgrades, flags['dry-run'], errorBody), dryRun: flags['dry-run'], selfUpdate, targetVersion: target}
    await this.output(format, document('UpgradeReport', body), () => '')
    if (format === 'table') {
      if (flags['dry-run']) process.stdout.write(await renderPlanned(planned))
      for (const entry of upgrades) if (entry.error !== undefined) this.reporter().failure(`Cluster "${entry.cluster}": ${reportError(entry.error).message}`)
      this.log(`subctl itself is not changed by upgrade; npm updates it: ${selfUpdate}`)
    }

    if (failed.length > 0) this.exit(1)
  }
}
