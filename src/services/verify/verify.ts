/**
 * `subctl verify`: opens the clusters, runs the specs of the chosen keys on each ordered pair,
 * and removes everything it made, whatever happens (reference/subctl.md §6.2; the specs are
 * native, not upstream's Ginkgo suites). Two modes:
 *   --context A --tocontext B [--extracontext C]: every spec of the keys, A to B and B to A;
 *   --contexts a,b,c: the matrix specs (pod to pod, pod to Service, DNS) on every ordered pair,
 *     a cluster that has not joined filling its row and column.
 */
import {imageFor} from '../../lib/images.js'
import type {KubeConnectionOptions} from '../../k8s/kubeconfig.js'
import {loadKubeconfig, resolveTarget} from '../../k8s/kubeconfig.js'
import {clientFor} from '../../k8s/clients.js'
import {messageOf, SubctlError} from '../../lib/errors.js'
import type {Reporter} from '../../lib/reporter.js'
import {orderedPairs, secondContextMissing, type Verification} from '../../lib/verify-plan.js'
import {pairMatrix, resultLine, type SpecResult, type VerifyReport} from '../../lib/verify-report.js'
import {describeCluster, openTestCluster, type TestCluster} from './cluster.js'
import {BASIC_CONNECTIVITY_SPECS, CONNECTIVITY_SPECS} from './connectivity.js'
import {SERVICE_DISCOVERY_SPECS} from './discovery.js'
import {GATEWAY_FAILOVER_SPECS} from './failover.js'
import {runSpec, SpecSkipped, type Limits, type PairContext, type Spec} from './spec.js'
import {TestRun} from './test-run.js'

const FIELD_MANAGER = 'subctl-verify'

const COMPLIANCE_SPECS: Spec[] = [
  {
    key: 'compliance',
    name: 'the gateways’ IPsec runs in FIPS mode',
    async run({from}) {
      const driver = from.submariner?.spec.cableDriver ?? 'libreswan'
      throw new SpecSkipped(
        driver === 'libreswan'
          ? `${from.context} uses libreswan, but this version has no FIPS check for it`
          : `the compliance check is of libreswan's FIPS mode, and ${from.context} uses the ${driver} cable driver`,
      )
    },
  },
]

export const SPECS_BY_KEY: Record<Verification, Spec[]> = {
  'basic-connectivity': BASIC_CONNECTIVITY_SPECS,
  compliance: COMPLIANCE_SPECS,
  connectivity: CONNECTIVITY_SPECS,
  'gateway-failover': GATEWAY_FAILOVER_SPECS,
  'service-discovery': SERVICE_DISCOVERY_SPECS,
}

/** The matrix of --contexts: one spec of pod to pod, of pod to Service, and of DNS per pair. */
const MATRIX_SPECS: Spec[] = [
  ...BASIC_CONNECTIVITY_SPECS.filter((spec) => spec.name.startsWith('TCP')),
  SERVICE_DISCOVERY_SPECS[0] as Spec,
]

export interface VerifyOptions {
  from: KubeConnectionOptions
  to?: KubeConnectionOptions
  extra?: KubeConnectionOptions
  /** --contexts: the matrix mode. */
  contexts?: string[]
  keys: Verification[]
  limits: Limits
  operationTimeoutSeconds: number
  imageOverrides: Record<string, string>
}

export interface VerifyIo {
  /** Draws each spec as a step (on a terminal); silent otherwise. */
  reporter: Reporter
  /** Each result as it comes (the plain lines without a terminal). */
  onResult: (result: SpecResult) => void
  signal: AbortSignal
  log: (line: string) => void
}

export interface VerifyOutcome {
  results: SpecResult[]
  leftovers: string[]
  /** Clusters of --contexts that could not be read. */
  warnings: string[]
  matrix?: VerifyReport['matrix']
}

const NOT_JOINED = 'not joined'

/** The clusters of --contexts; one that cannot be read is left out of the pairs with the reason. */
async function openMatrixClusters(options: VerifyOptions, unreachable: Record<string, string>, warnings: string[]): Promise<TestCluster[]> {
  const loaded = await loadKubeconfig(options.from)
  const clusters: TestCluster[] = []
  for (const context of options.contexts ?? []) {
    const target = resolveTarget(loaded, {...options.from, context}, context)
    const client = clientFor(target, FIELD_MANAGER)
    try {
      clusters.push(await describeCluster(client, context, target.clusterName))
    } catch (error) {
      unreachable[context] = 'unreachable'
      warnings.push(`${context} is left out: ${messageOf(error)}`)
      clusters.push({client, clusterId: target.clusterName, context, gatewayNodes: []})
    }
  }

  return clusters
}

