import {describe, expect, it} from 'vitest'

import type {Endpoint} from '../../api/submariner.js'
import {readEnvironment} from '../config.js'
import {routeAgentStatus, topology} from './route-agent.js'

const endpoint = (cluster: string, hostname: string, subnets: string[], healthCheckIP?: string): Endpoint => ({
  metadata: {creationTimestamp: '2026-12-01T00:00:00Z', name: `${cluster}-cable`},
  spec: {backend: 'vxlan', cable_name: `cable-${cluster}`, cluster_id: cluster, hostname, nat_enabled: false, private_ip: '172.30.2.11', public_ip: '', subnets, ...(healthCheckIP ? {healthCheckIP} : {})},
})

const environment = (node: string, healthCheck = 'true') => readEnvironment({NODE_NAME: node, SUBMARINER_CLUSTERCIDR: '10.8.0.0/16', SUBMARINER_CLUSTERID: 'c1', SUBMARINER_HEALTHCHECKENABLED: healthCheck})
const endpoints = [endpoint('c1', 'c1-worker', ['10.8.0.0/16']), endpoint('c2', 'c2-worker', ['10.9.0.0/16'], '10.9.1.1')]

describe('the RouteAgent status', () => {
  it('reports the pinged health of each remote endpoint on a non-gateway node', () => {
    const env = environment('c1-control-plane')
    const rtt = {average: '1ms', last: '1ms', max: '1ms', min: '1ms', stdDev: '0s'}
    expect(routeAgentStatus(topology(endpoints, env), env, () => ({message: '', rtt, status: 'connected'})).remoteEndpoints).toEqual([{latencyRTT: rtt, spec: endpoints[1]?.spec, status: 'connected', statusMessage: ''}])
    expect(routeAgentStatus(topology(endpoints, env), env, () => undefined).remoteEndpoints[0]).toMatchObject({status: 'connecting', statusMessage: 'Health check has not run yet'})
    expect(routeAgentStatus(topology(endpoints, env), env, () => ({message: 'Failed to successfully ping the remote endpoint IP 10.9.1.1', status: 'error'}), '').remoteEndpoints[0]?.status).toBe('error')
  })

  it('says none on the gateway, with health checks off, and carries a reconcile failure', () => {
    const gateway = environment('c1-worker')
    expect(routeAgentStatus(topology(endpoints, gateway), gateway, () => undefined).remoteEndpoints[0]).toMatchObject({status: 'none', statusMessage: 'Health check is not performed on gateway nodes'})
    const off = environment('c1-control-plane', 'false')
    expect(routeAgentStatus(topology(endpoints, off), off, () => undefined, 'no default route').remoteEndpoints[0]).toMatchObject({status: 'none', statusMessage: 'Health check is not enabled'})
    expect(routeAgentStatus(topology(endpoints, off), off, () => undefined, 'no default route').statusFailure).toBe('no default route')
  })
})
