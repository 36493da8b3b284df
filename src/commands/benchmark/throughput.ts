import {BenchmarkCommand} from '../../cli/benchmark-command.js'

export default class BenchmarkThroughput extends BenchmarkCommand {
  static override summary = 'Measure the TCP throughput between clusters, or within one'
  static override description =
    'Runs iperf3 (-P 10) from a client pod to a server pod: gateway to gateway, then non-gateway to non-gateway between the cluster of --context and that of --tocontext, each beside the same measurement within the first cluster (non-gateway to gateway node) as a ratio. With --intra-cluster, or without --tocontext, only that same-cluster pass. The pods and their namespace are removed at the end.'

  static override examples = ['<%= config.bin %> benchmark throughput --context c1 --tocontext c2', '<%= config.bin %> benchmark throughput --context c1 --intra-cluster -o json']
  static override flags = {...BenchmarkCommand.flags}

  async run(): Promise<void> {
    const {flags} = await this.parse(BenchmarkThroughput)
    await this.runBenchmark('throughput', flags)
  }
}
