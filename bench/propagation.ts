/**
 * bench/propagation: time from creating a ServiceExport in c2 to its name resolving in c1, median
 * of RUNS (target <= 1 s).
 *
 * Each run exports a new Service (so no cache anywhere has seen the name): a poller in c1-worker's
 * network namespace asks c1's cluster DNS (CoreDNS, which forwards clusterset.local to Lighthouse
 * DNS) every 5 ms; the clock starts just before the ServiceExport is created and stops at the
 * first answer with an address. The path measured: the lighthouse agent of c2 validates the export
 * and writes the ServiceImport and EndpointSlice to the broker; c1's agent copies them; c1's
 * Lighthouse DNS indexes them; CoreDNS forwards the query.
 *
 *   node --import tsx bench/propagation.ts [--runs N] [--keep]
 */
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import type {KubeObject} from '../src/k8s/objects.js'
import {Resources} from '../src/k8s/resources.js'
import {ROOT} from '../test/helpers/cli.js'
import {eventually} from '../test/helpers/lab.js'
import {deployEcho, ensureClusterset, withClient} from '../test/e2e/clusterset.js'
import {median, round, spawnIn, withLab} from './support.js'

const {values} = parseArgs({options: {keep: {type: 'boolean'}, runs: {type: 'string'}}})
const runs = Math.max(3, Number(values.runs ?? 7))
const NAMESPACE = 'bench-propagation'

async function oneRun(dnsIp: string, run: number): Promise<number> {
  const name = `prop-${run}-${Date.now().toString(36)}`
  await withClient('c2', (client) =>
    client.create({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: NAMESPACE}, spec: {ports: [{name: 'tcp', port: 8080}], selector: {app: 'echo'}}}),
  )
  let polling = false
  let answeredAt = 0
  const poller = spawnIn('lab-c1-worker', [process.execPath, join(ROOT, 'bench', 'dns-poller.mjs'), dnsIp, `${name}.${NAMESPACE}.svc.clusterset.local`, '5'], (line) => {
    if (line === 'polling') polling = true
    else if (line.startsWith('answered ')) answeredAt = Number(line.split(' ')[1])
  })
  try {
    await eventually('the DNS poller to start', async () => polling, 10_000, 10)
    const started = Date.now()
    await withClient('c2', (client) => client.create({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name, namespace: NAMESPACE}}))
    await eventually(`${name} to resolve in c1`, async () => answeredAt > 0, 60_000, 5)
    const seconds = (answeredAt - started) / 1000
    console.error(`  run ${run + 1}: ${name} resolved in c1 after ${round(seconds, 3)} s`)
    return seconds
  } finally {
    poller.kill('SIGTERM')
    await withClient('c2', async (client) => {
      await client.delete(Resources.ServiceExport, name, NAMESPACE)
      await client.delete(Resources.Service, name, NAMESPACE)
    })
  }
}

await withLab(
  async () => {
    await ensureClusterset('vxlan')
    await withClient('c2', (client) => deployEcho(client, NAMESPACE, 'echo', {replicas: 1}))
    await withClient('c1', async (client) => {
      if (!(await client.tryGet(Resources.Namespace, NAMESPACE))) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
    })
    const dnsIp = await withClient('c1', async (client) => (await client.get<KubeObject & {spec: {clusterIP: string}}>(Resources.Service, 'kube-dns', 'kube-system')).spec.clusterIP)
    try {
      const times: number[] = []
      for (let run = 0; run < runs; run++) times.push(await oneRun(dnsIp, run))
      console.log('bench/propagation (ServiceExport created in c2 -> name resolves through c1’s cluster DNS)')
      console.log(`  median ${round(median(times), 3)} s over ${runs} runs (min ${round(Math.min(...times), 3)}, max ${round(Math.max(...times), 3)}; target <= 1 s)`)
    } finally {
      for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
    }
  },
  {keep: values.keep},
)
