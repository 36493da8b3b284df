/**
 * bench/scale: how service discovery converges when many Services are exported at once.
 *
 * For each size N (default 100, 300 and 1000): N Services in each of c1 and c2, all backed by one
 * echo pod per cluster, are created first; then all 2N ServiceExports at once, and the clock runs
 * until (a) every cluster holds the 2N ServiceImports and (b) every name resolves through each
 * cluster's own DNS (CoreDNS forwarding clusterset.local to Lighthouse), asked from a worker node.
 * Printed per size: both times (goal for N = 1000: <= 20 s), the RSS of each agent role at rest and
 * at its peak (goal <= 120 MB), and the broker API server's requests per second at rest and during
 * convergence (from its apiserver_request_total counters).
 *
 *   node --import tsx bench/scale.ts [--sizes 100,300,1000] [--keep]
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import type {KubeClient} from '../src/k8s/client.js'
import type {KubeObject} from '../src/k8s/objects.js'
import {Resources} from '../src/k8s/resources.js'
import {ROOT} from '../test/helpers/cli.js'
import {eventually} from '../test/helpers/lab.js'
import {deployEcho, ensureClusterset, withClient} from '../test/e2e/clusterset.js'
import {inParallel, round, rssMb, spawnIn, withLab} from './support.js'

const {values} = parseArgs({options: {keep: {type: 'boolean'}, sizes: {type: 'string'}}})
const sizes = (values.sizes ?? '100,300,1000').split(',').map(Number).filter((size) => size > 0)
const NAMESPACE = 'bench-scale'
const CLUSTERS = ['c1', 'c2'] as const
/** The cluster an agent process belongs to, by the API server address its pod was given. */
const SERVICE_HOSTS: Record<string, string> = {'10.88.0.1': 'c1', '10.99.0.1': 'c2'}

/** RSS in MB of every agent process, by "cluster/role". */
function agentRss(): Map<string, number> {
  const rss = new Map<string, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      const at = cmdline.findIndex((part) => part.endsWith('agent.js'))
      if (at < 0 || !cmdline[at + 1]) continue
      const host = /(?:^|\0)KUBERNETES_SERVICE_HOST=([^\0]*)/.exec(readFileSync(`/proc/${entry}/environ`, 'utf8'))?.[1] ?? ''
      const cluster = SERVICE_HOSTS[host]
      if (!cluster) continue
      const key = `${cluster}/${cmdline[at + 1]}`
      rss.set(key, Math.max(rss.get(key) ?? 0, rssMb(entry)))
    } catch {
      // the process ended while we looked
    }
  }

  return rss
}

/** The broker API server's total requests served so far. */
async function brokerRequests(): Promise<number> {
  const text = await withClient('broker', (client) => client.serverEndpoint('/metrics'))
  let total = 0
  for (const line of text.split('\n')) if (line.startsWith('apiserver_request_total{')) total += Number(line.split(' ').at(-1))
  return total
}

async function brokerRate(windowMs: number): Promise<number> {
  const before = await brokerRequests()
  await sleep(windowMs)
  return ((await brokerRequests()) - before) / (windowMs / 1000)
}

const serviceNames = (cluster: string, size: number) => Array.from({length: size}, (_, index) => `${cluster}-s${index}`)

async function createServices(client: KubeClient, names: string[]): Promise<void> {
  await inParallel(names, 16, (name) =>
    client.apply({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: NAMESPACE}, spec: {ports: [{name: 'tcp', port: 8080}], selector: {app: 'echo'}}}),
  )
  // Lighthouse answers only for a service with a ready endpoint: wait for Kubernetes' slices.
  await eventually(`${names.length} EndpointSlices with an address`, async () => {
    const slices = await client.list<KubeObject & {endpoints?: unknown[]}>(Resources.EndpointSlice, {labelSelector: 'endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io', namespace: NAMESPACE})
    return slices.items.filter((slice) => (slice.endpoints ?? []).length > 0).length >= names.length
  }, 600_000, 1000)
}

/** How many ServiceImports a cluster holds, from a list of one (the count of the rest comes with it): polling must not load the API server it measures. */
async function countImports(cluster: string): Promise<number> {
  return withClient(cluster, async (client) => {
    return client.count(Resources.ServiceImport, {namespace: NAMESPACE})
  })
}

