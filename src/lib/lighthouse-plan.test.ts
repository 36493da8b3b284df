import {describe, expect, it} from 'vitest'

import type {EndpointSlice, ServiceImport} from '../api/mcs.js'
import {globalSliceOf} from './lighthouse-plan.js'

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
