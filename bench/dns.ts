/**
 * bench/dns: Lighthouse DNS under load, beside CoreDNS answering a zone of the same size from its
 * file plugin, on this machine, with dnsperf (Debian) as the load generator.
 *
 * Data set: 1,000 Services exported from 3 clusters (c1, c2, c3), as the Lighthouse DNS server
 * sees them: one ServiceImport and three EndpointSlices per Service, the server answering for c1.
 * Queries: for every Service its clusterset name and its three cluster-qualified names (4,000
 * distinct A queries, shuffled). CoreDNS serves the same 4,000 names with the same answers from a
 * zone file. Both listen on loopback; each gets RUNS runs of SECONDS seconds, alternating; the
 * figures are medians of queries per second and of the p50 and p99 latencies (from dnsperf -v,
 * one line per answer).
 *
 *   node --import tsx bench/dns.ts [--runs N] [--seconds S]
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {Registry} from 'prom-client'

import {LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SOURCE_CLUSTER, LABEL_SOURCE_NAMESPACE, MANAGED_BY_LIGHTHOUSE} from '../src/api/mcs.js'
import {ServiceIndex} from '../src/agent/dns/resolver.js'
import {DnsServer} from '../src/agent/dns/server.js'
import {nullLogger} from '../src/agent/runtime/log.js'
import {ensureBinaries, ensurePackages} from '../test/lab/build.js'
import {run, spawnLines, startProcess} from '../test/lab/sh.js'
import {median, percentile, round} from './support.js'

const {values} = parseArgs({options: {runs: {type: 'string'}, seconds: {type: 'string'}, serve: {type: 'string'}}})
const SERVICES = 1000
const CLUSTERS = ['c1', 'c2', 'c3']
const NAMESPACE = 'bench'
const ZONE = 'clusterset.local'

const serviceName = (index: number) => `svc-${String(index).padStart(4, '0')}`
/** The ClusterIP of a Service in a cluster: 10.<100+cluster>.<index / 250>.<index % 250 + 1>. */
const serviceIp = (cluster: number, index: number) => `10.${100 + cluster}.${Math.floor(index / 250)}.${(index % 250) + 1}`

/** The Lighthouse DNS server with the data set, in this process (the child that --serve starts). */
async function serveLighthouse(port: number): Promise<void> {
  const index = new ServiceIndex('c1')
  for (let service = 0; service < SERVICES; service++) {
    const name = serviceName(service)
    index.upsertImport({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceImport', metadata: {name, namespace: NAMESPACE}, spec: {ports: [{name: 'http', port: 80, protocol: 'TCP'}], type: 'ClusterSetIP'}})
    CLUSTERS.forEach((cluster, clusterIndex) => {
      index.upsertSlice({
        addressType: 'IPv4',
        apiVersion: 'discovery.k8s.io/v1',
        endpoints: [{addresses: [serviceIp(clusterIndex, service)], conditions: {ready: true}}],
        kind: 'EndpointSlice',
        metadata: {
          labels: {[LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE, [LABEL_SERVICE_NAME]: name, [LABEL_SOURCE_CLUSTER]: cluster, [LABEL_SOURCE_NAMESPACE]: NAMESPACE},
          name: `${name}-${cluster}`,
          namespace: NAMESPACE,
        },
        ports: [{name: 'http', port: 80, protocol: 'TCP'}],
      })
    })
  }

  const server = new DnsServer({host: '127.0.0.1', index, log: nullLogger, port, registry: new Registry(), zones: [ZONE]})
  await server.start()
  process.stdout.write('ready\n')
}

if (values.serve) {
  await serveLighthouse(Number(values.serve))
} else {
  await compare()
}

function zoneFile(): string {
  const lines = [`$ORIGIN ${ZONE}.`, '$TTL 5', `@ IN SOA ns.dns.${ZONE}. hostmaster.${ZONE}. 1 7200 1800 86400 5`, `@ IN NS ns.dns.${ZONE}.`, 'ns.dns IN A 127.0.0.1']
  for (let service = 0; service < SERVICES; service++) {
    const name = `${serviceName(service)}.${NAMESPACE}.svc`
    lines.push(`${name} IN A ${serviceIp(0, service)}`)
    CLUSTERS.forEach((cluster, clusterIndex) => lines.push(`${cluster}.${name} IN A ${serviceIp(clusterIndex, service)}`))
  }

  return lines.join('\n') + '\n'
}

function queryFile(): string {
  const queries: string[] = []
  for (let service = 0; service < SERVICES; service++) {
    const name = `${serviceName(service)}.${NAMESPACE}.svc.${ZONE}`
    queries.push(`${name} A`, ...CLUSTERS.map((cluster) => `${cluster}.${name} A`))
  }

  // A fixed shuffle (a linear congruential generator), so every run asks in the same order.
  let seed = 42
  for (let index = queries.length - 1; index > 0; index--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    const other = seed % (index + 1)
    ;[queries[index], queries[other]] = [queries[other] as string, queries[index] as string]
  }

  return queries.join('\n') + '\n'
}

/** Starts a server process and waits until it answers on its port (wrapped: awaiting the process itself would wait for its end). */
async function startServer(command: string, args: string[], readyWhen: RegExp): Promise<{process: ReturnType<typeof startProcess>}> {
  const child = startProcess([command, ...args])
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (readyWhen.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }

    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => reject(new Error(`${command} exited ${code}: ${output}`)))
  })
  return {process: child}
}

