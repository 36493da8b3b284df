import {Flags} from '@oclif/core'

import {SubctlCommand} from '../cli/base-command.js'
import {reportError} from '../cli/errors.js'
import {connectionOptions, contextsFlag, dryRunFlag, kubeFlags, outputFlag, type OutputFormat, timeoutFlag} from '../cli/flags.js'
import {document, renderPlanned, renderTable} from '../cli/output.js'
import {parseDuration} from '../lib/duration.js'
import {selfUpdateCommand, targetVersion} from '../lib/upgrade-plan.js'
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
    const rows = skew.flatMap((entry) =>
      'error' in entry
        ? [{cluster: entry.cluster, component: '', role: '', state: reportError(entry.error).message, target, version: ''}]
        : entry.components.length === 0
          ? [{cluster: entry.cluster, component: '', role: entry.role, state: entry.role === 'none' ? 'nothing to upgrade' : 'no components', target, version: ''}]
          : entry.components.map((row) => ({cluster: entry.cluster, component: row.component, role: entry.role, state: row.upToDate ? 'up to date' : 'behind', target, version: row.version})),
    )
    if (format === 'table') {
      this.log(`subctl ${VERSION}: upgrading Submariner to ${target}${flags['dry-run'] ? ' (dry run)' : ''}`)
      const keys = ['cluster', 'role', 'component', 'version', 'target', 'state'] as const
      process.stdout.write(renderTable(keys.map((key) => ({header: key.toUpperCase(), value: (row: (typeof rows)[number]) => row[key]})), rows))
    }

    const {planned, upgrades} = await upgrade({connection, dryRun: flags['dry-run'], target, timeoutMs: parseDuration(flags.timeout)}, states, this.reporter(format))
    const failed = [...skew.filter((entry) => 'error' in entry).map((entry) => entry.cluster), ...upgrades.filter((entry) => entry.error !== undefined).map((entry) => entry.cluster)]
    const selfUpdate = selfUpdateCommand(PACKAGE)
    const errorOf = (error: unknown) => (({code, hint, message}) => ({code, message, ...(hint ? {hint} : {})}))(reportError(error))
    const body = {
      cliVersion: VERSION,
      clusters: skew.map((entry) => {
        const done = upgrades.find((candidate) => candidate.cluster === entry.cluster)
        if ('error' in entry) return {cluster: entry.cluster, error: errorOf(entry.error)}
        return {
          ...entry,
          applied: done?.applied ?? [],
          upgraded: done !== undefined && done.error === undefined && !flags['dry-run'],
          ...(done?.error === undefined ? {} : {error: errorOf(done.error)}),
        }
      }),
      dryRun: flags['dry-run'],
      selfUpdate,
      targetVersion: target,
    }
    await this.output(format, document('UpgradeReport', body), () => '')
    if (format === 'table') {
      if (flags['dry-run']) process.stdout.write(await renderPlanned(planned))
      for (const entry of upgrades) if (entry.error !== undefined) this.reporter().failure(`Cluster "${entry.cluster}": ${reportError(entry.error).message}`)
      this.log(`subctl itself is not changed by upgrade; npm updates it: ${selfUpdate}`)
    }

    if (failed.length > 0) this.exit(1)
  }
}
