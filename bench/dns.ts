/**
 * bench/dns: the deployed Lighthouse DNS pod as a cluster uses it, beside upstream's
 * lighthouse-coredns (../shared/upstream) on the same objects, under the same load.
 *
 * For each size N (default 200 and 2,000): N Services in c2, all backed by one echo pod, exported;
 * the real lighthouse agents carry them through the broker into c1, where our DNS pod (fed by its
 * informers) answers for them. Upstream's server runs in that pod's network namespace on port
 * 15353, reading c1's objects with the lab's admin kubeconfig. Queries: every Service's clusterset
 * name and its cluster-qualified name (c2.<svc>...), 2N A queries, shuffled once. Once both
 * servers answer every name, and agree on a sample, dnsperf (in the same namespace: loopback,
 * 100 in flight) runs RUNS times SECONDS seconds against each, alternating. Printed per size: the
 * medians of qps, p50 and p99 (from dnsperf -v, written to a file and read afterwards, so that
 * reading it costs the servers no CPU), the ratios ours / upstream, and our pod's RSS.
 * Targets (issue 17): qps ratio >= 1.2 and p99 ratio <= 1.0 at both sizes.
 *
 *   node --import tsx bench/dns.ts [--sizes 200,2000] [--runs 3] [--seconds 8] [--keep]
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'

import type {KubeClient} from '../src/k8s/client.js'
import {Resources} from '../src/k8s/resources.js'
import {ROOT} from '../test/helpers/cli.js'
import {eventually} from '../test/helpers/lab.js'
import {deployEcho, ensureClusterset, withClient} from '../test/e2e/clusterset.js'
import {lighthouseDnsNetns, startUpstreamDns} from '../test/e2e/upstream.js'
import {shAsync} from '../test/lab/sh.js'
import {inParallel, median, percentile, round, rssMb, runIn, withLab} from './support.js'

const {values} = parseArgs({options: {keep: {type: 'boolean'}, runs: {type: 'string'}, seconds: {type: 'string'}, sizes: {type: 'string'}}})
const sizes = (values.sizes ?? '200,2000').split(',').map(Number).filter((size) => size > 0)
const runs = Math.max(1, Number(values.runs ?? 3))
const seconds = Math.max(2, Number(values.seconds ?? 8))
const NAMESPACE = 'bench-dns'
const UPSTREAM_PORT = 15_353
const serviceName = (index: number) => `svc-${String(index).padStart(4, '0')}`

/** N Services exported from c2 (those already there are kept), and the namespace in c1 so that it imports them. */
async function exportServices(size: number): Promise<void> {
  const names = Array.from({length: size}, (_, index) => serviceName(index))
  await withClient('c2', async (client: KubeClient) => {
    await deployEcho(client, NAMESPACE, 'echo', {replicas: 1})
    await inParallel(names, 16, async (name) => {
      await client.apply({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: NAMESPACE}, spec: {ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 8000}], selector: {app: 'echo'}}})
      await client.apply({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name, namespace: NAMESPACE}})
    })
  })
  await withClient('c1', async (client) => {
    if (!(await client.tryGet(Resources.Namespace, NAMESPACE))) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
    await eventually(`${size} ServiceImports in c1`, async () => (await client.count(Resources.ServiceImport, {namespace: NAMESPACE})) >= size, 600_000, 1000)
  })
}

/** The 2N names, shuffled by a fixed linear congruential generator, so that every run asks in the same order. */
function queries(size: number): string[] {
  const lines: string[] = []
  for (let index = 0; index < size; index++) {
    const name = `${serviceName(index)}.${NAMESPACE}.svc.clusterset.local`
    lines.push(name, `c2.${name}`)
  }

  let seed = 42
  for (let index = lines.length - 1; index > 0; index--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    const other = seed % (index + 1)
    ;[lines[index], lines[other]] = [lines[other] as string, lines[index] as string]
  }

  return lines
}

interface LoadResult {
  qps: number
  p50Ms: number
  p99Ms: number
  lost: number
}

async function dnsperf(netns: string, port: number, queryFile: string, directory: string): Promise<LoadResult> {
  const answers = join(directory, `answers-${port}`)
  const summary = await runIn(netns, ['sh', '-c', `dnsperf -s 127.0.0.1 -p ${port} -d ${queryFile} -l ${seconds} -c 1 -q 100 -t 2 -v > ${answers}; grep -v '^> ' ${answers}`])
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(summary)?.[1])
  if (Number.isNaN(qps)) throw new Error(`dnsperf printed no figures:\n${summary}`)
  // Verbose answer lines: "> NOERROR name A 0.000123"
  const latencies: number[] = []
  for (const line of readFileSync(answers, 'utf8').split('\n')) if (line.startsWith('> ')) latencies.push(Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000)
  return {lost: Number(/Queries lost:\s+(\d+)/.exec(summary)?.[1] ?? 0), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), qps}
}

/** The RSS in MB of the agent processes in a network namespace (our DNS pod: its primary and workers). */
async function podRss(netns: string): Promise<number> {
  const pids = (await shAsync(['ip', 'netns', 'pids', netns])).split('\n').filter(Boolean)
  let mb = 0
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('lighthouse-dns')) mb += rssMb(pid)
    } catch {
      // the process ended while we looked
    }
  }

  return mb
}

const digShort = (netns: string, port: number, name: string) => runIn(netns, ['dig', '+short', '+time=2', '+tries=2', '-p', String(port), '@127.0.0.1', name, 'A']).then((out) => out.trim().split('\n').sort().join(' '))

