import {describe, expect, it} from 'vitest'

import {ANNOTATION_TIMESTAMP_PREFIX, type EndpointSlice, type ServiceImport} from '../api/mcs.js'
import {exportConditions, exportRecordKey, exportRecordOf, globalSliceOf, planService, recordConflicts, withWinningSpec} from './lighthouse-plan.js'

const slice = (endpoints: EndpointSlice['endpoints']): EndpointSlice => ({addressType: 'IPv4', apiVersion: 'discovery.k8s.io/v1', endpoints, kind: 'EndpointSlice', metadata: {name: 's', namespace: 'ns'}})
const importOf = (type: 'ClusterSetIP' | 'Headless', ips?: string[]): ServiceImport => ({metadata: {name: 'i'}, spec: {ports: [], type, ...(ips ? {ips} : {})}})

describe('the broker copy of a slice under Globalnet', () => {
  it('carries the service’s global IP for a ClusterIP export, and nothing before it is allocated', () => {
    const local = slice([{addresses: ['10.88.0.5'], conditions: {ready: true}}])
    expect(globalSliceOf(local, importOf('ClusterSetIP', ['242.1.255.254']), () => undefined)?.endpoints).toEqual([{addresses: ['242.1.255.254'], conditions: {ready: true}}])
    expect(globalSliceOf(local, importOf('ClusterSetIP'), () => undefined)).toBeUndefined()
  })

  it('gives each headless backend its own global IP, and waits until every backend has one', () => {
    const local = slice([
      {addresses: ['10.8.0.10'], hostname: 'web-0', targetRef: {kind: 'Pod', name: 'web-0'}},
      {addresses: ['10.8.0.11'], hostname: 'web-1', targetRef: {kind: 'Pod', name: 'web-1'}},
    ])
    const globals: Record<string, string> = {'web-0': '242.1.255.253', 'web-1': '242.1.255.252'}
    const copy = globalSliceOf(local, importOf('Headless'), (endpoint) => globals[endpoint.targetRef?.name ?? ''])
    expect(copy?.endpoints?.map((endpoint) => [endpoint.hostname, endpoint.addresses])).toEqual([
      ['web-0', ['242.1.255.253']],
      ['web-1', ['242.1.255.252']],
    ])
    delete globals['web-1']
    expect(globalSliceOf(local, importOf('Headless'), (endpoint) => globals[endpoint.targetRef?.name ?? ''])).toBeUndefined()
  })
})

const SETTINGS = {brokerNamespace: 'submariner-k8s-broker', clusterId: 'c1', clustersetIPCIDR: '243.0.0.0/20', clustersetIPEnabled: true, globalnet: false, namespace: 'submariner-operator'}

/** An aggregate with the export records of the given clusters, in age order (the first is the oldest). */
function aggregateOf(type: 'ClusterSetIP' | 'Headless', exports: Array<{cluster: string; type: 'ClusterSetIP' | 'Headless'; labels?: Record<string, string>; member?: boolean}>): ServiceImport {
  const annotations: Record<string, string> = {}
  exports.forEach((entry, index) => {
    annotations[exportRecordKey(entry.cluster)] = JSON.stringify(exportRecordOf({metadata: {name: 'hello'}, spec: {exportedLabels: entry.labels ?? {}}}, entry.type))
    if (entry.member !== false) annotations[ANNOTATION_TIMESTAMP_PREFIX + entry.cluster] = String(1_000 + index)
  })
  return {metadata: {annotations, name: 'hello-ns'}, spec: {ports: [], type}}
}

