import {describe, expect, it} from 'vitest'

import {LABEL_K8S_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SOURCE_CLUSTER, MANAGED_BY_LIGHTHOUSE, type EndpointSlice, type ServiceImport} from '../api/mcs.js'
import type {Gateway} from '../api/submariner.js'
import {clustersetIpRules, connectedClusters} from './clusterset-ip.js'

const PORTS = [
  {name: 'tcp', port: 42, protocol: 'TCP'},
  {name: 'udp', port: 42, protocol: 'UDP'},
]

function imported(extra: Partial<ServiceImport['spec']> = {}): ServiceImport {
  return {metadata: {name: 'hello', namespace: 'ns'}, spec: {ips: ['243.0.0.1'], ports: PORTS, type: 'ClusterSetIP', ...extra}}
}

function lighthouseSlice(cluster: string, ip: string, ports = PORTS, ready = true): EndpointSlice {
  return {
    addressType: 'IPv4',
    endpoints: [{addresses: [ip], conditions: {ready}}],
    metadata: {labels: {[LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE, [LABEL_SERVICE_NAME]: 'hello', [LABEL_SOURCE_CLUSTER]: cluster}, name: `hello-${cluster}`, namespace: 'ns'},
    ports,
  }
}

function podSlice(pods: string[]): EndpointSlice {
  return {
    addressType: 'IPv4',
    endpoints: pods.map((ip) => ({addresses: [ip], conditions: {ready: true}})),
    metadata: {labels: {[LABEL_K8S_SERVICE_NAME]: 'hello', [LABEL_MANAGED_BY]: 'endpointslice-controller.k8s.io'}, name: 'hello-abcde', namespace: 'ns'},
    ports: [
      {name: 'tcp', port: 8042, protocol: 'TCP'},
      {name: 'udp', port: 8042, protocol: 'UDP'},
    ],
  }
}

/** Where each entry rule's port chain leads: the DNAT targets reachable from it. */
function targets(program: ReturnType<typeof clustersetIpRules>, entryIndex: number): string[] {
  const seen = new Set<string>()
  const walk = (chain: string) => {
    for (const rule of program.chains.get(chain) ?? []) {
      const jump = rule[rule.indexOf('-j') + 1] as string
      if (jump === 'DNAT') seen.add(rule.at(-1) as string)
      else walk(jump)
    }
  }

  walk(program.entry[entryIndex]?.at(-1) as string)
  return [...seen].sort()
}

describe('the clusterset-IP rules', () => {
  it('sends each port to the remote service IPs and the local pods, a cluster each share', () => {
    const program = clustersetIpRules({
      connected: new Set(['c2']),
      imports: [imported()],
      localCluster: 'c1',
      slices: [lighthouseSlice('c1', '10.96.0.9'), lighthouseSlice('c2', '10.99.0.7'), podSlice(['10.8.0.4', '10.8.0.5'])],
    })
    expect(program.entry.map((rule) => rule.slice(0, 8).join(' '))).toEqual(['-d 243.0.0.1/32 -p tcp -m tcp --dport 42', '-d 243.0.0.1/32 -p udp -m udp --dport 42'])
    expect(targets(program, 0)).toEqual(['10.8.0.4:8042', '10.8.0.5:8042', '10.99.0.7:42'])
    const portChain = program.chains.get(program.entry[0]?.at(-1) as string) ?? []
    // Two clusters: half each; the local half is split again between its two pods.
    expect(portChain.map((rule) => rule.slice(0, -2).join(' '))).toEqual(['-m statistic --mode random --probability 0.50000000000', ''])
  })

  it('routes a port only to the clusters that serve it, and leaves out disconnected and unready ones', () => {
    const program = clustersetIpRules({
      connected: new Set(['c2', 'c3']),
      imports: [imported({ports: [{name: 'tcp', port: 42, protocol: 'TCP'}, {name: 'tcp2', port: 4242, protocol: 'TCP'}]})],
      localCluster: 'c9',
      slices: [
        lighthouseSlice('c2', '10.99.0.7', [{name: 'tcp', port: 42, protocol: 'TCP'}]),
        lighthouseSlice('c3', '10.100.0.7', [{name: 'tcp2', port: 4242, protocol: 'TCP'}]),
        lighthouseSlice('c4', '10.101.0.7', [{name: 'tcp', port: 42, protocol: 'TCP'}]),
        lighthouseSlice('c5', '10.102.0.7', [{name: 'tcp', port: 42, protocol: 'TCP'}], false),
      ],
    })
    expect(targets(program, 0)).toEqual(['10.99.0.7:42'])
    expect(targets(program, 1)).toEqual(['10.100.0.7:4242'])
  })

  it('pins a client with ClientIP affinity for the import’s timeout', () => {
    const program = clustersetIpRules({
      connected: new Set(['c2']),
      imports: [imported({ports: [PORTS[0] as (typeof PORTS)[0]], sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 10}}})],
      localCluster: 'c1',
      slices: [lighthouseSlice('c2', '10.99.0.7')],
    })
    const portChain = program.entry[0]?.at(-1) as string
    const backend = program.chains.get(portChain)?.[0]?.at(-1) as string
    expect(program.chains.get(portChain)?.[0]?.join(' ')).toBe(`-m recent --rcheck --seconds 10 --reap --name ${backend} --mask 255.255.255.255 --rsource -j ${backend}`)
    expect(program.chains.get(backend)).toEqual([['-p', 'tcp', '-m', 'recent', '--set', '--name', backend, '--mask', '255.255.255.255', '--rsource', '-m', 'tcp', '-j', 'DNAT', '--to-destination', '10.99.0.7:42']])
  })

  it('makes no rules for headless imports, imports without an IP, or ports nobody serves', () => {
    const slices = [lighthouseSlice('c2', '10.99.0.7')]
    const connected = new Set(['c2'])
    expect(clustersetIpRules({connected, imports: [imported({ips: []}), imported({ips: undefined, type: 'Headless'})], localCluster: 'c1', slices}).entry).toEqual([])
    expect(clustersetIpRules({connected: new Set(), imports: [imported()], localCluster: 'c1', slices}).entry).toEqual([])
  })

  it('counts a cluster connected while the active gateway says so', () => {
    const gateway = (haStatus: string, status: string) => ({status: {connections: [{endpoint: {cluster_id: 'c2'}, status}], haStatus}}) as unknown as Gateway
    expect([...connectedClusters([gateway('active', 'connected')])]).toEqual(['c2'])
    expect([...connectedClusters([gateway('active', 'error'), gateway('passive', 'connected')])]).toEqual([])
  })
})
