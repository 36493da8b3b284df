/**
 * Globalnet on the lab (issue 13): c3 overlaps c1 (both 10.8.0.0/16 pods, 10.88.0.0/16
 * services), and c2 does not. The broker is deployed with --globalnet, all three join, and they
 * reach and discover each other through global IPs, translated on the active gateways. Needs a lab
 * of broker,c1,c2,c3 (`npm run lab -- up --clusters broker,c1,c2,c3`); npm test brings one up for
 * this file after the other lab tests.
 */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ServiceImport, ServiceObject} from '../../src/api/mcs.js'
import type {ClusterGlobalEgressIP, Gateway, GlobalEgressIP, GlobalIngressIP, Submariner} from '../../src/api/submariner.js'
import {Resources} from '../../src/k8s/resources.js'
import {containsIp, parseCidr} from '../../src/lib/cidr.js'
import {activeGateway, addSecondGateway, deployEcho, deployWebStatefulSet, dig, probe, removeSecondGateway, subctl, subctlOk, withClient} from '../e2e/clusterset.js'
import {nodeState, type NodeState} from '../e2e/node-state.js'
import {ROOT} from '../helpers/cli.js'
import {eventually} from '../helpers/lab.js'
import {inNetns} from '../lab/sh.js'

const CLUSTERS = ['c1', 'c2', 'c3'] as const
const NODES = CLUSTERS.flatMap((cluster) => [`${cluster}-control-plane`, `${cluster}-worker`])
const WORKDIR = join(ROOT, '.test-results', 'globalnet')
const NAMESPACE = 'e2e-globalnet'
const echoName = `echo.${NAMESPACE}.svc.clusterset.local`
const before: Record<string, NodeState> = {}

const run = (args: string[]) => subctlOk(args, {cwd: WORKDIR})

async function globalCidr(cluster: string): Promise<string> {
  return withClient(cluster, async (client) => (await client.get<Submariner>(Resources.Submariner, 'submariner', 'submariner-operator')).spec.globalCIDR ?? '')
}

async function clusterEgressIps(cluster: string): Promise<string[]> {
  return withClient(cluster, async (client) => (await client.get<ClusterGlobalEgressIP>(Resources.ClusterGlobalEgressIP, 'cluster-egress.submariner.io')).status?.allocatedIPs ?? [])
}

/** The source address the echo server saw, from an HTTP probe in `cluster` (undefined if it failed). */
async function sourceSeen(cluster: string, target: string, labels?: Record<string, string>): Promise<string | undefined> {
  const attempt = await withClient(cluster, (client) => probe(client, NAMESPACE, target, {count: 1, labels, protocol: 'http', timeoutMs: 60_000}))
  const answer = attempt.result?.passed ? attempt.result.answers[0] : undefined
  return answer ? (JSON.parse(answer) as {remote: string}).remote.replace(/^::ffff:/, '') : undefined
}

async function sourceEventually(cluster: string, target: string, labels?: Record<string, string>): Promise<string> {
  return eventually(`${target} to answer a probe from ${cluster}`, () => sourceSeen(cluster, target, labels), 120_000, 1000)
}

async function connectedToAll(cluster: string): Promise<boolean> {
  return withClient(cluster, async (client) => {
    const gateways = (await client.list<Gateway>(Resources.Gateway, {namespace: 'submariner-operator'})).items
    const active = gateways.find((gateway) => gateway.status?.haStatus === 'active')
    const others = CLUSTERS.filter((other) => other !== cluster)
    return others.every((other) => active?.status?.connections?.some((connection) => connection.endpoint.cluster_id === other && connection.status === 'connected'))
  })
}

const natChains = (node: string) =>
  inNetns(`lab-${node}`, ['iptables', '-t', 'nat', '-S'])
    .split('\n')
    .filter((line) => /SUBMARINER-GN-|SM-GN-/.test(line))

