import {describe, expect, it} from 'vitest'

import type {ServiceObject} from '../api/mcs.js'
import {condition, exportTimestamp, importableNamespace, importType, intersectPorts, servicePorts, unionPorts, withCondition, withConflict} from './lighthouse.js'

const service = (spec: ServiceObject['spec']): ServiceObject => ({apiVersion: 'v1', kind: 'Service', metadata: {name: 'nginx', namespace: 'default'}, spec})

describe('importType', () => {
  it('exports ClusterIP services as ClusterSetIP, headless ones as Headless, and nothing else', () => {
    expect(importType(service({clusterIP: '10.99.0.5'}))).toBe('ClusterSetIP')
    expect(importType(service({clusterIP: 'None'}))).toBe('Headless')
    expect(importType(service({type: 'NodePort'}))).toBeUndefined()
    expect(importType(service({type: 'ExternalName'}))).toBeUndefined()
  })
})

describe('ports', () => {
  const http = {name: 'http', port: 80, protocol: 'TCP'}
  const https = {name: 'https', port: 443, protocol: 'TCP'}
  it('defaults the protocol to TCP', () => {
    expect(servicePorts(service({ports: [{name: 'http', port: 80}]}))).toEqual([http])
  })

  it('unions by name, the oldest exporter winning, and intersects on identical ports', () => {
    expect(unionPorts([[http], [{...http, port: 8080}, https]])).toEqual([http, https])
    expect(intersectPorts([[http, https], [http]])).toEqual([http])
    expect(intersectPorts([])).toEqual([])
  })
})

describe('conditions', () => {
  it('keeps an unchanged condition (and its transition time), replaces a changed one', () => {
    const first = {...condition('Valid', 'True', 'Exported', ''), lastTransitionTime: '2026-01-01T00:00:00Z'}
    expect(withCondition([first], condition('Valid', 'True', 'Exported', ''))).toEqual([first])
    const changed = withCondition([first], condition('Valid', 'False', 'NoService', 'gone'))
    expect(changed).toHaveLength(1)
    expect(changed[0]).toMatchObject({reason: 'NoService', status: 'False'})
    expect(withCondition([first], condition('Valid', 'False', 'NoService', 'gone'), true)).toEqual([first])
  })

  it('merges conflict reasons and messages index-aligned, and clears to NoConflicts', () => {
    let conditions = withConflict([], 'ConflictingPorts', 'ports differ')
    conditions = withConflict(conditions, 'ConflictingType', 'types differ')
    expect(conditions[0]).toMatchObject({message: 'ports differ\ntypes differ', reason: 'ConflictingPorts,ConflictingType', status: 'True', type: 'Conflict'})
    conditions = withConflict(conditions, 'ConflictingPorts', undefined)
    expect(conditions[0]).toMatchObject({message: 'types differ', reason: 'ConflictingType', status: 'True'})
    conditions = withConflict(conditions, 'ConflictingType', undefined)
    expect(conditions[0]).toMatchObject({reason: 'NoConflicts', status: 'False'})
    // A conflict after NoConflicts starts afresh, and says the same thing the next time round.
    conditions = withConflict(withConflict(conditions, 'ConflictingPorts', 'ports differ'), 'ConflictingPorts', 'ports differ')
    expect(conditions[0]).toMatchObject({message: 'ports differ', reason: 'ConflictingPorts', status: 'True'})
    expect(withConflict([], 'ConflictingType', undefined)).toEqual([])
  })
})

describe('importableNamespace', () => {
  const own = {brokerNamespace: 'submariner-k8s-broker', submarinerNamespace: 'submariner-operator'}
  it('accepts ordinary namespaces and refuses system, own, and invalid ones', () => {
    expect(importableNamespace('default', own)).toBe(true)
    for (const namespace of ['kube-system', 'submariner-operator', 'submariner-k8s-broker', 'Bad_Name', '', undefined, 'x'.repeat(64)]) {
      expect(importableNamespace(namespace, own)).toBe(false)
    }
  })
})

describe('exportTimestamp', () => {
  it('is Unix nanoseconds, and the maximum for an unknown time', () => {
    expect(exportTimestamp('2026-11-25T00:00:00Z')).toBe('1795564800000000000')
    expect(exportTimestamp(undefined)).toBe('9223372036854775806')
  })
})
