import {describe, expect, it} from 'vitest'

import {LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SOURCE_CLUSTER, LABEL_SOURCE_NAMESPACE, MANAGED_BY_LIGHTHOUSE, type EndpointSlice, type ServiceImport} from '../../api/mcs.js'
import type {Gateway} from '../../api/submariner.js'
import {ServiceIndex} from './resolver.js'

const ZONES = ['clusterset.local']

function serviceImport(name: string, type: 'ClusterSetIP' | 'Headless', extra: Partial<ServiceImport['spec']> = {}): ServiceImport {
  return {apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceImport', metadata: {name, namespace: 'default'}, spec: {ports: [], type, ...extra}}
}

function slice(service: string, cluster: string, endpoints: EndpointSlice['endpoints'], ports = [{name: 'http', port: 80, protocol: 'TCP'}]): EndpointSlice {
  return {
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints,
    kind: 'EndpointSlice',
    metadata: {
      labels: {[LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE, [LABEL_SERVICE_NAME]: service, [LABEL_SOURCE_CLUSTER]: cluster, [LABEL_SOURCE_NAMESPACE]: 'default'},
      name: `${service}-${cluster}`,
      namespace: 'default',
    },
    ports,
  }
}

function gateway(cluster: string, connected: Record<string, string>): Gateway {
  return {
    apiVersion: 'submariner.io/v1',
    kind: 'Gateway',
    metadata: {name: `${cluster}-worker`},
    status: {
      connections: Object.entries(connected).map(([clusterId, status]) => ({endpoint: {cluster_id: clusterId}, status})),
      haStatus: 'active',
      localEndpoint: {cluster_id: cluster},
    },
  } as unknown as Gateway
}

const ips = (resolution: ReturnType<ServiceIndex['resolve']>) => resolution.answers.map((answer) => answer.data)

describe('ServiceIndex', () => {
  it('refuses names outside its zones and answers dns-version with the MCS version', () => {
    const index = new ServiceIndex('c1')
    expect(index.resolve('example.com.', 'A', ZONES).rcode).toBe('REFUSED')
    expect(index.resolve('dns-version.clusterset.local.', 'TXT', ZONES).answers).toEqual([{data: ['1.0.0'], name: 'dns-version.clusterset.local', type: 'TXT'}])
  })

  it('says NXDOMAIN for services nobody exports and for malformed names, with the zone for the SOA', () => {
    const index = new ServiceIndex('c1')
    expect(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES)).toEqual({answers: [], rcode: 'NXDOMAIN', zone: 'clusterset.local'})
    expect(index.resolve('nginx.default.clusterset.local', 'A', ZONES).rcode).toBe('NXDOMAIN')
  })

  it('prefers the local cluster, then round-robins over healthy connected clusters', () => {
    const index = new ServiceIndex('c1')
    index.upsertImport(serviceImport('nginx', 'ClusterSetIP'))
    index.upsertSlice(slice('nginx', 'c2', [{addresses: ['10.99.0.10'], conditions: {ready: true}}]))
    index.upsertSlice(slice('nginx', 'c3', [{addresses: ['10.100.0.10'], conditions: {ready: true}}]))
    const answers = Array.from({length: 4}, () => ips(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES))[0])
    expect(new Set(answers)).toEqual(new Set(['10.99.0.10', '10.100.0.10']))

    index.upsertSlice(slice('nginx', 'c1', [{addresses: ['10.88.0.10'], conditions: {ready: true}}]))
    expect(ips(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES))).toEqual(['10.88.0.10'])
    expect(ips(index.resolve('c2.nginx.default.svc.clusterset.local', 'A', ZONES))).toEqual(['10.99.0.10'])
    expect(index.resolve('c9.nginx.default.svc.clusterset.local', 'A', ZONES).rcode).toBe('NXDOMAIN')
  })

  it('skips unhealthy and disconnected clusters, and answers NOERROR with no records when none is left', () => {
    const index = new ServiceIndex('c1')
    index.upsertImport(serviceImport('nginx', 'ClusterSetIP'))
    index.upsertSlice(slice('nginx', 'c2', [{addresses: ['10.99.0.10'], conditions: {ready: false}}]))
    index.upsertSlice(slice('nginx', 'c3', [{addresses: ['10.100.0.10'], conditions: {ready: true}}]))
    expect(ips(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES))).toEqual(['10.100.0.10'])

    index.setGateways([gateway('c1', {c2: 'connected', c3: 'error'})], true)
    expect(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES)).toEqual({answers: [], rcode: 'NOERROR', zone: 'clusterset.local'})
  })

  it('answers the clusterset IP when the import has one', () => {
    const index = new ServiceIndex('c1')
    index.upsertImport(serviceImport('nginx', 'ClusterSetIP', {ips: ['243.0.0.5'], ports: [{name: 'http', port: 80, protocol: 'TCP'}]}))
    index.upsertSlice(slice('nginx', 'c2', [{addresses: ['10.99.0.10'], conditions: {ready: true}}]))
    expect(ips(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES))).toEqual(['243.0.0.5'])
  })

  it('answers headless services with every ready endpoint, per cluster and per hostname', () => {
    const index = new ServiceIndex('c1')
    index.upsertImport(serviceImport('db', 'Headless'))
    index.upsertSlice(
      slice('db', 'c2', [
        {addresses: ['10.9.1.5'], conditions: {ready: true}, hostname: 'db-0'},
        {addresses: ['10.9.1.6'], conditions: {ready: true}, hostname: 'db-1'},
        {addresses: ['10.9.1.7'], conditions: {ready: false}, hostname: 'db-2'},
      ]),
    )
    expect(ips(index.resolve('db.default.svc.clusterset.local', 'A', ZONES))).toEqual(['10.9.1.5', '10.9.1.6'])
    expect(ips(index.resolve('db-1.c2.db.default.svc.clusterset.local', 'A', ZONES))).toEqual(['10.9.1.6'])
    expect(index.resolve('db-2.c2.db.default.svc.clusterset.local', 'A', ZONES).rcode).toBe('NXDOMAIN')

    const srv = index.resolve('db.default.svc.clusterset.local', 'SRV', ZONES)
    expect(srv.answers.map((answer) => answer.data)).toEqual([
      {port: 80, priority: 0, target: 'db-0.c2.db.default.svc.clusterset.local', weight: 50},
      {port: 80, priority: 0, target: 'db-1.c2.db.default.svc.clusterset.local', weight: 50},
    ])
  })

  it('answers SRV with the ports every cluster shares, and filters on _port._proto', () => {
    const index = new ServiceIndex('c1')
    index.upsertImport(serviceImport('web', 'ClusterSetIP'))
    index.upsertSlice(slice('web', 'c1', [{addresses: ['10.88.0.3']}], [{name: 'http', port: 80, protocol: 'TCP'}, {name: 'metrics', port: 9090, protocol: 'TCP'}]))
    index.upsertSlice(slice('web', 'c2', [{addresses: ['10.99.0.3']}], [{name: 'http', port: 80, protocol: 'TCP'}]))
    expect(index.resolve('web.default.svc.clusterset.local', 'SRV', ZONES).answers.map((answer) => answer.data)).toEqual([
      {port: 80, priority: 0, target: 'web.default.svc.clusterset.local', weight: 50},
    ])
    expect(index.resolve('_metrics._tcp.c1.web.default.svc.clusterset.local', 'SRV', ZONES).answers.map((answer) => answer.data)).toEqual([
      {port: 9090, priority: 0, target: 'c1.web.default.svc.clusterset.local', weight: 50},
    ])
    expect(index.resolve('_metrics._udp.c1.web.default.svc.clusterset.local', 'SRV', ZONES)).toEqual({answers: [], rcode: 'NOERROR', zone: 'clusterset.local'})
  })

  it('answers one SRV record for ports that differ only in protocol (tcp/42 and udp/42)', () => {
    const index = new ServiceIndex('c1')
    const ports = [{name: 'tcp', port: 42, protocol: 'TCP'}, {name: 'udp', port: 42, protocol: 'UDP'}]
    index.upsertImport(serviceImport('hello', 'ClusterSetIP', {ips: ['243.0.0.1'], ports}))
    index.upsertSlice(slice('hello', 'c2', [{addresses: ['10.99.0.4']}], ports))
    expect(ips(index.resolve('hello.default.svc.clusterset.local', 'SRV', ZONES))).toEqual([{port: 42, priority: 0, target: 'hello.default.svc.clusterset.local', weight: 50}])
    expect(ips(index.resolve('hello.default.svc.clusterset.local', 'A', ZONES))).toEqual(['243.0.0.1'])
    index.upsertImport(serviceImport('db', 'Headless'))
    index.upsertSlice(slice('db', 'c2', [{addresses: ['10.9.1.5'], hostname: 'db-0'}], ports))
    expect(ips(index.resolve('db.default.svc.clusterset.local', 'SRV', ZONES))).toEqual([{port: 42, priority: 0, target: 'db-0.c2.db.default.svc.clusterset.local', weight: 50}])
  })

  it('names a headless endpoint without a hostname by its dashed address in SRV, and still answers its pod’s name', () => {
    const index = new ServiceIndex('c1')
    index.upsertImport(serviceImport('hello', 'Headless'))
    index.upsertSlice(slice('hello', 'c2', [{addresses: ['10.9.1.5'], targetRef: {kind: 'Pod', name: 'hello-7d9f-abcde'}}]))
    expect(ips(index.resolve('hello.default.svc.clusterset.local', 'SRV', ZONES))).toEqual([{port: 80, priority: 0, target: '10-9-1-5.c2.hello.default.svc.clusterset.local', weight: 50}])
    expect(ips(index.resolve('10-9-1-5.c2.hello.default.svc.clusterset.local', 'A', ZONES))).toEqual(['10.9.1.5'])
    expect(ips(index.resolve('hello-7d9f-abcde.c2.hello.default.svc.clusterset.local', 'A', ZONES))).toEqual(['10.9.1.5'])
  })

  it('forgets a service when its import and its slices are gone, and ignores slices of other namespaces', () => {
    const index = new ServiceIndex('c1')
    const nginx = serviceImport('nginx', 'ClusterSetIP')
    const nginxSlice = slice('nginx', 'c2', [{addresses: ['10.99.0.10']}])
    index.upsertImport(nginx)
    index.upsertSlice(nginxSlice)
    index.upsertSlice({...nginxSlice, metadata: {...nginxSlice.metadata, name: 'broker-copy', namespace: 'submariner-k8s-broker'}})
    expect(index.size).toBe(1)
    index.deleteImport(nginx)
    expect(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES).answers).toHaveLength(1)
    index.deleteSlice(nginxSlice)
    expect(index.size).toBe(0)
    expect(index.resolve('nginx.default.svc.clusterset.local', 'A', ZONES).rcode).toBe('NXDOMAIN')
  })

  it('matches names case-insensitively and answers AAAA with no records', () => {
    const index = new ServiceIndex('c1')
    index.upsertImport(serviceImport('nginx', 'ClusterSetIP'))
    index.upsertSlice(slice('nginx', 'c2', [{addresses: ['10.99.0.10']}]))
    expect(ips(index.resolve('NGINX.Default.svc.ClusterSet.Local.', 'A', ZONES))).toEqual(['10.99.0.10'])
    expect(index.resolve('nginx.default.svc.clusterset.local', 'AAAA', ZONES)).toEqual({answers: [], rcode: 'NOERROR', zone: 'clusterset.local'})
  })
})