beforeAll(async () => {
  mkdirSync(WORKDIR, {recursive: true})
  // A lab left joined by an earlier run starts over: this file owns its clusterset.
  for (const cluster of [...CLUSTERS, 'broker']) {
    const installed = await withClient(cluster, async (client) => (await client.tryGet(Resources.Namespace, 'submariner-operator')) ?? (await client.tryGet(Resources.Namespace, 'submariner-k8s-broker')))
    if (installed) await run(['uninstall', '--context', cluster, '--yes'])
  }

  for (const node of NODES) before[node] = nodeState(node)
  await run(['deploy-broker', '--context', 'broker', '--globalnet'])
  for (const cluster of CLUSTERS) {
    await run(['join', 'broker-info.subm', '--context', cluster, '--clusterid', cluster, '--gateway-nodes', `${cluster}-worker`, '--cable-driver', 'vxlan', '--air-gapped'])
  }

  for (const cluster of CLUSTERS) await eventually(`${cluster} to be connected to the others`, () => connectedToAll(cluster), 180_000, 1000)
  for (const cluster of CLUSTERS) {
    await withClient(cluster, async (client) => {
      if (!(await client.tryGet(Resources.Namespace, NAMESPACE))) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
    })
  }
}, 1_500_000)

afterAll(async () => {
  await removeSecondGateway('c3').catch(() => undefined)
})

