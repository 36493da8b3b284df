/**
 * bench/globalnet: what Globalnet's translation costs, in one run on one lab of broker,c1,c2,c3.
 *
 *   1. Without Globalnet: c1 and c2 joined to a plain broker; c1 to c2 pod to pod.
 *   2. With Globalnet: everything uninstalled, then c1 and c3 (which overlaps c1) joined to a
 *      --globalnet broker; c1 to c3's exported echo Service at its global IP (SNAT on c1's
 *      gateway, kube-proxy's DNAT of the externalIP on c3's).
 * Both over the vxlan cable, from a pod on c1-control-plane to a pod on the other cluster's worker:
 * TCP throughput (iperf3), TCP connect latency (`nettest connect --open-only`), RUNS alternating
 * runs each, medians, and the ratio Globalnet / plain. Then the time from creating a ServiceExport
 * in c3 to the first TCP connection from c1 to its global IP (EXPORTS services, median).
 *
 *   node --import tsx bench/globalnet.ts [--runs N] [--seconds S] [--exports N] [--keep]
 */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'

import type {GlobalIngressIP} from '../src/api/submariner.js'
import type {KubeObject} from '../src/k8s/objects.js'
import {Resources} from '../src/k8s/resources.js'
import {parseConnectResult} from '../src/lib/nettest-result.js'
import {deployEcho, ensureClusterset, subctlOk, withClient} from '../test/e2e/clusterset.js'
import {ROOT} from '../test/helpers/cli.js'
import {eventually} from '../test/helpers/lab.js'
import {median, netnsOf, round, runIn, spawnIn, withLab} from './support.js'

const {values} = parseArgs({options: {exports: {type: 'string'}, keep: {type: 'boolean'}, runs: {type: 'string'}, seconds: {type: 'string'}}})
const runs = Math.max(1, Number(values.runs ?? 3))
const seconds = Math.max(2, Number(values.seconds ?? 5))
const exportCount = Math.max(1, Number(values.exports ?? 5))
const NAMESPACE = 'bench-globalnet'
const IPERF_PORT = 5201
const AGENT = join(ROOT, 'dist', 'agent.js')
const GLOBALNET_DIR = join(ROOT, '.test-results', 'bench-globalnet')

async function echoPod(cluster: string, node: string): Promise<{name: string; ip: string; netns: string}> {
  const pod = await withClient(cluster, async (client) => {
    const pods = await client.list<KubeObject & {spec: {nodeName: string}; status?: {podIP?: string}}>(Resources.Pod, {labelSelector: 'app=echo', namespace: NAMESPACE})
    return pods.items.find((candidate) => candidate.spec.nodeName === node && candidate.status?.podIP)
  })
  if (!pod) throw new Error(`no echo pod of ${cluster} on ${node}`)
  return {ip: pod.status?.podIP as string, name: pod.metadata.name as string, netns: await netnsOf(`${cluster}/${NAMESPACE}/${pod.metadata.name}`)}
}

/** Received throughput of one iperf3 run, in Gbit/s. */
async function iperf(clientNetns: string, serverIp: string): Promise<number> {
  const output = await runIn(clientNetns, ['iperf3', '--client', serverIp, '--port', String(IPERF_PORT), '--time', String(seconds), '--json'])
  const result = JSON.parse(output) as {end?: {sum_received?: {bits_per_second?: number}}; error?: string}
  if (result.error || !result.end?.sum_received?.bits_per_second) throw new Error(`iperf3 to ${serverIp} failed: ${result.error ?? 'no result'}`)
  return result.end.sum_received.bits_per_second / 1e9
}

/** Median TCP connect time over 50 connections, in ms. */
async function connectLatency(clientNetns: string, target: string): Promise<number> {
  const output = await runIn(clientNetns, [process.execPath, AGENT, 'nettest', 'connect', '--target', target, '--open-only', '--count', '50', '--interval-ms', '20', '--timeout-ms', '2000'])
  const result = parseConnectResult(output)
  if (!result?.passed || !result.latencyMs) throw new Error(`connecting to ${target} failed: ${result?.summary ?? output}`)
  return result.latencyMs.avg
}

interface PathFigures {
  throughput: number[]
  latency: number[]
}

/** Connects until the target answers; each attempt waits at most 1 s. */
async function reachable(netns: string, ip: string, port: number): Promise<void> {
  await eventually(`${ip}:${port} to accept a connection`, async () => (await runIn(netns, ['nc', '-z', '-w', '1', ip, String(port)]).then(() => true, () => false)) || undefined, 120_000, 50)
}

