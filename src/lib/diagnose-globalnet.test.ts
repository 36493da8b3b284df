import {describe, expect, it} from 'vitest'

import type {ServiceObject} from '../api/mcs.js'
import type {Condition} from '../api/submariner.js'
import {judgeGlobalnet, type GlobalnetObjects} from './diagnose-globalnet.js'

const ok: Condition = {message: 'Allocated', reason: 'Success', status: 'True', type: 'Allocated'}
const service = (name: string, extra: Partial<ServiceObject> = {}, spec: Partial<ServiceObject['spec']> = {}) => ({metadata: {name, namespace: 'ns', ...extra.metadata}, spec: {clusterIP: '10.88.0.9', ...spec}}) as ServiceObject

function healthy(): GlobalnetObjects {
  return {
    clusterEgress: [{metadata: {name: 'cluster-egress.submariner.io'}, spec: {numGlobalIPs: 2}, status: {allocatedIPs: ['242.0.0.1', '242.0.0.2'], conditions: [ok]}}],
    egress: [{metadata: {name: 'team', namespace: 'ns'}, status: {allocatedIPs: ['242.0.255.250'], conditions: [ok]}}],
    exports: [{name: 'web', namespace: 'ns'}],
    ingress: [{metadata: {name: 'web', namespace: 'ns'}, spec: {serviceRef: {name: 'web'}, target: 'ClusterIPService'}, status: {allocatedIP: '242.0.255.254', conditions: [ok]}}],
    services: [service('web'), service('submariner-abc', {metadata: {labels: {'submariner.io/exportedServiceRef': 'web'}, name: 'submariner-abc'}}, {externalIPs: ['242.0.255.254']})],
  }
}

describe('diagnose globalnet', () => {
  it('passes a cluster whose egress and ingress IPs are allocated and carried', () => {
    expect(judgeGlobalnet(healthy()).map((finding) => finding.status)).toEqual(['passed'])
  })

  it('names each broken part', () => {
    const broken = healthy()
    broken.clusterEgress.push({metadata: {name: 'extra'}})
    broken.egress[0]!.status = {allocatedIPs: [], conditions: [{message: 'pool empty', reason: 'IPPoolAllocationFailed', status: 'False', type: 'Allocated'}]}
    broken.services[1]!.spec.externalIPs = ['242.0.255.1']
    broken.exports.push({name: 'gone', namespace: 'ns'})
    const messages = judgeGlobalnet(broken).map((finding) => `${finding.status}: ${finding.message}`)
    expect(messages).toEqual([
      'failed: Found 2 ClusterGlobalEgressIP(s) (cluster-egress.submariner.io, extra); exactly one, named cluster-egress.submariner.io, is expected',
      'failed: The GlobalEgressIP ns/team is not allocated (IPPoolAllocationFailed: pool empty)',
      'failed: The internal Service of ns/web has external IP 242.0.255.1, not its global IP 242.0.255.254',
      'warning: The exported service ns/gone has no Service',
    ])
    const unallocated = healthy()
    unallocated.ingress = []
    expect(judgeGlobalnet(unallocated)[0]?.message).toBe('The exported service ns/web has no allocated GlobalIngressIP (none exists)')
  })
})