describe('the conflicts every export reports from the aggregate', () => {
  it('tells both the oldest and the newer export of a type conflict, and only the loser fails', () => {
    const aggregate = aggregateOf('ClusterSetIP', [
      {cluster: 'c1', type: 'ClusterSetIP'},
      {cluster: 'c2', member: false, type: 'Headless'},
    ])
    expect(recordConflicts(aggregate, 'c1').type).toBe('The service type conflicts between the constituent clusters [c1, c2]: the type ("ClusterSetIP") of the oldest export is used')
    // The loser's own conflict comes from its failed join, not from the records.
    expect(recordConflicts(aggregate, 'c2').type).toBeUndefined()
    const plan = planService('ns/hello', {exportObject: {metadata: {name: 'hello', namespace: 'ns'}}, serviceIp: '10.96.0.5', serviceObject: {metadata: {name: 'hello', namespace: 'ns'}, spec: {clusterIP: '10.96.0.5', ports: [{port: 42}]}}}, SETTINGS)
    const conditions = exportConditions(plan as NonNullable<typeof plan>, {onBroker: true, portConflict: undefined, recorded: recordConflicts(aggregate, 'c1'), typeConflict: undefined})
    expect(conditions?.find((entry) => entry.type === 'Conflict')).toMatchObject({reason: 'ConflictingType', status: 'True'})
    expect(conditions?.find((entry) => entry.type === 'Ready')).toMatchObject({status: 'True'})
  })

  it('lets the oldest export’s labels win, with a conflict on every export whose labels differ', () => {
    const aggregate = aggregateOf('ClusterSetIP', [
      {cluster: 'c2', labels: {team: 'a'}, type: 'ClusterSetIP'},
      {cluster: 'c1', labels: {team: 'b'}, type: 'ClusterSetIP'},
    ])
    for (const cluster of ['c1', 'c2']) {
      const conflicts = recordConflicts(aggregate, cluster)
      expect(conflicts.winner?.labels).toEqual({team: 'a'})
      expect(conflicts.metadata).toBe('The exported labels and annotations conflict between the constituent clusters [c2, c1]: the ones of the oldest export (c2) are used')
    }

    expect(recordConflicts(aggregateOf('ClusterSetIP', [{cluster: 'c1', labels: {team: 'a'}, type: 'ClusterSetIP'}, {cluster: 'c2', labels: {team: 'a'}, type: 'ClusterSetIP'}]), 'c1')).toEqual({winner: {annotations: {}, labels: {team: 'a'}, type: 'ClusterSetIP'}})
  })

  it('ignores a malformed record', () => {
    const aggregate = aggregateOf('ClusterSetIP', [{cluster: 'c1', type: 'ClusterSetIP'}])
    aggregate.metadata.annotations = {...aggregate.metadata.annotations, [exportRecordKey('c9')]: '{"type":"Nonsense"}', [ANNOTATION_TIMESTAMP_PREFIX + 'c9']: '1'}
    expect(recordConflicts(aggregate, 'c1')).toEqual({winner: {annotations: {}, labels: {}, type: 'ClusterSetIP'}})
  })
})

describe('the aggregate’s spec', () => {
  it('takes the oldest export’s session affinity, IP families and traffic policies, and keeps its ports, type and clusterset IP', () => {
    const current: ServiceImport['spec'] = {internalTrafficPolicy: 'Local', ips: ['243.0.0.1'], ports: [{port: 42}], sessionAffinity: 'ClientIP', type: 'ClusterSetIP'}
    const local: ServiceImport = {metadata: {name: 'hello-ns-c1'}, spec: {ipFamilies: ['IPv4'], ports: [{port: 43}], trafficDistribution: 'PreferClose', type: 'ClusterSetIP'}}
    expect(withWinningSpec(current, local)).toEqual({ipFamilies: ['IPv4'], ips: ['243.0.0.1'], ports: [{port: 42}], trafficDistribution: 'PreferClose', type: 'ClusterSetIP'})
  })

  it('is planned from the Service’s IP families and traffic policies', () => {
    const plan = planService(
      'ns/hello',
      {
        exportObject: {metadata: {name: 'hello', namespace: 'ns'}},
        serviceIp: '10.96.0.5',
        serviceObject: {metadata: {name: 'hello', namespace: 'ns'}, spec: {clusterIP: '10.96.0.5', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ports: [{port: 42}], trafficDistribution: 'PreferClose'}},
      },
      SETTINGS,
    )
    expect(plan?.localImport?.spec).toMatchObject({internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], trafficDistribution: 'PreferClose'})
  })
})