describe('Globalnet with overlapping clusters', () => {
  it('gives each cluster its own global CIDR from the broker range, shown by show networks', async () => {
    const cidrs = await Promise.all(CLUSTERS.map(globalCidr))
    expect(new Set(cidrs).size).toBe(3)
    for (const cidr of cidrs) expect(cidr).toMatch(/^242\.\d+\.0\.0\/16$/)
    const shown = await run(['show', 'networks', '--context', 'c3'])
    expect(shown.stdout).toContain(`Global CIDR:     ${cidrs[2]}`)
    // The cluster egress IPs come from the cluster's own global CIDR.
    const egress = await clusterEgressIps('c1')
    expect(egress).toHaveLength(8)
    for (const ip of egress) expect(containsIp(parseCidr(cidrs[0] as string)!, ip)).toBe(true)
    // The gateways health-check each other at global IPs that Globalnet gives their Gateways.
    const gateway = await withClient('c3', async (client) => (await client.list<Gateway>(Resources.Gateway, {namespace: 'submariner-operator'})).items.find((candidate) => candidate.status?.haStatus === 'active'))
    const healthCheckIp = gateway?.metadata.annotations?.['submariner.io/globalIp'] ?? ''
    expect(containsIp(parseCidr(cidrs[2] as string)!, healthCheckIp), healthCheckIp).toBe(true)
    await eventually('c1 to measure the round trip to c3’s gateway at its global health check IP', async () => {
      const gateways = await withClient('c1', (client) => client.list<Gateway>(Resources.Gateway, {namespace: 'submariner-operator'}))
      const connection = gateways.items.flatMap((candidate) => candidate.status?.connections ?? []).find((entry) => entry.endpoint.cluster_id === 'c3')
      return connection?.endpoint.healthCheckIP === healthCheckIp && connection.latencyRTT?.average ? connection : undefined
    }, 60_000, 1000)
  })

  it('reaches a ClusterIP service of an overlapping cluster by its clusterset name, both ways, and the server sees a global source', async () => {
    await withClient('c3', (client) => deployEcho(client, NAMESPACE))
    await withClient('c1', (client) => deployEcho(client, NAMESPACE, 'echo1'))
    await run(['export', 'service', '--context', 'c3', '--namespace', NAMESPACE, 'echo'])
    await run(['export', 'service', '--context', 'c1', '--namespace', NAMESPACE, 'echo1'])

    const ingress = await withClient('c3', (client) => eventually('the GlobalIngressIP of echo', async () => (await client.tryGet<GlobalIngressIP>(Resources.GlobalIngressIP, 'echo', NAMESPACE))?.status?.allocatedIP))
    expect(containsIp(parseCidr(await globalCidr('c3'))!, ingress)).toBe(true)
    // The clusterset name answers the import's clusterset IP, which c1's nodes DNAT to c3's global
    // IP; the cluster-qualified name answers the global IP itself.
    const clustersetIp = await withClient('c1', (client) => eventually('the clusterset IP of echo in c1', async () => (await client.tryGet<ServiceImport>(Resources.ServiceImport, 'echo', NAMESPACE))?.spec.ips?.[0]))
    await eventually(`${echoName} to resolve in c1 to its clusterset IP`, async () => (await dig('c1', 'c1-control-plane', echoName)).answers.includes(clustersetIp), 60_000, 500)
    await eventually(`c3.${echoName} to resolve in c1 to c3's global IP`, async () => (await dig('c1', 'c1-control-plane', `c3.${echoName}`)).answers.includes(ingress), 60_000, 500)

    const c1Egress = await clusterEgressIps('c1')
    for (const [cluster, target] of [
      ['c1', `${echoName}:80`],
      ['c3', `echo1.${NAMESPACE}.svc.clusterset.local:80`],
    ] as const) {
      const source = await sourceEventually(cluster, target)
      const egress = cluster === 'c1' ? c1Egress : await clusterEgressIps('c3')
      expect(egress, `${cluster}'s probe to ${target} came from ${source}`).toContain(source)
    }

    // The exporting cluster's own clients get its ClusterIP, not the global IP (lighthouse#993).
    const clusterIp = await withClient('c3', async (client) => (await client.get<ServiceObject>(Resources.Service, 'echo', NAMESPACE)).spec.clusterIP)
    await eventually(`c3.${echoName} to resolve in c3 to its ClusterIP`, async () => (await dig('c3', 'c3-control-plane', `c3.${echoName}`)).answers.includes(clusterIp as string), 60_000, 500)
    // c2, which overlaps nobody, reaches c3 through Globalnet too.
    expect(await sourceEventually('c2', `${echoName}:80`)).toSatisfy((ip: string) => ip.startsWith('242.'))
  })

  it('passes diagnose’s Globalnet check and verify’s Globalnet variants of basic connectivity', async () => {
    const diagnosed = await subctl(['diagnose', 'all', '--context', 'c3', '-o', 'json'], {cwd: WORKDIR})
    const results = (JSON.parse(diagnosed.stdout) as {results: Array<{check: string; status: string; message: string}>}).results.filter((result) => result.check === 'globalnet')
    expect(results.map((result) => `${result.status}: ${result.message}`)).toEqual(['passed: Globalnet is correctly configured: the egress IPs and every exported service’s global IP are allocated'])

    const verified = await subctl(['verify', '--context', 'c1', '--tocontext', 'c3', '--only', 'basic-connectivity', '-o', 'json'], {cwd: WORKDIR, timeoutMs: 600_000})
    const specs = (JSON.parse(verified.stdout) as {results: Array<{status: string; name: string; message?: string}>}).results
    expect(specs.length).toBeGreaterThan(0)
    expect(specs.filter((spec) => spec.status !== 'passed'), verified.stdout).toEqual([])
    expect(verified.code).toBe(0)
  })

  it('gives pods a GlobalEgressIP selects its own source address, and only them', async () => {
    await withClient('c1', (client) =>
      client.apply<GlobalEgressIP>({apiVersion: 'submariner.io/v1', kind: 'GlobalEgressIP', metadata: {name: 'selected', namespace: NAMESPACE}, spec: {podSelector: {matchLabels: {'gn-egress': 'selected'}}}}),
    )
    const [selectedIp] = await withClient('c1', (client) =>
      eventually('the GlobalEgressIP to be allocated', async () => (await client.get<GlobalEgressIP>(Resources.GlobalEgressIP, 'selected', NAMESPACE)).status?.allocatedIPs),
    )
    const selected = await eventually('a selected pod to leave with its GlobalEgressIP', async () => ((await sourceSeen('c1', `${echoName}:80`, {'gn-egress': 'selected'})) === selectedIp ? selectedIp : undefined), 60_000, 1000)
    expect(selected).toBe(selectedIp)
    expect(await clusterEgressIps('c1')).toContain(await sourceEventually('c1', `${echoName}:80`, {'gn-egress': 'other'}))
  })

  it('resolves a headless StatefulSet per pod to per-pod global IPs, and each pod answers itself', async () => {
    await withClient('c3', (client) => deployWebStatefulSet(client, NAMESPACE))
    await run(['export', 'service', '--context', 'c3', '--namespace', NAMESPACE, 'web'])
    const c3Cidr = parseCidr(await globalCidr('c3'))!
    for (const pod of ['web-0', 'web-1']) {
      const name = `${pod}.c3.web.${NAMESPACE}.svc.clusterset.local`
      const {answers} = await eventually(`${name} to resolve to a global IP`, async () => {
        const result = await dig('c1', 'c1-worker', name)
        return result.answers.length === 1 && containsIp(c3Cidr, result.answers[0] as string) ? result : undefined
      }, 90_000, 500)
      const giip = await withClient('c3', (client) => client.get<GlobalIngressIP>(Resources.GlobalIngressIP, `pod-${pod}`, NAMESPACE))
      expect(answers).toEqual([giip.status?.allocatedIP])
      const attempt = await eventually(`${pod} to answer on its global IP`, async () => {
        const result = await withClient('c1', (client) => probe(client, NAMESPACE, `${answers[0]}:8000`, {count: 1, protocol: 'http'}))
        return result.result?.passed ? result.result : undefined
      }, 60_000, 1000)
      expect((JSON.parse(attempt.answers[0] as string) as {pod: string}).pod).toBe(pod)
    }
  })

  it('moves the translation with the gateway when the active gateway pod is killed', async () => {
    const allocatedIn = (cluster: string) =>
      withClient(cluster, async (client) => ({
        egress: (await client.get<ClusterGlobalEgressIP>(Resources.ClusterGlobalEgressIP, 'cluster-egress.submariner.io')).status?.allocatedIPs,
        ingress: Object.fromEntries((await client.list<GlobalIngressIP>(Resources.GlobalIngressIP, {namespace: NAMESPACE})).items.map((object) => [object.metadata.name, object.status?.allocatedIP])),
      }))
    const allocatedBefore = await allocatedIn('c3')
    await addSecondGateway('c3')
    const old = await activeGateway('c3')
    expect(old).toBe('c3-worker')
    expect(natChains('c3-worker').some((line) => line.startsWith('-A SM-GN-EGRESS-CLUSTER'))).toBe(true)
    await withClient('c3', async (client) => {
      const pods = await client.list(Resources.Pod, {labelSelector: 'app=submariner-gateway', namespace: 'submariner-operator'})
      const pod = pods.items.find((candidate) => (candidate as {spec?: {nodeName?: string}}).spec?.nodeName === old)
      await client.delete(Resources.Pod, pod?.metadata.name as string, 'submariner-operator')
    })
    const killedAt = Date.now()
    const source = await sourceEventually('c1', `${echoName}:80`)
    const seconds = ((Date.now() - killedAt) / 1000).toFixed(1)
    console.log(`traffic resumed ${seconds} s after the gateway pod was deleted (first successful probe, through ${await activeGateway('c3')})`)
    expect(await activeGateway('c3')).toBe('c3-control-plane')
    expect(await clusterEgressIps('c1')).toContain(source)
    await eventually('the new gateway to translate and the old one not', async () => {
      const fresh = natChains('c3-control-plane').some((line) => line.startsWith('-A SM-GN-EGRESS-CLUSTER'))
      const stale = natChains('c3-worker').some((line) => line.startsWith('-A SM-GN-EGRESS-CLUSTER'))
      return fresh && !stale
    }, 60_000, 1000)
    // c1 reaches c3 the other way round through the new gateway too.
    expect(await clusterEgressIps('c3')).toContain(await sourceEventually('c3', `echo1.${NAMESPACE}.svc.clusterset.local:80`))
    // The new leader took back what the statuses recorded: every global IP is the same.
    expect(await allocatedIn('c3')).toEqual(allocatedBefore)
  })

  it('releases a service’s global IP and internal Service when its export goes', async () => {
    await run(['unexport', 'service', '--context', 'c1', '--namespace', NAMESPACE, 'echo1'])
    await withClient('c1', async (client) => {
      await eventually('the GlobalIngressIP of echo1 to go', async () => !(await client.tryGet(Resources.GlobalIngressIP, 'echo1', NAMESPACE)), 60_000, 500)
      await eventually('the internal Service of echo1 to go', async () => (await client.list(Resources.Service, {labelSelector: 'submariner.io/exportedServiceRef=echo1', namespace: NAMESPACE})).items.length === 0, 60_000, 500)
    })
  })

  it('leaves the nodes as they were after uninstall', async () => {
    await removeSecondGateway('c3')
    for (const cluster of CLUSTERS) await run(['uninstall', '--context', cluster, '--yes'])
    await run(['uninstall', '--context', 'broker', '--yes'])
    for (const node of NODES) {
      await eventually(`${node} to be as before the join`, async () => JSON.stringify(nodeState(node)) === JSON.stringify(before[node]), 60_000, 1000).catch(() => undefined)
      expect(nodeState(node), node).toEqual(before[node])
      expect(natChains(node), node).toEqual([])
    }

    const leftovers = await withClient('c1', async (client) => [...(await client.list(Resources.GlobalIngressIP)).items, ...(await client.list(Resources.GlobalEgressIP)).items].length).catch(() => 0)
    expect(leftovers).toBe(0)
    expect((await subctl(['show', 'networks', '--context', 'c1'], {cwd: WORKDIR})).code).toBe(0)
  })
})