interface SizeResult {
  size: number
  ours: LoadResult
  upstream: LoadResult
  rssMb: number
}

async function oneSize(size: number): Promise<SizeResult> {
  console.error(`bench/dns: ${size} Services exported from c2`)
  await exportServices(size)
  const netns = await lighthouseDnsNetns('c1')
  const directory = mkdtempSync(join(tmpdir(), 'subctl-bench-dns-'))
  const names = queries(size)
  const namesFile = join(directory, 'names')
  const queryFile = join(directory, 'queries')
  writeFileSync(namesFile, names.join('\n') + '\n')
  writeFileSync(queryFile, names.map((name) => `${name} A`).join('\n') + '\n')
  const upstream = await startUpstreamDns(netns, 'c1', UPSTREAM_PORT)
  try {
    for (const port of [53, UPSTREAM_PORT]) await runIn(netns, [process.execPath, join(ROOT, 'bench', 'dns-resolve-all.mjs'), '127.0.0.1', namesFile, String(port)])
    for (const name of names.slice(0, 20)) {
      const [ours, theirs] = [await digShort(netns, 53, name), await digShort(netns, UPSTREAM_PORT, name)]
      if (ours !== theirs || !ours) throw new Error(`the servers disagree on ${name}: ours "${ours}", upstream "${theirs}"`)
    }

    const results: Record<'ours' | 'upstream', LoadResult[]> = {ours: [], upstream: []}
    let rssMb = 0
    for (let run = 0; run < runs; run++) {
      for (const [name, port] of [
        ['ours', 53],
        ['upstream', UPSTREAM_PORT],
      ] as const) {
        const result = await dnsperf(netns, port, queryFile, directory)
        if (name === 'ours') rssMb = Math.max(rssMb, await podRss(netns))
        results[name].push(result)
        console.error(`  ${size} run ${run + 1} ${name}: ${round(result.qps, 0)} qps, p50 ${round(result.p50Ms, 3)} ms, p99 ${round(result.p99Ms, 3)} ms, ${result.lost} lost`)
        await sleep(1000)
      }
    }

    const summarise = (list: LoadResult[]): LoadResult => ({
      lost: list.reduce((sum, result) => sum + result.lost, 0),
      p50Ms: median(list.map((result) => result.p50Ms)),
      p99Ms: median(list.map((result) => result.p99Ms)),
      qps: median(list.map((result) => result.qps)),
    })
    return {ours: summarise(results.ours), rssMb, size, upstream: summarise(results.upstream)}
  } finally {
    await upstream.stop()
  }
}

async function cleanUp(): Promise<void> {
  for (const cluster of ['c2', 'c1']) {
    await withClient(cluster, async (client) => {
      if (await client.tryGet(Resources.Namespace, NAMESPACE)) await client.delete(Resources.Namespace, NAMESPACE)
    })
  }
}

await withLab(
  async () => {
    await ensureClusterset()
    const results: SizeResult[] = []
    try {
      for (const size of sizes) results.push(await oneSize(size))
    } finally {
      if (!values.keep) await cleanUp()
    }

    const cell = (text: string | number, width: number) => String(text).padEnd(width)
    console.log(`bench/dns: our Lighthouse DNS pod in c1 and upstream's lighthouse-coredns in its network namespace, the same objects`)
    console.log(`  (dnsperf on loopback, 100 in flight, ${seconds} s x ${runs} runs alternating, medians; names: each Service's clusterset and c2-qualified A)`)
    console.log(`  ${cell('services', 10)}${cell('ours qps', 10)}${cell('up qps', 10)}${cell('ratio', 14)}${cell('ours p50', 10)}${cell('up p50', 9)}${cell('ratio', 7)}${cell('ours p99', 10)}${cell('up p99', 9)}${cell('ratio', 15)}${cell('pod RSS', 9)}`)
    let missed = 0
    for (const {ours, rssMb, size, upstream} of results) {
      const qpsRatio = ours.qps / upstream.qps
      const p50Ratio = ours.p50Ms / upstream.p50Ms
      const p99Ratio = ours.p99Ms / upstream.p99Ms
      const met = qpsRatio >= 1.2 && p99Ratio <= 1.0
      if (!met) missed++
      console.log(
        `  ${cell(size, 10)}${cell(round(ours.qps, 0), 10)}${cell(round(upstream.qps, 0), 10)}${cell(`${qpsRatio.toFixed(2)} (>=1.2)`, 14)}` +
          `${cell(`${ours.p50Ms.toFixed(2)}ms`, 10)}${cell(`${upstream.p50Ms.toFixed(2)}ms`, 9)}${cell(p50Ratio.toFixed(2), 7)}` +
          `${cell(`${ours.p99Ms.toFixed(2)}ms`, 10)}${cell(`${upstream.p99Ms.toFixed(2)}ms`, 9)}${cell(`${p99Ratio.toFixed(2)} (<=1.0)`, 15)}${cell(`${rssMb.toFixed(0)} MB`, 9)}${met ? 'met' : 'MISSED'}`,
      )
      if (ours.lost + upstream.lost > 0) console.log(`    lost queries: ours ${ours.lost}, upstream ${upstream.lost}`)
    }

    console.log(missed === 0 ? 'all targets met' : `${missed} size(s) missed a target`)
  },
  {keep: values.keep},
)
