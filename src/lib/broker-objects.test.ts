import {describe, expect, it} from 'vitest'

import {LABEL_SERVICE_NAME, LABEL_SOURCE_NAMESPACE} from '../api/mcs.js'
import {aggregateProblem, clusterProblem, endpointProblem, knownImportSpec, validServiceKey} from './broker-objects.js'

const aggregate = (overrides: {annotations?: Record<string, unknown>; spec?: unknown; status?: unknown} = {}) => ({
  metadata: {annotations: {[LABEL_SERVICE_NAME]: 'echo', [LABEL_SOURCE_NAMESPACE]: 'default', 'timestamp.submariner.io/c1': '1700000000000000000', ...overrides.annotations}},
  spec: overrides.spec ?? {ips: ['243.0.0.1'], ports: [{name: 'http', port: 80, protocol: 'TCP'}], type: 'ClusterSetIP'},
  status: overrides.status ?? {clusters: [{cluster: 'c1'}]},
})

const endpoint = (overrides: Record<string, unknown> = {}) => ({
  backend: 'vxlan',
  backend_config: {'natt-discovery-port': '4490'},
  cable_name: 'submariner-cable-c2-172-18-0-3',
  cluster_id: 'c2',
  hostname: 'c2-worker',
  nat_enabled: false,
  private_ip: '172.18.0.3',
  public_ip: '',
  subnets: ['10.9.0.0/16', '10.99.0.0/16'],
  ...overrides,
})

describe('aggregateProblem', () => {
  it('accepts what a Lighthouse agent writes', () => {
    expect(aggregateProblem(aggregate())).toBeUndefined()
    expect(aggregateProblem(aggregate({spec: {ports: [], type: 'Headless'}}))).toBeUndefined()
  })

  it.each([
    ['a service name over 63 characters', {annotations: {[LABEL_SERVICE_NAME]: 'a'.repeat(300)}}, /service name/],
    ['a namespace that is not a label', {annotations: {[LABEL_SOURCE_NAMESPACE]: 'Not_A_Label'}}, /namespace/],
    ['a missing namespace', {annotations: {[LABEL_SOURCE_NAMESPACE]: undefined}}, /namespace/],
    ['a timestamp that is no number', {annotations: {'timestamp.submariner.io/c1': 'yesterday'}}, /timestamp/],
    ['a spec that is a string', {spec: 'ClusterSetIP'}, /spec is not an object/],
    ['an unknown type', {spec: {ports: [], type: 'LoadBalancer'}}, /type/],
    ['ports that are a string', {spec: {ports: '80', type: 'ClusterSetIP'}}, /ports is not a list/],
    ['a port that is a string', {spec: {ports: [{port: '80'}], type: 'ClusterSetIP'}}, /port "80"/],
    ['a port out of range', {spec: {ports: [{port: 70_000}], type: 'ClusterSetIP'}}, /port 70000/],
    ['an unknown protocol', {spec: {ports: [{port: 80, protocol: 'ICMP'}], type: 'ClusterSetIP'}}, /protocol/],
    ['ips that are not addresses', {spec: {ips: ['not-an-ip'], ports: [], type: 'ClusterSetIP'}}, /ips/],
    ['an affinity timeout that is a string', {spec: {ports: [], sessionAffinityConfig: {clientIP: {timeoutSeconds: 'ten'}}, type: 'ClusterSetIP'}}, /timeoutSeconds/],
    ['clusters that are not cluster IDs', {status: {clusters: [{cluster: 'Bad Cluster'}]}}, /status.clusters/],
    ['clusters that are a string', {status: {clusters: 'c1'}}, /status.clusters/],
  ])('refuses %s', (_what, overrides, message) => {
    expect(aggregateProblem(aggregate(overrides))).toMatch(message)
  })

  it('keeps only the known fields of an import', () => {
    const spec = {extra: {evil: true}, ips: ['243.0.0.1'], ports: [{hack: 1, name: 'http', port: 80, protocol: 'TCP'}], type: 'ClusterSetIP'} as never
    expect(knownImportSpec(spec)).toEqual({ips: ['243.0.0.1'], ports: [{name: 'http', port: 80, protocol: 'TCP'}], type: 'ClusterSetIP'})
  })

  it('knows a service key from what no Service can be called', () => {
    expect(validServiceKey('default', 'echo')).toBe(true)
    expect(validServiceKey('default', 'a'.repeat(64))).toBe(false)
    expect(validServiceKey('Not_A_Label', 'echo')).toBe(false)
    expect(validServiceKey('default', '1-starts-with-a-digit')).toBe(false)
  })
})

describe('endpointProblem and clusterProblem', () => {
  it('accepts what a gateway publishes', () => {
    expect(endpointProblem(endpoint())).toBeUndefined()
    expect(clusterProblem({cluster_cidr: ['10.9.0.0/16'], cluster_id: 'c2', global_cidr: [], service_cidr: ['10.99.0.0/16']})).toBeUndefined()
  })

  it.each([
    ['a cluster ID that is not a label', {cluster_id: 'C2_'}, /not a valid ClusterID/],
    ['subnets that are a string', {subnets: '10.9.0.0/16'}, /subnets/],
    ['a subnet that is no CIDR', {subnets: ['10.9.0.0/99']}, /subnets/],
    ['a private IP that is a number', {private_ip: 17}, /private_ip/],
    ['a public IP that is a name', {public_ip: 'example.com'}, /public_ip/],
    ['nat_enabled as a string', {nat_enabled: 'yes'}, /nat_enabled/],
    ['a backend_config with a number', {backend_config: {port: 4500}}, /backend_config/],
    ['a missing cable name', {cable_name: undefined}, /cable_name/],
  ])('refuses an Endpoint with %s', (_what, overrides, message) => {
    expect(endpointProblem(endpoint(overrides))).toMatch(message)
  })

  it('refuses a Cluster whose CIDRs are not CIDRs, or whose spec is not an object', () => {
    expect(clusterProblem({cluster_cidr: 'everything', cluster_id: 'c2'})).toMatch(/cluster_cidr/)
    expect(clusterProblem([])).toMatch(/spec is not an object/)
  })
})
