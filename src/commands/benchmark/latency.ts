import {BenchmarkCommand} from '../../cli/benchmark-command.js'

export default class BenchmarkLatency extends BenchmarkCommand {
  static override summary = 'Measure the latency between clusters, or within one'
  static override description =
    'Runs one-byte TCP request/response transactions for 5 s (what netperf TCP_RR measures) from a client pod to a server pod: gateway to gateway, then non-gateway to non-gateway between the cluster of --context and that of --tocontext, each beside the same measurement within the first cluster as a ratio. Prints the minimum, mean, maximum and standard deviation of the latency and the transaction rate. The pods and their namespace are removed at the end.'

  static override examples = ['<%= config.bin %> benchmark latency --context c1 --tocontext c2', '<%= config.bin %> benchmark latency --context c1 --intra-cluster']
  static override flags = {...BenchmarkCommand.flags}

  async run(): Promise<void> {
    const {flags} = await this.parse(BenchmarkLatency)
    await this.runBenchmark('latency', flags)
  }
}