async function openPairClusters(options: VerifyOptions): Promise<TestCluster[]> {
  if (!options.to) throw secondContextMissing()

  const clusters = [await openTestCluster(options.from, FIELD_MANAGER), await openTestCluster(options.to, FIELD_MANAGER)]
  if (options.extra) clusters.push(await openTestCluster(options.extra, FIELD_MANAGER))
  return clusters
}

function specsFor(keys: Verification[], matrix: boolean): Spec[] {
  if (matrix) return MATRIX_SPECS.filter((spec) => keys.includes(spec.key) || (spec.key === 'basic-connectivity' && keys.includes('connectivity')))
  return keys.flatMap((key) => SPECS_BY_KEY[key])
}

export async function verify(options: VerifyOptions, io: VerifyIo): Promise<VerifyOutcome> {
  const matrixMode = (options.contexts?.length ?? 0) > 0
  const unreachable: Record<string, string> = {}
  const warnings: string[] = []
  const clusters = matrixMode ? await openMatrixClusters(options, unreachable, warnings) : await openPairClusters(options)
  try {
    const joined = clusters.filter((cluster) => cluster.submariner)
    const first = clusters[0] as TestCluster
    if (!matrixMode && !first.submariner) {
      throw new SubctlError('SUBMARINER_NOT_FOUND', 'The Submariner resource was not found which indicates submariner has not been deployed in this cluster.', {
        hint: `Join ${first.context} to a broker first: subctl join broker-info.subm --context ${first.context}`,
      })
    }

    const source = joined[0]?.submariner?.spec
    const image = imageFor('submariner-nettest', {overrides: options.imageOverrides, repository: source?.repository, version: source?.version})
    const run = new TestRun('verify', joined, {image, log: io.log, operationTimeoutMs: options.operationTimeoutSeconds * 1000, signal: io.signal})
    const specs = specsFor(options.keys, matrixMode)
    const pairs = orderedPairs(clusters.slice(0, matrixMode ? clusters.length : 2).map((cluster) => cluster.context))
    const byContext = new Map(clusters.map((cluster) => [cluster.context, cluster]))
    const results: SpecResult[] = []
    const notJoined = Object.fromEntries(clusters.filter((cluster) => !cluster.submariner).map((cluster) => [cluster.context, unreachable[cluster.context] ?? NOT_JOINED]))
    let leftovers: string[] = []
    try {
      await run.setUp()
      for (const [fromName, toName] of pairs) {
        const from = byContext.get(fromName) as TestCluster
        const to = byContext.get(toName) as TestCluster
        if (!from.submariner || !to.submariner) continue
        const context: PairContext = {from, limits: options.limits, run, to, ...(!matrixMode && clusters[2] ? {extra: clusters[2]} : {})}
        for (const spec of specs) {
          if (io.signal.aborted) break
          let result: SpecResult | undefined
          // A step that reported a failure rejects on a terminal (listr2); the result is kept either way.
          const drawn = io.reporter.step(`[${spec.key}] ${spec.name} (${from.context} -> ${to.context})`, async (step) => {
            result = globalnetSkip(spec, from, to) ?? (await runSpec(spec, context))
            if (result.status === 'failed') step.failure(resultLine(result))
            else if (result.status === 'skipped') step.warning(result.message ?? 'skipped')
          })
          await drawn.catch((error: unknown) => {
            if (!result) throw error
          })
          results.push(result as SpecResult)
          io.onResult(result as SpecResult)
        }
      }
    } finally {
      leftovers = await run.tearDown()
    }

    return {
      leftovers,
      results,
      warnings,
      ...(matrixMode ? {matrix: {contexts: clusters.map((cluster) => cluster.context), notJoined, rows: pairMatrix(clusters.map((cluster) => cluster.context), results, notJoined)}} : {}),
    }
  } finally {
    for (const cluster of clusters) cluster.client.close()
  }
}

/**
 * With a global CIDR the connectivity specs run their Globalnet variants (to global IPs). Two kinds
 * have none here: host-network sources (Globalnet translates pod and service CIDRs only, not node
 * addresses) and the service-discovery specs, whose expected answers are ClusterIPs.
 */
function globalnetSkip(spec: Spec, from: TestCluster, to: TestCluster): SpecResult | undefined {
  if (!from.submariner?.spec.globalCIDR) return undefined
  const reason = spec.key === 'service-discovery' ? 'its expected answers are ClusterIPs, which Globalnet replaces with global IPs' : /host-network/.test(spec.name) ? 'Globalnet translates pod and service addresses, not a node’s own' : undefined
  if (!reason) return undefined
  return {durationMs: 0, from: from.context, key: spec.key, message: `${from.context} uses Globalnet: skipped, ${reason}`, name: spec.name, status: 'skipped', to: to.context}
}