async function oneSize(size: number, dnsIps: Record<string, string>): Promise<void> {
  console.error(`bench/scale: ${size} Services per cluster`)
  for (const cluster of CLUSTERS) await withClient(cluster, (client) => createServices(client, serviceNames(cluster, size)))
  const all = CLUSTERS.flatMap((cluster) => serviceNames(cluster, size))
  const namesFile = join(tmpdir(), `bench-scale-${size}.names`)
  writeFileSync(namesFile, all.map((name) => `${name}.${NAMESPACE}.svc.clusterset.local`).join('\n') + '\n')

  await sleep(5000)
  const restRss = agentRss()
  const restRate = await brokerRate(10_000)

  const resolvedAt: Record<string, number> = {}
  const pollers = CLUSTERS.map((cluster) => {
    let polling = false
    const child = spawnIn(`lab-${cluster}-worker`, [process.execPath, join(ROOT, 'bench', 'dns-resolve-all.mjs'), dnsIps[cluster] as string, namesFile], (line) => {
      if (line === 'polling') polling = true
      else if (line.startsWith('all ')) resolvedAt[cluster] = Number(line.split(' ')[1])
    })
    return {child, polling: () => polling}
  })
  await eventually('the DNS pollers to start', async () => pollers.every((poller) => poller.polling()), 10_000, 10)

  const peakRss = new Map(restRss)
  const sampler = setInterval(() => {
    for (const [key, mb] of agentRss()) peakRss.set(key, Math.max(peakRss.get(key) ?? 0, mb))
  }, 500)
  const requestsBefore = await brokerRequests()
  const started = Date.now()
  const importedAt: Record<string, number> = {}
  try {
    await Promise.all(CLUSTERS.map((cluster) =>
      withClient(cluster, (client) =>
        inParallel(serviceNames(cluster, size), 16, (name) => client.create({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name, namespace: NAMESPACE}})),
      ),
    ))
    const exportedAt = Date.now()
    await eventually(`${all.length} imports in every cluster and every name resolving`, async () => {
      for (const cluster of CLUSTERS) if (!importedAt[cluster] && (await countImports(cluster)) >= all.length) importedAt[cluster] = Date.now()
      return CLUSTERS.every((cluster) => importedAt[cluster] && resolvedAt[cluster])
    }, 900_000, 500)
    const converged = Math.max(...CLUSTERS.map((cluster) => Math.max(importedAt[cluster] as number, resolvedAt[cluster] as number)))
    const convergenceRate = ((await brokerRequests()) - requestsBefore) / ((converged - started) / 1000)

    const seconds = (at: number) => round((at - started) / 1000, 1)
    console.log(`bench/scale: ${size} Services exported from each of c1 and c2 (${all.length} exports), all created after ${seconds(exportedAt)} s`)
    for (const cluster of CLUSTERS) console.log(`  ${cluster}: all ${all.length} imports after ${seconds(importedAt[cluster] as number)} s, every name resolves after ${seconds(resolvedAt[cluster] as number)} s`)
    console.log(`  converged after ${seconds(converged)} s${size >= 1000 ? ' (goal <= 20 s)' : ''}; ${round(all.length / ((converged - started) / 1000), 1)} exports per second`)
    console.log(`  broker API requests per second: ${round(restRate, 1)} at rest, ${round(convergenceRate, 1)} during convergence`)
    const roles = [...new Set([...peakRss.keys()])].sort()
    console.log(`  RSS (MB) at rest -> peak (goal <= 120): ${roles.map((key) => `${key} ${round(restRss.get(key) ?? 0, 0)} -> ${round(peakRss.get(key) ?? 0, 0)}`).join(', ')}`)
  } finally {
    clearInterval(sampler)
    for (const poller of pollers) poller.child.kill('SIGTERM')
    for (const cluster of CLUSTERS) {
      await withClient(cluster, async (client) => {
        await inParallel(serviceNames(cluster, size), 16, (name) => client.delete(Resources.ServiceExport, name, NAMESPACE))
      })
    }

    await eventually('the imports to go', async () => (await Promise.all(CLUSTERS.map(countImports))).every((count) => count === 0), 900_000, 1000)
    for (const cluster of CLUSTERS) {
      await withClient(cluster, (client) => inParallel(serviceNames(cluster, size), 16, (name) => client.delete(Resources.Service, name, NAMESPACE)))
    }
  }
}

await withLab(
  async () => {
    await ensureClusterset('vxlan')
    for (const cluster of CLUSTERS) await withClient(cluster, (client) => deployEcho(client, NAMESPACE, 'echo', {replicas: 1}))
    const dnsIps: Record<string, string> = {}
    for (const cluster of CLUSTERS) {
      dnsIps[cluster] = await withClient(cluster, async (client) => (await client.get<KubeObject & {spec: {clusterIP: string}}>(Resources.Service, 'kube-dns', 'kube-system')).spec.clusterIP)
    }

    try {
      for (const size of sizes) await oneSize(size, dnsIps)
    } finally {
      for (const cluster of CLUSTERS) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
    }
  },
  {keep: values.keep},
)
