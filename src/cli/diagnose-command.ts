/**
 * What every `diagnose` subcommand shares: the kube flags with --contexts, -n (where probe pods
 * run), --in-cluster, -o table|json|yaml, and the rendering of findings: a `Cluster "x"` heading
 * and one step per check on a terminal (cause and fix under each failure), the versioned
 * DiagnoseReport under -o json|yaml. Exit 1 when anything failed; warnings alone exit 0.
 */
import * as Flags from '@oclif/core/flags'

import {OPERATOR_NAMESPACE} from '../api/submariner.js'
import {diagnoseReport, summaryLine} from '../lib/diagnose-report.js'
import {SubctlError} from '../lib/errors.js'
import {parseImageOverrides} from '../lib/images.js'
import type {DiagnoseSettings} from '../services/diagnose/cluster.js'
import type {InterClusterKind} from '../services/diagnose/firewall.js'
import {diagnoseClusters, diagnoseInterCluster, type ClusterCheck, type DiagnoseOutcome, type DiagnoseOutput} from '../services/diagnose/diagnose.js'
import {SubctlCommand} from './base-command.js'
import {connectionOptions, contextsFlag, kubeFlags, namespaceFlag, outputFlag, prefixedConnectionOptions, prefixedKubeFlags, type OutputFormat} from './flags.js'
import {serialize} from './output.js'

/** --validation-timeout and --verbose: the subcommands that sniff (all, firewall *). */
export const validationFlags = {
  'validation-timeout': Flags.integer({default: 90, description: 'Seconds a sniffer pod listens for the probe traffic', min: 10}),
  verbose: Flags.boolean({default: false, description: 'Print the full output of the probe pods'}),
}

/** --image-override: the subcommands that start probe pods. */
export const imageOverrideFlag = {
  'image-override': Flags.string({delimiter: ',', description: 'Override a component image: COMPONENT=IMAGE, e.g. submariner-nettest=repo/nettest:tag', multiple: true}),
}

interface CommonFlags {
  namespace: string
  output: string
  'validation-timeout'?: number
  verbose?: boolean
  'image-override'?: string[]
}

export abstract class DiagnoseCommand extends SubctlCommand {
  static override flags = {
    ...kubeFlags,
    contexts: contextsFlag,
    namespace: namespaceFlag(OPERATOR_NAMESPACE, 'Namespace in which the probe pods run'),
    'in-cluster': Flags.boolean({default: false, description: 'Use the in-cluster configuration (when subctl runs in a pod)'}),
    output: outputFlag,
  }

  protected settings(flags: CommonFlags): DiagnoseSettings {
    return {
      imageOverrides: parseImageOverrides(flags['image-override'] ?? []),
      namespace: flags.namespace,
      // A sniffer listens for --validation-timeout; its pod may take a while to start beyond that.
      operationTimeoutSeconds: 190 + (flags['validation-timeout'] ?? 90),
      validationTimeoutSeconds: flags['validation-timeout'] ?? 90,
      verbose: flags.verbose ?? false,
    }
  }

  protected renderer(format: OutputFormat): DiagnoseOutput {
    const table = format === 'table'
    return {
      note: (line) => table && process.stderr.write(`${line}\n`),
      onCluster: (context) => table && process.stdout.write(`Cluster "${context}"\n`),
      onGroupEnd: () => table && process.stdout.write('\n'),
      reporter: this.reporter(format),
    }
  }

  /** Prints the summary (or the document) and fails the run when a check failed. */
  protected async finish(format: OutputFormat, outcome: DiagnoseOutcome): Promise<void> {
    for (const warning of outcome.warnings) process.stderr.write(`⚠ ${warning}\n`)
    const report = diagnoseReport(outcome.results)
    if (format === 'table') process.stdout.write(`${summaryLine(report)}\n`)
    else process.stdout.write(await serialize(format, report))
    if (report.passed) return
    if (format !== 'table') this.exit(1)
    const failed = [...new Set(outcome.results.filter((result) => result.status === 'failed').map((result) => `${result.check} on ${result.cluster}`))]
    throw new SubctlError('DIAGNOSE_FAILED', `${report.counts.failed} ${report.counts.failed === 1 ? 'check' : 'checks'} failed (${failed.join(', ')})`, {hint: 'Each failure above says its cause and its fix'})
  }
}

interface ClusterCheckHelp {
  summary: string
  description: string
  /** The subcommand's own flags beyond the shared ones. */
  flags?: Record<string, unknown>
}

/** A subcommand that runs one check (or all) on every cluster of the run. */
export function clusterCheckCommand(check: ClusterCheck, help: ClusterCheckHelp): typeof DiagnoseCommand {
  const flags = {...DiagnoseCommand.flags, ...help.flags} as typeof DiagnoseCommand.flags
  const usage = check === 'all' ? 'all' : check
  return class extends DiagnoseCommand {
    static override summary = help.summary
    static override description = help.description
    static override examples = [`<%= config.bin %> diagnose ${usage} --context c1`, `<%= config.bin %> diagnose ${usage} -o json`]
    static override flags = flags

    async run(): Promise<void> {
      // The class's own static flags; the factory erases their types, so they are read back as the shared shape.
      const values = (await this.parse()).flags as unknown as CommonFlags & Parameters<typeof connectionOptions>[0] & {contexts?: string[]; 'in-cluster'?: boolean}
      const format = values.output as OutputFormat
      const settings = this.settings(values)
      const outcome = await diagnoseClusters(
        check,
        {...connectionOptions(values), ...(values.contexts ? {contexts: values.contexts} : {}), inCluster: Boolean(values['in-cluster'])},
        settings,
        this.renderer(format),
      )
      await this.finish(format, outcome)
    }
  }
}

/** firewall inter-cluster and firewall nat-discovery: --context (local) and --remotecontext / --remoteconfig. */
export function interClusterCommand(kind: InterClusterKind, help: Omit<ClusterCheckHelp, 'flags'>): typeof DiagnoseCommand {
  const usage = kind === 'tunnel' ? 'inter-cluster' : 'nat-discovery'
  const {contexts: _contexts, 'in-cluster': _inCluster, ...shared} = DiagnoseCommand.flags
  const flags = {...shared, ...prefixedKubeFlags('remote', 'the remote cluster'), ...validationFlags, ...imageOverrideFlag} as unknown as typeof DiagnoseCommand.flags
  return class extends DiagnoseCommand {
    static override summary = help.summary
    static override description = help.description
    static override examples = [`<%= config.bin %> diagnose firewall ${usage} --context c1 --remotecontext c2`, `<%= config.bin %> diagnose firewall ${usage} --kubeconfig c1.yaml --remoteconfig c2.yaml -o json`]
    static override flags = flags

    async run(): Promise<void> {
      const values = (await this.parse()).flags as unknown as CommonFlags & Parameters<typeof connectionOptions>[0]
      const format = values.output as OutputFormat
      const remote = prefixedConnectionOptions(values as unknown as Record<string, unknown>, 'remote', {kubeconfig: values.kubeconfig})
      const outcome = await diagnoseInterCluster(kind, connectionOptions(values), remote, this.settings(values), this.renderer(format))
      await this.finish(format, outcome)
    }
  }
}
