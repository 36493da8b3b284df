/**
 * bench/clusterset-ip: what the clusterset IP's virtual IP costs against the remote service IP it
 * translates to, in one run on the lab (broker, c1, c2; joined with clusterset IPs, our default).
 * c2 exports a one-pod echo Service; a pod on c1-control-plane (a non-gateway node, so through
 * vx-submariner, the gateway and the vxlan cable) connects to it two ways, alternating runs:
 *   - through the clusterset IP (the route agent's DNAT on c1's node, then c2's kube-proxy);
 *   - through c2's service IP directly (c2's kube-proxy only).
 * Figures, medians of RUNS runs: TCP connect latency (50 connects, `nettest connect --open-only`)
 * and HTTP requests per second (one client, a new connection per request, COUNT requests), with
 * the clusterset IP's performance as a fraction of the direct path's (1.0 = no cost).
 *
 *   node --import tsx bench/clusterset-ip.ts [--runs N] [--count N] [--keep]
 */
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import type {ServiceImport} from '../src/api/mcs.js'
import type {KubeObject} from '../src/k8s/objects.js'
import {Resources} from '../src/k8s/resources.js'
import {parseConnectResult} from '../src/lib/nettest-result.js'
import {deployEcho, ensureClusterset, subctlOk, withClient} from '../test/e2e/clusterset.js'
import {ROOT} from '../test/helpers/cli.js'
import {eventually} from '../test/helpers/lab.js'
import {median, netnsOf, round, runIn, withLab} from './support.js'

const {values} = parseArgs({options: {count: {type: 'string'}, keep: {type: 'boolean'}, runs: {type: 'string'}}})
const runs = Math.max(1, Number(values.runs ?? 5))
const count = Math.max(10, Number(values.count ?? 200))
const NAMESPACE = 'bench-clusterset-ip'
const AGENT = join(ROOT, 'dist', 'agent.js')

/** The average of `nettest connect` attempts to a target, in ms. */
async function attemptMs(netns: string, args: string[], target: string): Promise<number> {
  const output = await runIn(netns, [process.execPath, AGENT, 'nettest', 'connect', '--target', target, ...args, '--interval-ms', '1', '--timeout-ms', '2000'])
  const result = parseConnectResult(output)
  if (!result?.passed || !result.latencyMs) throw new Error(`connecting to ${target} failed: ${result?.summary ?? output}`)
  return result.latencyMs.avg
}

await withLab(
  async () => {
    await ensureClusterset('vxlan')
    await withClient('c2', (client) => deployEcho(client, NAMESPACE, 'echo', {replicas: 1}))
    // nettest servers too, whose pods lend the client their network namespace.
    await withClient('c1', (client) => deployEcho(client, NAMESPACE, 'client', {replicas: 2}))
    await subctlOk(['export', 'service', 'echo', '-n', NAMESPACE, '--context', 'c2'])
    try {
      const clustersetIp = await withClient('c1', (client) =>
        eventually('the clusterset IP of echo in c1', async () => (await client.tryGet<ServiceImport>(Resources.ServiceImport, 'echo', NAMESPACE))?.spec.ips?.[0]),
      )
      const serviceIp = await withClient('c2', async (client) => (await client.get<KubeObject & {spec: {clusterIP: string}}>(Resources.Service, 'echo', NAMESPACE)).spec.clusterIP)
      const clientPod = await withClient('c1', async (client) => {
        const pods = await client.list<KubeObject & {spec: {nodeName: string}}>(Resources.Pod, {labelSelector: 'app=client', namespace: NAMESPACE})
        return pods.items.find((pod) => pod.spec.nodeName === 'c1-control-plane')
      })
      if (!clientPod) throw new Error('no client pod on c1-control-plane')
      const netns = await netnsOf(`c1/${NAMESPACE}/${clientPod.metadata.name}`)
      await eventually(`${clustersetIp}:8080 to answer`, () => attemptMs(netns, ['--open-only', '--count', '1'], `${clustersetIp}:8080`).then(() => true, () => undefined), 60_000, 500)

      const figures = {clusterset: {latency: [] as number[], rps: [] as number[]}, direct: {latency: [] as number[], rps: [] as number[]}}
      for (let run = 0; run < runs; run++) {
        for (const [path, ip] of [
          ['direct', serviceIp],
          ['clusterset', clustersetIp],
        ] as const) {
          figures[path].latency.push(await attemptMs(netns, ['--open-only', '--count', '50'], `${ip}:8080`))
          figures[path].rps.push(1000 / (await attemptMs(netns, ['--protocol', 'http', '--count', String(count)], `${ip}:80`)))
        }
      }

      const [directMs, setMs, directRps, setRps] = [median(figures.direct.latency), median(figures.clusterset.latency), median(figures.direct.rps), median(figures.clusterset.rps)]
      const row = (label: string, direct: string, clusterset: string, fraction: number | string) => console.log(`  ${label.padEnd(44)}${direct.padEnd(22)}${clusterset.padEnd(22)}${fraction}`)
      console.log(`bench/clusterset-ip (pod on c1-control-plane to c2's echo over the vxlan cable; ${runs} alternating runs, medians)`)
      row('', `direct ${serviceIp}`, `clusterset ${clustersetIp}`, 'clusterset as a fraction of direct')
      row('TCP connect latency (ms, 50 connects)', String(round(directMs, 3)), String(round(setMs, 3)), round(directMs / setMs))
      row(`HTTP requests/s (${count}, a connection each)`, String(round(directRps, 0)), String(round(setRps, 0)), round(setRps / directRps))
    } finally {
      for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE)).catch(() => undefined)
    }
  },
  {keep: values.keep},
)
