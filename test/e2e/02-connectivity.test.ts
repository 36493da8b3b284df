/**
 * Issue 5 on the lab: pods reach pods and Services of the other cluster, both ways, over the vxlan
 * and the wireguard cable drivers; `show` reports the connections with an RTT; a second gateway is
 * passive and takes over when the active one's agent is killed or its node is cut off.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Gateway} from '../../src/api/submariner.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {eventually} from '../helpers/lab.js'
import {setNodeConnected} from '../lab/operations.js'
import {inNetns} from '../lab/sh.js'
import {activeGateway, addSecondGateway, BROKER_INFO, deployEcho, ensureClusterset, gatewayAgentPid, probeEventually, removeSecondGateway, subctl, subctlOk, waitConnected, withClient} from './clusterset.js'

const NAMESPACE = 'e2e-connectivity'

async function echoTargets(cluster: string): Promise<{podIPs: string[]; serviceIP: string}> {
  return withClient(cluster, async (client) => {
    const pods = await client.list<KubeObject & {status?: {podIP?: string}}>(Resources.Pod, {labelSelector: 'app=echo', namespace: NAMESPACE})
    const service = await client.get<KubeObject & {spec: {clusterIP: string}}>(Resources.Service, 'echo', NAMESPACE)
    return {podIPs: pods.items.map((pod) => pod.status?.podIP as string), serviceIP: service.spec.clusterIP}
  })
}

/** From each node of `from`, every echo pod and the echo Service of `to` answer. */
async function expectReachable(from: string, to: string): Promise<void> {
  const targets = await echoTargets(to)
  expect(targets.podIPs).toHaveLength(2)
  await withClient(from, async (client) => {
    for (const node of [`${from}-control-plane`, `${from}-worker`]) {
      for (const ip of [...targets.podIPs, targets.serviceIP]) {
        const {message, result} = await probeEventually(client, NAMESPACE, `${ip}:8080`, {node, withinMs: 30_000})
        expect(result?.passed, `${from}/${node} -> ${to} ${ip}: ${message}`).toBe(true)
      }
    }
  })
}

async function showConnections(): Promise<Array<{cluster: string; connections?: Array<{cluster: string; status: string; rttAverageMs: number | null; cableDriver: string}>}>> {
  const result = await subctlOk(['show', 'connections', '--contexts', 'c1,c2', '-o', 'json'])
  return (JSON.parse(result.stdout) as {clusters: Array<{cluster: string; connections?: Array<{cluster: string; status: string; rttAverageMs: number | null; cableDriver: string}>}>}).clusters
}

beforeAll(async () => {
  await ensureClusterset('vxlan')
  for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => deployEcho(client, NAMESPACE))
}, 900_000)

afterAll(async () => {
  for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
})

describe.each(['vxlan', 'wireguard'] as const)('over the %s cable driver', (driver) => {
  beforeAll(async () => {
    await ensureClusterset(driver)
  }, 900_000)

  it('connects pods and Services across clusters, both ways', async () => {
    await expectReachable('c1', 'c2')
    await expectReachable('c2', 'c1')
  })

  it('reports the connections as connected, with an RTT, in show connections', async () => {
    const clusters = await eventually('connections with an RTT', async () => {
      const all = await showConnections()
      return all.every((entry) => typeof entry.connections?.[0]?.rttAverageMs === 'number') ? all : undefined
    }, 60_000, 1000)
    for (const [cluster, other] of [
      ['c1', 'c2'],
      ['c2', 'c1'],
    ]) {
      const connection = clusters.find((entry) => entry.cluster === cluster)?.connections?.[0]
      expect(connection).toMatchObject({cableDriver: driver, cluster: other, status: 'connected'})
      expect(connection?.rttAverageMs).toBeGreaterThan(0)
    }
  })
})

describe('over the libreswan cable driver, on a kernel without IPsec', () => {
  it('fails join with the gateway’s message, reports it in show gateways, and keeps the gateway running but not ready', async () => {
    const failure = /the libreswan cable driver needs (kernel IPsec \(XFRM with ESP\)|libreswan \(the ipsec command\))/
    const join = await subctl(['join', BROKER_INFO, '--context', 'c1', '--clusterid', 'c1', '--gateway-nodes', 'c1-worker', '--cable-driver', 'libreswan', '--air-gapped'])
    expect(join.code).toBe(1)
    expect(join.stderr).toMatch(/Error: The gateway cannot connect the cluster: gateway c1-worker: Error initialising the libreswan cable driver: .*use --cable-driver wireguard or vxlan/)
    await eventually('the Gateway of c1 to report the driver failure', async () => {
      const result = await subctlOk(['show', 'gateways', '--context', 'c1', '-o', 'json'])
      const rows = (JSON.parse(result.stdout) as {clusters: Array<{gateways?: Array<{summary: string}>}>}).clusters[0]?.gateways ?? []
      return rows.some((row) => failure.test(row.summary))
    }, 120_000, 1000)
    expect((await subctlOk(['show', 'gateways', '--context', 'c1'])).stdout).toMatch(failure)
    const restarts = async () =>
      withClient('c1', async (client) => {
        const pods = await client.list<KubeObject & {status?: {containerStatuses?: Array<{restartCount: number; ready: boolean}>}}>(Resources.Pod, {labelSelector: 'app=submariner-gateway', namespace: 'submariner-operator'})
        return pods.items.map((pod) => pod.status?.containerStatuses?.[0])
      })
    const before = await restarts()
    await sleep(5000)
    expect(await restarts()).toEqual(before)
    // The active gateway carries no traffic without its driver: not ready, but not restarted either.
    expect(before.map((status) => status?.ready)).toEqual([false])
  })
})