interface LoadResult {
  qps: number
  p50Ms: number
  p99Ms: number
  answered: number
  lost: number
}

/** One dnsperf run: as many queries as the server takes, 100 in flight, for `seconds`. */
function dnsperf(port: number, queries: string, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = []
    let summary = ''
    const child = spawnLines(['dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(seconds), '-c', '1', '-q', '100', '-t', '2', '-v'], (line) => {
      // Verbose answer lines: "> NOERROR name A 0.000123"
      if (line.startsWith('> ')) latencies.push(Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000)
      else summary += line + '\n'
    })
    void child.then(({exitCode: code}) => {
      const qps = Number(/Queries per second:\s+([\d.]+)/.exec(summary)?.[1])
      const lost = Number(/Queries lost:\s+(\d+)/.exec(summary)?.[1] ?? 0)
      if (code !== 0 || Number.isNaN(qps)) {
        reject(new Error(`dnsperf exited ${code}:\n${summary}`))
        return
      }

      resolve({answered: latencies.length, lost, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), qps})
    })
  })
}

/** Asks one name of both servers with dig, so the comparison is between equal answers. */
async function answer(port: number, name: string): Promise<string> {
  return (await run(['dig', '+short', '+time=2', '+tries=1', '-p', String(port), '@127.0.0.1', name, 'A'])).stdout.trim()
}

async function compare(): Promise<void> {
  const runs = Math.max(1, Number(values.runs ?? 3))
  const seconds = Math.max(2, Number(values.seconds ?? 8))
  const directory = mkdtempSync(join(tmpdir(), 'subctl-bench-dns-'))
  const lighthousePort = 15_353
  const corednsPort = 15_354
  try {
    const queries = join(directory, 'queries')
    writeFileSync(queries, queryFile())
    writeFileSync(join(directory, 'db.clusterset.local'), zoneFile())
    writeFileSync(join(directory, 'Corefile'), `${ZONE}:${corednsPort} {\n    bind 127.0.0.1\n    file ${join(directory, 'db.clusterset.local')}\n}\n`)
    // dnsperf is a Debian package the lab installs with the others.
    ensurePackages((line) => console.error(`bench: ${line}`))
    const {dir: binaries} = await ensureBinaries((line) => console.error(`build: ${line}`))

    const lighthouse = await startServer(process.execPath, ['--import', 'tsx', import.meta.filename, '--serve', String(lighthousePort)], /ready/)
    const coredns = await startServer(join(binaries, 'coredns'), ['-conf', join(directory, 'Corefile')], new RegExp(`${ZONE}.:${corednsPort}`))
    try {
      for (const name of [`svc-0007.${NAMESPACE}.svc.${ZONE}`, `c3.svc-0999.${NAMESPACE}.svc.${ZONE}`]) {
        const [ours, theirs] = [await answer(lighthousePort, name), await answer(corednsPort, name)]
        if (ours !== theirs || !ours) throw new Error(`the servers disagree on ${name}: lighthouse "${ours}", coredns "${theirs}"`)
      }

      const results: Record<'lighthouse' | 'coredns', LoadResult[]> = {coredns: [], lighthouse: []}
      for (let run = 0; run < runs; run++) {
        for (const [name, port] of [
          ['lighthouse', lighthousePort],
          ['coredns', corednsPort],
        ] as const) {
          const result = await dnsperf(port, queries, seconds)
          results[name].push(result)
          console.error(`  run ${run + 1} ${name}: ${round(result.qps, 0)} qps, p50 ${round(result.p50Ms, 3)} ms, p99 ${round(result.p99Ms, 3)} ms, ${result.lost} lost`)
          await sleep(500)
        }
      }

      const summarise = (list: LoadResult[]) => ({lost: list.reduce((sum, result) => sum + result.lost, 0), p50: median(list.map((result) => result.p50Ms)), p99: median(list.map((result) => result.p99Ms)), qps: median(list.map((result) => result.qps))})
      const ours = summarise(results.lighthouse)
      const theirs = summarise(results.coredns)
      console.log(`bench/dns (${SERVICES} services x ${CLUSTERS.length} clusters, ${SERVICES * (CLUSTERS.length + 1)} names; dnsperf, 100 in flight, ${seconds} s x ${runs} runs, medians)`)
      console.log(`  lighthouse DNS:      ${String(round(ours.qps, 0)).padStart(7)} qps   p50 ${round(ours.p50, 3)} ms   p99 ${round(ours.p99, 3)} ms   (${ours.lost} lost)`)
      console.log(`  CoreDNS file plugin: ${String(round(theirs.qps, 0)).padStart(7)} qps   p50 ${round(theirs.p50, 3)} ms   p99 ${round(theirs.p99, 3)} ms   (${theirs.lost} lost)`)
      console.log(`  ratio lighthouse / CoreDNS: qps ${round(ours.qps / theirs.qps)}, p50 ${round(ours.p50 / theirs.p50)}, p99 ${round(ours.p99 / theirs.p99)}`)
    } finally {
      lighthouse.process.kill('SIGTERM')
      coredns.process.kill('SIGTERM')
    }
  } finally {
    rmSync(directory, {force: true, recursive: true})
  }
}
