/**
 * The shape every `show` command shares: kube flags with --contexts, -o, one section per cluster
 * headed `Cluster "x"` (tables) or one document listing every cluster (JSON/YAML), and exit 1 if
 * any cluster failed while the others still print.
 */
import type {ClusterOutcome, MultiClusterResult} from '../services/show.js'
import {SubctlCommand} from './base-command.js'
import {errorBody, reportError} from './errors.js'
import {connectionOptions, contextsFlag, kubeFlags, outputFlag, type OutputFormat} from './flags.js'
import {document, serialize} from './output.js'

/** What one cluster's section says in table mode. */
export interface Section {
  text?: string
  warning?: string
  success?: string
}

/** Each cluster's entry of a document: its result, or the error that kept it out, in the error envelope. */
export function clusterDocuments<T extends object>(outcomes: Array<ClusterOutcome<T>>): object[] {
  return outcomes.map((outcome) =>
    outcome.error === undefined
      ? {cluster: outcome.cluster, ...(outcome.result as object)}
      : {cluster: outcome.cluster, error: errorBody(outcome.error)},
  )
}

export abstract class ShowCommand<T extends object> extends SubctlCommand {
  static override flags = {
    ...kubeFlags,
    contexts: contextsFlag,
    output: outputFlag,
  }

  /** The list kind of the JSON/YAML document, e.g. ConnectionList. */
  protected abstract readonly kind: string

  protected async runShow(
    flags: Parameters<typeof connectionOptions>[0] & {contexts?: string[]; output: string},
    collect: (options: ReturnType<typeof connectionOptions> & {contexts?: string[]}) => Promise<MultiClusterResult<T>>,
    section: (result: T, cluster: string) => Section,
  ): Promise<void> {
    const format = flags.output as OutputFormat
    const result = await collect({...connectionOptions(flags), ...(flags.contexts ? {contexts: flags.contexts} : {})})
    const reporter = this.reporter(format)
    for (const warning of result.warnings) reporter.warning(warning)
    const failed = result.outcomes.filter((outcome) => outcome.error !== undefined)
    if (format === 'table') {
      for (const outcome of result.outcomes) this.#printSection(outcome, section, reporter)
    } else {
      process.stdout.write(await serialize(format, document(this.kind, {clusters: clusterDocuments(result.outcomes)})))
    }

    if (failed.length > 0) this.exit(1)
  }

  #printSection(outcome: ClusterOutcome<T>, section: (result: T, cluster: string) => Section, reporter: ReturnType<SubctlCommand['reporter']>): void {
    process.stdout.write(`Cluster "${outcome.cluster}"\n`)
    if (outcome.error !== undefined) {
      const report = reportError(outcome.error)
      reporter.failure(report.hint ? `${report.message}. ${report.hint}` : report.message)
      process.stdout.write('\n')
      return
    }

    const {success, text, warning} = section(outcome.result as T, outcome.cluster)
    if (warning) reporter.warning(warning)
    if (success) reporter.success(success)
    if (text) process.stdout.write(text)
    process.stdout.write('\n')
  }
}
