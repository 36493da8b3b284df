import {describe, expect, it} from 'vitest'

import type {ServiceObject} from '../../api/mcs.js'
import type {PodObject} from '../../api/submariner.js'
import {IpPool, snatTarget} from './ipam.js'
import {base32, egressIpsetName, endpointsIngressName, internalServiceName, podIngressName} from './naming.js'
import {desiredIngress, internalService, matchesSelector, natRules, type EndpointsObject} from './plan.js'

describe('the global IP pool', () => {
  it('gives single addresses from the top and runs from the lowest free stretch, never the network or broadcast address', () => {
    const pool = new IpPool('242.0.0.0/29')
    expect(pool.size).toBe(6)
    expect(pool.allocate(1)).toEqual(['242.0.0.6'])
    expect(pool.allocate(2)).toEqual(['242.0.0.1', '242.0.0.2'])
    expect(pool.allocate(1)).toEqual(['242.0.0.5'])
    // 3 and 4 are free and contiguous; a run of three no longer fits.
    expect(() => pool.allocate(3)).toThrow(/no 3 contiguous free addresses left \(2 free\)/)
    expect(pool.allocate(2)).toEqual(['242.0.0.3', '242.0.0.4'])
    expect(() => pool.allocate(1)).toThrow(/no free address left/)
    pool.release(['242.0.0.5'])
    expect(pool.available).toBe(1)
  })

  it('reserves what a status recorded, and refuses addresses outside the pool or taken twice, taking none of them', () => {
    const pool = new IpPool('242.0.0.0/24')
    pool.reserve(['242.0.0.10', '242.0.0.11'])
    expect(pool.allocated).toBe(2)
    expect(() => pool.reserve(['242.0.0.12', '242.0.0.10'])).toThrow('242.0.0.10 is already allocated')
    expect(() => pool.reserve(['242.0.0.0'])).toThrow('not in the pool')
    expect(() => pool.reserve(['242.0.1.1'])).toThrow('not in the pool')
    expect(() => pool.reserve(['242.0.0.13', '242.0.0.13'])).toThrow('already allocated')
    expect(pool.allocated).toBe(2)
    expect(() => new IpPool('242.0.0.0/31')).toThrow('too small')
  })

  it('writes a run as a first-last SNAT range', () => {
    expect(snatTarget(['242.0.0.1'])).toBe('242.0.0.1')
    expect(snatTarget(['242.0.0.1', '242.0.0.2', '242.0.0.3'])).toBe('242.0.0.1-242.0.0.3')
  })
})

describe('Globalnet names', () => {
  it('are upstream’s: base32 of a SHA-256, cut to fit', () => {
    expect(base32(Buffer.from('foobar'))).toBe('MZXW6YTBOI======')
    expect(egressIpsetName('ns1', 'egress')).toBe('SM-GN-SUKA7XWK2YA7TPMFNJ652IQIS')
    expect(egressIpsetName('ns1', 'egress').length).toBeLessThanOrEqual(31)
    expect(internalServiceName('nginx')).toBe('submariner-lpq6zr4tl4o5qvrv2t7o3l3gawkagast')
    expect(podIngressName('x'.repeat(80))).toHaveLength(63)
    expect(endpointsIngressName('db', '10.8.0.17')).toBe('ep-db-10.8.0.17')
  })
})

const service = (name: string, spec: Partial<ServiceObject['spec']>): ServiceObject => ({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'ns'}, spec: {clusterIP: '10.88.0.5', ports: [{name: 'http', port: 80, targetPort: 8080}], ...spec}}) as ServiceObject
const pod = (name: string, labels: Record<string, string>, ip: string | undefined, phase = 'Running', extra: Partial<PodObject['spec']> = {}): PodObject =>
  ({metadata: {labels, name, namespace: 'ns'}, spec: {containers: [], ...extra}, status: {phase, ...(ip ? {podIP: ip} : {})}}) as PodObject