describe('a gateway on a network without internet access', () => {
  it('keeps a gateway that cannot learn its public IP running on its private IP, and says why in join', async () => {
    await subctlOk(['join', BROKER_INFO, '--context', 'c2', '--clusterid', 'c2', '--gateway-nodes', 'c2-worker', '--cable-driver', 'vxlan', '--air-gapped'])
    // Without --air-gapped the gateway asks the internet for its public IP; the lab has none.
    const join = await subctlOk(['join', BROKER_INFO, '--context', 'c1', '--clusterid', 'c1', '--gateway-nodes', 'c1-worker', '--cable-driver', 'vxlan'])
    expect(join.stderr + join.stdout).toMatch(/Gateway c1-worker: could not determine the public IP with any resolver \(.*\); the gateway uses its private IP\. On a network without internet access, join with --air-gapped/)
    const gateway = await withClient('c1', (client) => client.get<Gateway>(Resources.Gateway, 'c1-worker', 'submariner-operator'))
    expect(gateway.status?.conditions).toContainEqual(expect.objectContaining({reason: 'ResolversFailed', status: 'False', type: 'PublicIPKnown'}))
    await waitConnected('vxlan')
  })
})

describe('gateway high availability', () => {
  beforeAll(async () => {
    await ensureClusterset('vxlan')
    await addSecondGateway('c1')
  }, 300_000)

  afterAll(async () => {
    for (const node of ['c1-worker', 'c1-control-plane']) setNodeConnected(node, true)
    await removeSecondGateway('c1')
  })

  it('keeps a second gateway node passive', async () => {
    const result = await subctlOk(['show', 'gateways', '--context', 'c1'])
    expect(result.stdout).toMatch(/c1-\S+\s+active\s+All connections \(1\) are established/)
    expect(result.stdout).toMatch(/c1-\S+\s+passive\s+There are no connections/)
  })

  it('resumes traffic through the other gateway when the active one’s agent is killed', async () => {
    const before = (await activeGateway('c1')) as string
    const pid = gatewayAgentPid(before)
    expect(pid, `the gateway agent on ${before}`).toBeDefined()
    process.kill(pid as number, 'SIGKILL')
    const after = await eventually('another gateway to take over', async () => {
      const active = await activeGateway('c1')
      return active && active !== before ? active : undefined
    }, 60_000, 250)
    expect(after).not.toBe(before)
    await waitConnected('vxlan')
    await expectReachable('c1', 'c2')
    await expectReachable('c2', 'c1')
  })

  it('resumes traffic through the other gateway when the active one’s node is cut off the underlay', async () => {
    // The lab's API server runs on the control-plane node: cutting that one off would take the whole
    // cluster down. Make the worker the active gateway first (killing the control plane's agent).
    if ((await activeGateway('c1')) === 'c1-control-plane') {
      process.kill(gatewayAgentPid('c1-control-plane') as number, 'SIGKILL')
      await eventually('c1-worker to become active', async () => (await activeGateway('c1')) === 'c1-worker', 60_000, 250)
    }

    const before = 'c1-worker'
    setNodeConnected(before, false)
    try {
      const after = await eventually('another gateway to take over', async () => {
        const active = await activeGateway('c1')
        return active && active !== before ? active : undefined
      }, 90_000, 500)
      expect(after).not.toBe(before)
      // Probe only from the node that is still on the network.
      const targets = await echoTargets('c2')
      await withClient('c1', async (client) => {
        const {message, result} = await probeEventually(client, NAMESPACE, `${targets.serviceIP}:8080`, {node: after, withinMs: 60_000})
        expect(result?.passed, message).toBe(true)
      })
    } finally {
      setNodeConnected(before, true)
    }

    // Back on the network, the old leader has stepped down (it could not renew the lease) and says so.
    await eventually('the cut-off gateway to report itself passive', () =>
      withClient('c1', async (client) => (await client.tryGet<Gateway>(Resources.Gateway, before, 'submariner-operator'))?.status?.haStatus === 'passive'),
    30_000, 500)
    await waitConnected('vxlan')
  })

  it('removes the cables of a node that stops being a gateway, whose pods then reach the other cluster through the new one', async () => {
    if ((await activeGateway('c1')) !== 'c1-control-plane') {
      process.kill(gatewayAgentPid('c1-worker') as number, 'SIGKILL')
      await eventually('c1-control-plane to become active', async () => (await activeGateway('c1')) === 'c1-control-plane', 60_000, 250)
    }

    await removeSecondGateway('c1')
    await eventually('c1-worker to take over', async () => (await activeGateway('c1')) === 'c1-worker', 60_000, 250)
    await eventually('the old gateway’s cable device to be gone', async () => !inNetns('lab-c1-control-plane', ['ip', '-o', 'link']).includes('vxlan-tunnel'), 30_000, 250)
    await waitConnected('vxlan')
    await expectReachable('c1', 'c2')
  })
})
