/**
 * bench/throughput: TCP throughput pod to pod across clusters over the vxlan cable, as a ratio to
 * the same measurement between two pods of one cluster on different nodes.
 *
 * iperf3 runs in the pods' network namespaces (the same kernel paths a pod's traffic takes): a
 * server in an echo pod of c2 on c2-worker; clients in a pod of c2 on c2-control-plane (within the
 * cluster: node to node over the lab CNI) and in a pod of c1 on c1-control-plane (across: route
 * agent, vx-submariner, the gateways' vxlan cable). DURATION seconds each, RUNS alternating runs,
 * medians.
 *
 *   node --import tsx bench/throughput.ts [--runs N] [--seconds S] [--keep]
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {parseArgs} from 'node:util'

import type {KubeObject} from '../src/k8s/objects.js'
import {Resources} from '../src/k8s/resources.js'
import {deployEcho, ensureClusterset, withClient} from '../test/e2e/clusterset.js'
import {median, netnsOf, round, runIn, spawnIn, withLab} from './support.js'

const {values} = parseArgs({options: {keep: {type: 'boolean'}, runs: {type: 'string'}, seconds: {type: 'string'}}})
const runs = Math.max(1, Number(values.runs ?? 3))
const seconds = Math.max(2, Number(values.seconds ?? 5))
const NAMESPACE = 'bench-throughput'
const IPERF_PORT = 5201

async function echoPod(cluster: string, node: string): Promise<{name: string; ip: string}> {
  return withClient(cluster, async (client) => {
    const pods = await client.list<KubeObject & {spec: {nodeName: string}; status?: {podIP?: string}}>(Resources.Pod, {labelSelector: 'app=echo', namespace: NAMESPACE})
    const pod = pods.items.find((candidate) => candidate.spec.nodeName === node && candidate.status?.podIP)
    if (!pod) throw new Error(`no echo pod of ${cluster} on ${node}`)
    return {ip: pod.status?.podIP as string, name: pod.metadata.name as string}
  })
}

/** One iperf3 run; received throughput in Gbit/s. */
async function iperf(clientNetns: string, serverIp: string): Promise<number> {
  const output = await runIn(clientNetns, ['iperf3', '--client', serverIp, '--port', String(IPERF_PORT), '--time', String(seconds), '--json'])
  const result = JSON.parse(output) as {end?: {sum_received?: {bits_per_second?: number}}; error?: string}
  if (result.error || !result.end?.sum_received?.bits_per_second) throw new Error(`iperf3 failed: ${result.error ?? 'no result'}`)
  return result.end.sum_received.bits_per_second / 1e9
}

await withLab(
  async () => {
    await ensureClusterset('vxlan')
    for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => deployEcho(client, NAMESPACE))
    const server = await echoPod('c2', 'c2-worker')
    const serverNetns = await netnsOf(`c2/${NAMESPACE}/${server.name}`)
    const intraNetns = await netnsOf(`c2/${NAMESPACE}/${(await echoPod('c2', 'c2-control-plane')).name}`)
    const crossNetns = await netnsOf(`c1/${NAMESPACE}/${(await echoPod('c1', 'c1-control-plane')).name}`)
    const iperfServer = spawnIn(serverNetns, ['iperf3', '--server', '--port', String(IPERF_PORT)])
    try {
      await sleep(500)
      const intra: number[] = []
      const cross: number[] = []
      for (let run = 0; run < runs; run++) {
        intra.push(await iperf(intraNetns, server.ip))
        cross.push(await iperf(crossNetns, server.ip))
        console.error(`  run ${run + 1}: within c2 ${round(intra.at(-1) as number)} Gbit/s, c1 -> c2 ${round(cross.at(-1) as number)} Gbit/s`)
      }

      const [within, across] = [median(intra), median(cross)]
      console.log(`bench/throughput (TCP, iperf3 ${seconds} s x ${runs} runs, medians)`)
      console.log(`  pod -> pod within c2 (node to node):        ${round(within)} Gbit/s`)
      console.log(`  pod -> pod c1 -> c2 over the vxlan cable:   ${round(across)} Gbit/s`)
      console.log(`  ratio across / within: ${round(across / within)}`)
    } finally {
      iperfServer.kill('SIGKILL')
      for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
    }
  },
  {keep: values.keep},
)