await withLab(
  async () => {
    // 1. The plain clusterset; 2. the Globalnet one, built once the plain one is measured and gone.
    await ensureClusterset('vxlan')
    for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => deployEcho(client, NAMESPACE))
    const plainClient = await echoPod('c1', 'c1-control-plane')
    const plainServer = await echoPod('c2', 'c2-worker')

    // One run on a path, with an iperf3 server in the pod behind the address.
    const measure = async (clientNetns: string, server: {netns: string}, address: string, figures: PathFigures) => {
      const iperfServer = spawnIn(server.netns, ['iperf3', '--server', '--port', String(IPERF_PORT)])
      try {
        await sleep(500)
        await reachable(clientNetns, address, 8080)
        figures.throughput.push(await iperf(clientNetns, address))
        figures.latency.push(await connectLatency(clientNetns, `${address}:8080`))
      } finally {
        iperfServer.kill('SIGKILL')
      }
    }

    const plain: PathFigures = {latency: [], throughput: []}
    for (let run = 0; run < runs; run++) await measure(plainClient.netns, plainServer, plainServer.ip, plain)
    console.error(`  plain c1 -> c2: ${plain.throughput.map((value) => round(value)).join(', ')} Gbit/s; connect ${plain.latency.join(', ')} ms`)

    for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
    for (const cluster of ['c1', 'c2', 'broker']) await subctlOk(['uninstall', '--context', cluster, '--yes'])
    mkdirSync(GLOBALNET_DIR, {recursive: true})
    await subctlOk(['deploy-broker', '--context', 'broker', '--globalnet'], {cwd: GLOBALNET_DIR})
    for (const cluster of ['c1', 'c3']) {
      await subctlOk(['join', 'broker-info.subm', '--context', cluster, '--clusterid', cluster, '--gateway-nodes', `${cluster}-worker`, '--cable-driver', 'vxlan', '--air-gapped'], {cwd: GLOBALNET_DIR})
    }

    try {
      for (const cluster of ['c1', 'c3']) await withClient(cluster, (client) => deployEcho(client, NAMESPACE))
      // A global IP carries only its Service's ports (they are the internal Service's), and iperf3's
      // control and data connections must meet one server: a Service of one pod, on c3-worker.
      const gnServer = await echoPod('c3', 'c3-worker')
      await withClient('c3', async (client) => {
        await client.mergePatch(Resources.Pod, gnServer.name, NAMESPACE, {metadata: {labels: {'bench-iperf': 'true'}}})
        await client.create({apiVersion: 'v1', kind: 'Service', metadata: {name: 'iperf', namespace: NAMESPACE}, spec: {ports: [{name: 'tcp', port: 8080}, {name: 'iperf', port: IPERF_PORT}], selector: {'bench-iperf': 'true'}}})
      })
      await subctlOk(['export', 'service', '--context', 'c3', '--namespace', NAMESPACE, 'iperf'], {cwd: GLOBALNET_DIR})
      const globalIp = await withClient('c3', (client) => eventually('the global IP of iperf', async () => (await client.tryGet<GlobalIngressIP>(Resources.GlobalIngressIP, 'iperf', NAMESPACE))?.status?.allocatedIP))
      const gnClient = await echoPod('c1', 'c1-control-plane')
      const translated: PathFigures = {latency: [], throughput: []}
      for (let run = 0; run < runs; run++) await measure(gnClient.netns, gnServer, globalIp, translated)
      console.error(`  Globalnet c1 -> c3: ${translated.throughput.map((value) => round(value)).join(', ')} Gbit/s; connect ${translated.latency.join(', ')} ms`)

      // 3. Export to a reachable global IP.
      const reachTimes: number[] = []
      for (let index = 0; index < exportCount; index++) {
        const name = `reach-${index}`
        await withClient('c3', (client) => client.create({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: NAMESPACE}, spec: {ports: [{name: 'tcp', port: 8080}], selector: {app: 'echo'}}}))
        const started = Date.now()
        await withClient('c3', (client) => client.create({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name, namespace: NAMESPACE}}))
        const ip = await withClient('c3', (client) => eventually(`the global IP of ${name}`, async () => (await client.tryGet<GlobalIngressIP>(Resources.GlobalIngressIP, name, NAMESPACE))?.status?.allocatedIP, 60_000, 50))
        await reachable(gnClient.netns, ip, 8080)
        reachTimes.push((Date.now() - started) / 1000)
      }

      const ratio = (a: number, b: number) => round(a / b)
      const [plainGbit, gnGbit, plainMs, gnMs] = [median(plain.throughput), median(translated.throughput), median(plain.latency), median(translated.latency)]
      console.log(`bench/globalnet (vxlan cable, pod on c1-control-plane to a pod on the other cluster; iperf3 ${seconds} s and 50 TCP connects, ${runs} runs each, medians)`)
      console.log(`                                 plain c1 -> c2   Globalnet c1 -> c3   Globalnet / plain`)
      console.log(`  TCP throughput (Gbit/s)        ${String(round(plainGbit)).padEnd(17)}${String(round(gnGbit)).padEnd(21)}${ratio(gnGbit, plainGbit)}`)
      console.log(`  TCP connect latency (ms)       ${String(round(plainMs, 3)).padEnd(17)}${String(round(gnMs, 3)).padEnd(21)}${ratio(gnMs, plainMs)}`)
      console.log(`  export to a reachable global IP (${exportCount} services): median ${round(median(reachTimes))} s (min ${round(Math.min(...reachTimes))}, max ${round(Math.max(...reachTimes))})`)
    } finally {
      // Leave the lab as the other benchmarks expect it: a plain clusterset, joined again on demand.
      for (const cluster of ['c1', 'c3']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE)).catch(() => undefined)
      for (const cluster of ['c1', 'c3', 'broker']) await subctlOk(['uninstall', '--context', cluster, '--yes'], {cwd: GLOBALNET_DIR}).catch((error: unknown) => console.error(`bench: ${String(error)}`))
    }
  },
  {clusters: 'broker,c1,c2,c3', keep: values.keep},
)
