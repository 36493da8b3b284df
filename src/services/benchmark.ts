/**
 * `subctl benchmark throughput|latency` (reference/subctl.md §7): a server pod and a client pod
 * per pass, in a test namespace removed at the end. Inter-cluster runs gateway to gateway, then
 * non-gateway to non-gateway, and beyond upstream first measures the same thing within the first
 * cluster (non-gateway to gateway) as the baseline each cross-cluster figure is divided by.
 * Intra-cluster runs the baseline pass alone. Throughput is iperf3 -P 10; latency is nettest's
 * one-byte TCP request/response (what netperf's TCP_RR measures; netperf is not packaged here).
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import {benchmarkReport, formatBits, latencyLines, parseIperfJson, type BenchmarkKind, type BenchmarkPass, type BenchmarkReport, type PodEnd} from '../lib/benchmark-result.js'
import {SubctlError} from '../lib/errors.js'
import {imageFor} from '../lib/images.js'
import {parseLatencyResult} from '../lib/nettest-result.js'
import type {Reporter} from '../lib/reporter.js'
import {openTestCluster, type TestCluster} from './verify/cluster.js'
import {runOnce} from './verify/nettest-pods.js'
import {TestRun} from './verify/test-run.js'

const PORT = 5201
const THROUGHPUT_ATTEMPTS = 2
const LATENCY_MS = 5000

export interface BenchmarkOptions {
  kind: BenchmarkKind
  from: KubeConnectionOptions
  to?: KubeConnectionOptions
  imageOverrides: Record<string, string>
}

export interface BenchmarkIo {
  reporter: Reporter
  signal: AbortSignal
  log: (line: string) => void
}

interface PassPlan {
  title: string
  baseline: boolean
  client: {cluster: TestCluster; node: string; role: string}
  server: {cluster: TestCluster; node: string; role: string}
}

function node(cluster: TestCluster, role: 'Gateway' | 'Non-Gateway'): string {
  const name = role === 'Gateway' ? cluster.gatewayNode : cluster.nonGatewayNode
  if (!name) throw new SubctlError('NODE_MISSING', `cluster "${cluster.context}" has no ${role.toLowerCase()} node to run the ${role} pod on`, {hint: role === 'Gateway' ? 'Label a node submariner.io/gateway=true' : 'The benchmark needs a node that is not a gateway'})
  return name
}

function plan(kind: BenchmarkKind, from: TestCluster, to: TestCluster | undefined): PassPlan[] {
  const at = (cluster: TestCluster, role: 'Gateway' | 'Non-Gateway') => ({cluster, node: node(cluster, role), role})
  const passes: PassPlan[] = [{baseline: true, client: at(from, 'Non-Gateway'), server: at(from, 'Gateway'), title: `Performing ${kind} tests from Non-Gateway pod to Gateway pod on cluster "${from.context}"`}]
  if (to) {
    for (const role of ['Gateway', 'Non-Gateway'] as const) {
      passes.push({baseline: false, client: at(from, role), server: at(to, role), title: `Performing ${kind} tests from ${role} pod on cluster "${from.context}" to ${role} pod on cluster "${to.context}"`})
    }
  }

  return passes
}

export async function benchmark(options: BenchmarkOptions, io: BenchmarkIo): Promise<BenchmarkReport & {skipped?: string}> {
  const clusters = [await openTestCluster(options.from, 'subctl-benchmark')]
  try {
    if (options.to) clusters.push(await openTestCluster(options.to, 'subctl-benchmark'))
    for (const cluster of clusters) {
      if (!cluster.submariner) throw new SubctlError('SUBMARINER_NOT_FOUND', `The Submariner resource was not found on "${cluster.context}", which indicates submariner has not been deployed in this cluster.`, {hint: 'Join it first: subctl join'})
    }

    const [from, to] = clusters as [TestCluster, TestCluster | undefined]
    if (to && clusters.some((cluster) => cluster.submariner?.spec.globalCIDR)) {
      const skipped = `${options.kind === 'latency' ? 'Latency' : 'Throughput'} test is not supported with Globalnet enabled, skipping the test...`
      return {...benchmarkReport(options.kind, []), skipped}
    }

    const passes = plan(options.kind, from, to)
    const spec = from.submariner?.spec
    const image = imageFor('submariner-nettest', {overrides: options.imageOverrides, repository: spec?.repository, version: spec?.version})
    const run = new TestRun(options.kind, clusters, {image, log: io.log, operationTimeoutMs: 240_000, signal: io.signal})
    const results: BenchmarkPass[] = []
    try {
      await run.setUp()
      for (const pass of passes) {
        results.push(await io.reporter.step(pass.title, async (step) => {
          const measured = await measure(run, options.kind, pass)
          for (const line of describe(options.kind, measured)) step.detail(line)
          return measured
        }))
      }
    } finally {
      const leftovers = await run.tearDown()
      for (const leftover of leftovers) io.log(`not cleaned up: ${leftover}`)
    }

    return benchmarkReport(options.kind, results)
  } finally {
    for (const cluster of clusters) cluster.client.close()
  }
}

function describe(kind: BenchmarkKind, pass: BenchmarkPass): string[] {
  if (kind === 'latency') return pass.latency ? latencyLines(pass.latency) : []
  return pass.throughput ? [`Throughput:\t${formatBits(pass.throughput.bitsPerSecond)} received over ${pass.throughput.durationSeconds.toFixed(1)} s, ${pass.throughput.retransmits} retransmits (iperf3 -P 10)`] : []
}

async function measure(run: TestRun, kind: BenchmarkKind, pass: PassPlan): Promise<BenchmarkPass> {
  const end = (side: PassPlan['client']): PodEnd => ({cluster: side.cluster.context, node: side.node, role: side.role})
  const server = await startServer(run, kind, pass.server)
  const base: BenchmarkPass = {baseline: pass.baseline, from: end(pass.client), title: pass.title, to: end(pass.server)}
  if (kind === 'latency') {
    const shot = await runOnce(run, pass.client.cluster, {node: pass.client.node}, 'latency-client-pod', {args: ['nettest', 'latency', '--target', `${server}:${PORT}`, '--duration-ms', String(LATENCY_MS)]}, run.settings.operationTimeoutMs)
    const latency = parseLatencyResult(shot.output)
    if (!latency || latency.error) throw new SubctlError('BENCHMARK_FAILED', `the latency client on ${pass.client.cluster.context}/${pass.client.node} got no answer from ${server}:${PORT}: ${latency?.error ?? (shot.output.trim() || `exit ${shot.exitCode}`)}`)
    return {...base, latency}
  }

  let lastError = ''
  for (let attempt = 1; attempt <= THROUGHPUT_ATTEMPTS; attempt++) {
    const shot = await runOnce(run, pass.client.cluster, {node: pass.client.node}, 'nettest-client-pod', {args: ['-w', '256K', '--connect-timeout', '10000', '-P', '10', '-p', String(PORT), '-c', server, '-J'], command: ['iperf3']}, run.settings.operationTimeoutMs)
    try {
      return {...base, throughput: parseIperfJson(shot.output)}
    } catch (error) {
      lastError = (error as Error).message
      run.settings.log(`throughput attempt ${attempt} of ${THROUGHPUT_ATTEMPTS} failed: ${lastError}`)
      if (attempt < THROUGHPUT_ATTEMPTS) await sleep(10_000, undefined, {signal: run.settings.signal}).catch(() => undefined)
    }
  }

  throw new SubctlError('BENCHMARK_FAILED', `iperf3 from ${pass.client.cluster.context}/${pass.client.node} to ${server}:${PORT} failed: ${lastError}`)
}

/** The server pod of a pass; returns its IP once it listens. */
async function startServer(run: TestRun, kind: BenchmarkKind, side: PassPlan['server']): Promise<string> {
  const name = run.name(kind === 'latency' ? 'latency-server-pod' : 'nettest-server-pod')
  const container = kind === 'latency' ? {args: ['nettest', 'serve', '--tcp-port', String(PORT)]} : {args: ['-s', '-p', String(PORT), '--forceflush'], command: ['iperf3']}
  await run.create(side.cluster, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name},
    spec: {containers: [{image: run.settings.image, name: 'server', ...container}], nodeName: side.node, restartPolicy: 'Never', terminationGracePeriodSeconds: 1, tolerations: [{operator: 'Exists'}]},
  })
  // Neither server gets a probe: iperf3 takes any connection to its port for a test's control one.
  return run.until(`the ${kind} server on ${side.cluster.context}/${side.node} to listen`, async () => {
    const pod = await run.pod(side.cluster, name)
    if (pod.status?.phase !== 'Running' || !pod.status.podIP) return undefined
    const log = await side.cluster.client.podLog(name, run.namespace)
    return /Server listening|serving TCP echo/.test(log) ? pod.status.podIP : undefined
  })
}