describe('what Globalnet wants', () => {
  it('matches label selectors with labels and expressions', () => {
    expect(matchesSelector({app: 'a', tier: 'web'}, {matchLabels: {app: 'a'}})).toBe(true)
    expect(matchesSelector({app: 'a'}, {matchLabels: {app: 'b'}})).toBe(false)
    expect(matchesSelector({app: 'a'}, {matchExpressions: [{key: 'app', operator: 'In', values: ['a', 'b']}]})).toBe(true)
    expect(matchesSelector({app: 'a'}, {matchExpressions: [{key: 'app', operator: 'NotIn', values: ['a']}]})).toBe(false)
    expect(matchesSelector({}, {matchExpressions: [{key: 'app', operator: 'Exists'}]})).toBe(false)
    expect(matchesSelector({}, {matchExpressions: [{key: 'app', operator: 'DoesNotExist'}]})).toBe(true)
    expect(matchesSelector(undefined, undefined)).toBe(true)
  })

  it('asks one GlobalIngressIP per exported ClusterIP service, per running backing pod of a headless one, and per Endpoints address of a selector-less headless one', () => {
    const services = new Map([
      ['ns/web', service('web', {})],
      ['ns/db', service('db', {clusterIP: 'None', selector: {app: 'db'}})],
      ['ns/ext', service('ext', {clusterIP: 'None'})],
      ['ns/np', service('np', {type: 'NodePort'})],
    ])
    const pods = [pod('db-0', {app: 'db'}, '10.8.0.10'), pod('db-1', {app: 'db'}, '10.8.0.11', 'Pending'), pod('db-2', {app: 'db'}, undefined), pod('other', {app: 'x'}, '10.8.0.12'), pod('host', {app: 'db'}, '172.30.2.11', 'Running', {hostNetwork: true})]
    const endpoints = new Map<string, EndpointsObject>([['ns/ext', {metadata: {name: 'ext', namespace: 'ns'}, subsets: [{addresses: [{ip: '10.8.0.20'}], notReadyAddresses: [{ip: '10.8.0.21'}]}]}]])
    const wanted = desiredIngress({
      endpoints: (key) => endpoints.get(key),
      exports: ['web', 'db', 'ext', 'np', 'missing'].map((name) => ({name, namespace: 'ns'})),
      podsIn: () => pods,
      services: (key) => services.get(key),
    })
    expect(wanted.map((object) => [object.metadata.name, object.spec.target, object.metadata.annotations ?? {}])).toEqual([
      ['web', 'ClusterIPService', {}],
      ['pod-db-0', 'HeadlessServicePod', {'submariner.io/headless-svc-pod-ip': '10.8.0.10'}],
      ['ep-ext-10.8.0.20', 'HeadlessServiceEndpoints', {'submariner.io/headless-svc-endpoints-ip': '10.8.0.20'}],
    ])
    expect(wanted.every((object) => object.metadata.labels?.['submariner.io/serviceRef'])).toBe(true)
  })

  it('makes the internal Service with the global IP as its externalIP, the ports and the selector', () => {
    const internal = internalService(service('web', {selector: {app: 'web'}}), '242.0.255.254') as {metadata: {name: string; labels: Record<string, string>}; spec: Record<string, unknown>}
    expect(internal?.metadata.name).toBe(internalServiceName('web'))
    expect(internal?.metadata.labels).toEqual({'submariner.io/exportedServiceRef': 'web'})
    expect(internal?.spec).toMatchObject({externalIPs: ['242.0.255.254'], ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 8080}], selector: {app: 'web'}})
  })

  it('writes the nat rules in upstream’s chains and precedence, as iptables -S prints them', () => {
    const rules = natRules({
      clusterEgressIps: ['242.0.0.1', '242.0.0.2'],
      egressSets: [
        {ips: ['242.0.255.250'], podSelector: false, set: 'SM-GN-NS'},
        {ips: ['242.0.255.251'], podSelector: true, set: 'SM-GN-PODS'},
        {ips: [], podSelector: true, set: 'SM-GN-ZERO'},
      ],
      headless: [{globalIp: '242.0.255.253', localIp: '10.8.0.10', target: 'HeadlessServicePod'}],
      healthCheck: {cniIp: '10.8.1.1', globalIp: '242.0.255.252'},
      localCidrs: ['10.8.0.0/16', '10.88.0.0/16'],
      remoteGlobalCidrs: ['242.2.0.0/16', '242.1.0.0/16'],
    })
    const mark = ['-m', 'mark', '--mark', '0xc0000/0xc0000', '-j', 'SNAT', '--to-source']
    expect(rules).toEqual({
      'SM-GN-EGRESS-CLUSTER': [
        ['-s', '10.8.0.0/16', ...mark, '242.0.0.1-242.0.0.2'],
        ['-s', '10.88.0.0/16', ...mark, '242.0.0.1-242.0.0.2'],
      ],
      'SM-GN-EGRESS-HDLS-EPS': [],
      'SM-GN-EGRESS-HDLS-PODS': [['-s', '10.8.0.10/32', ...mark, '242.0.255.253']],
      'SM-GN-EGRESS-NS': [['-m', 'set', '--match-set', 'SM-GN-NS', 'src', ...mark, '242.0.255.250']],
      'SM-GN-EGRESS-PODS': [['-m', 'set', '--match-set', 'SM-GN-PODS', 'src', ...mark, '242.0.255.251']],
      'SUBMARINER-GN-EGRESS': ['SUBMARINER-GN-MARK', 'SM-GN-EGRESS-PODS', 'SM-GN-EGRESS-HDLS-PODS', 'SM-GN-EGRESS-HDLS-EPS', 'SM-GN-EGRESS-NS', 'SM-GN-EGRESS-CLUSTER'].map((chain) => ['-j', chain]),
      'SUBMARINER-GN-INGRESS': [
        ['-d', '242.0.255.252/32', '-p', 'icmp', '-j', 'DNAT', '--to-destination', '10.8.1.1'],
        ['-d', '242.0.255.253/32', '-j', 'DNAT', '--to-destination', '10.8.0.10'],
      ],
      'SUBMARINER-GN-MARK': [
        ['-d', '242.1.0.0/16', '-j', 'MARK', '--set-xmark', '0xc0000/0xc0000'],
        ['-d', '242.2.0.0/16', '-j', 'MARK', '--set-xmark', '0xc0000/0xc0000'],
      ],
    })
    expect(natRules({clusterEgressIps: [], egressSets: [], headless: [], localCidrs: ['10.8.0.0/16'], remoteGlobalCidrs: []})['SM-GN-EGRESS-CLUSTER']).toEqual([])
  })
})
