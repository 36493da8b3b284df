/**
 * bench/join: time from the start of `subctl join` to the operator reporting every component
 * deployed and ready (join waits for exactly that before it exits), per cluster, median of RUNS.
 * Each run starts from a cluster without Submariner (uninstalled, not timed) and joins c1 and c2
 * with a gateway flag, as a script would.
 *
 *   node --import tsx bench/join.ts [--runs N] [--keep]
 */
import {parseArgs} from 'node:util'

import {BROKER_INFO, ensureBroker, subctlOk, waitConnected} from '../test/e2e/clusterset.js'
import {median, round, withLab} from './support.js'

const {values} = parseArgs({options: {keep: {type: 'boolean'}, runs: {type: 'string'}}})
const runs = Math.max(1, Number(values.runs ?? 3))
const CLUSTERS = ['c1', 'c2']

const joinArgs = (cluster: string) => ['join', BROKER_INFO, '--context', cluster, '--clusterid', cluster, '--gateway-nodes', `${cluster}-worker`, '--cable-driver', 'vxlan', '--air-gapped']

await withLab(
  async () => {
    await ensureBroker()
    const times = new Map<string, number[]>(CLUSTERS.map((cluster) => [cluster, []]))
    for (let run = 0; run < runs; run++) {
      for (const cluster of CLUSTERS) await subctlOk(['uninstall', '--context', cluster, '--yes'])
      for (const cluster of CLUSTERS) {
        const started = process.hrtime.bigint()
        await subctlOk(joinArgs(cluster))
        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        times.get(cluster)?.push(seconds)
        console.error(`  run ${run + 1}: join ${cluster} ready in ${round(seconds)} s`)
      }
    }

    await waitConnected('vxlan')
    console.log(`bench/join (join start -> operator reports every component ready; ${runs} runs)`)
    for (const [cluster, samples] of times) {
      console.log(`  ${cluster}: median ${round(median(samples))} s (${samples.map((sample) => round(sample)).join(', ')})`)
    }
  },
  {keep: values.keep},
)
