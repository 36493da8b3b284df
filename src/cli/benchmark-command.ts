/** What `benchmark throughput` and `benchmark latency` share: upstream's flags, the run, the output. */
import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from './base-command.js'
import {connectionOptions, kubeFlags, outputFlag, type OutputFormat, prefixedConnectionOptions, prefixedKubeFlags} from './flags.js'
import {renderGrid, serialize} from './output.js'
import {interruptible} from './signals.js'
import {benchmarkRows, type BenchmarkKind} from '../lib/benchmark-result.js'
import {parseImageOverrides} from '../lib/images.js'
import {benchmark} from '../services/benchmark.js'

export abstract class BenchmarkCommand extends SubctlCommand {
  static override flags = {
    ...kubeFlags,
    ...prefixedKubeFlags('to', 'the second cluster'),
    'image-override': Flags.string({delimiter: ',', description: 'Override a component image: COMPONENT=IMAGE, e.g. submariner-nettest=repo/nettest:tag', multiple: true}),
    'intra-cluster': Flags.boolean({default: false, description: 'Measure within the cluster of --context only (non-gateway to gateway node)'}),
    output: outputFlag,
    verbose: Flags.boolean({default: false, description: 'Print what the benchmark does'}),
  }

  protected async runBenchmark(kind: BenchmarkKind, flags: Record<string, unknown> & {output: string; verbose: boolean; 'intra-cluster': boolean; 'image-override'?: string[]; kubeconfig?: string}): Promise<void> {
    const format = flags.output as OutputFormat
    const imageOverrides = parseImageOverrides(flags['image-override'] ?? [])
    const to = flags['intra-cluster'] ? undefined : prefixedConnectionOptions(flags, 'to', {kubeconfig: flags.kubeconfig})
    const outcome = await interruptible(`the ${kind} benchmark`, (signal) =>
      benchmark(
        {from: connectionOptions(flags), imageOverrides, kind, ...(to ? {to} : {})},
        {log: flags.verbose ? (line) => process.stderr.write(`${line}\n`) : () => {}, reporter: this.reporter(format), signal},
      ),
    )
    const report = outcome.value
    if (format !== 'table') {
      process.stdout.write(await serialize(format, report))
    } else if (report.skipped) {
      this.log(report.skipped)
    } else {
      this.log(`\n${renderGrid(benchmarkRows(report))}`)
      if (report.method) this.log(`Latency measured as ${report.method}.`)
    }

    if (outcome.interrupted) this.exit(130)
  }
}
