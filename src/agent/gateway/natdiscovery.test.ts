import {afterEach, describe, expect, it} from 'vitest'

import {endpointSpec} from '../../../test/helpers/endpoints.js'
import type {EndpointSpec} from '../../api/submariner.js'
import {nullLogger} from '../runtime/log.js'
import {decodeNatMessage, encodeNatMessage, ResponseType} from './natdiscovery-proto.js'
import {answerRequest, legacySettings, NatDiscovery, type NatResult} from './natdiscovery.js'

const c1 = endpointSpec('c1', '172.30.2.11')
const c2 = endpointSpec('c2', '172.30.3.11')

function request(overrides: Record<string, unknown> = {}) {
  return {
    receiver: {cluster_id: 'c2', endpoint_id: c2.cable_name},
    request_number: 7,
    sender: {cluster_id: 'c1', endpoint_id: c1.cable_name},
    using_dst: {IP: '172.30.3.11', port: 4490},
    using_src: {IP: '172.30.2.11', port: 4490},
    ...overrides,
  }
}

describe('answerRequest', () => {
  it('says OK when the packet arrived as sent', () => {
    const answer = answerRequest(request(), c2, {address: '172.30.2.11', port: 4490})
    expect(answer).toMatchObject({request_number: 7, response: ResponseType.OK, src_ip_nat_detected: false, src_port_nat_detected: false, dst_ip_nat_detected: false})
    expect(answer.received_src).toEqual({IP: '172.30.2.11', port: 4490})
  })

  it('detects source and destination translation', () => {
    expect(answerRequest(request(), c2, {address: '198.51.100.1', port: 4490})).toMatchObject({response: ResponseType.NAT_DETECTED, src_ip_nat_detected: true})
    expect(answerRequest(request(), c2, {address: '172.30.2.11', port: 31_000})).toMatchObject({response: ResponseType.NAT_DETECTED, src_port_nat_detected: true})
    expect(answerRequest(request({using_dst: {IP: '203.0.113.9', port: 4490}}), c2, {address: '172.30.2.11', port: 4490})).toMatchObject({dst_ip_nat_detected: true, response: ResponseType.NAT_DETECTED})
  })

  it('rejects requests for another cluster or endpoint, and malformed ones', () => {
    expect(answerRequest(request({receiver: {cluster_id: 'c3', endpoint_id: c2.cable_name}}), c2, {address: '172.30.2.11', port: 4490}).response).toBe(ResponseType.UNKNOWN_DST_CLUSTER)
    expect(answerRequest(request({receiver: {cluster_id: 'c2', endpoint_id: 'other'}}), c2, {address: '172.30.2.11', port: 4490}).response).toBe(ResponseType.UNKNOWN_DST_ENDPOINT)
    expect(answerRequest(request({using_src: undefined}), c2, {address: '172.30.2.11', port: 4490}).response).toBe(ResponseType.MALFORMED)
  })

  it('round-trips through the protobuf codec', () => {
    const bytes = encodeNatMessage({request: request(), version: 1})
    expect(decodeNatMessage(bytes).request).toMatchObject({request_number: 7, using_dst: {IP: '172.30.3.11', port: 4490}})
  })
})

describe('legacySettings', () => {
  it('uses the public IP for NATed or load-balanced remotes that have one, otherwise the private IP', () => {
    expect(legacySettings(endpointSpec('c2', '10.0.0.2', {nat_enabled: true, public_ip: '198.51.100.2'}))).toMatchObject({useIP: '198.51.100.2', useNAT: true})
    expect(legacySettings(endpointSpec('c2', '10.0.0.2', {backend_config: {'using-loadbalancer': 'true'}, public_ip: '198.51.100.2'}))).toMatchObject({useIP: '198.51.100.2', useNAT: true})
    expect(legacySettings(endpointSpec('c2', '10.0.0.2', {nat_enabled: true}))).toMatchObject({useIP: '10.0.0.2', useNAT: false})
    expect(legacySettings(endpointSpec('c2', '10.0.0.2', {public_ip: '198.51.100.2'}))).toMatchObject({useIP: '10.0.0.2', useNAT: false})
  })
})

describe('NatDiscovery between two gateways on loopback', () => {
  const running: NatDiscovery[] = []
  afterEach(() => {
    for (const discovery of running.splice(0)) discovery.stop()
  })

  async function gateway(local: EndpointSpec, port: number, source: string): Promise<{discovery: NatDiscovery; results: NatResult[]}> {
    const results: NatResult[] = []
    const discovery = new NatDiscovery({local, log: nullLogger, onResult: (result) => results.push(result), port, sourceFor: async () => source})
    await discovery.start()
    running.push(discovery)
    return {discovery, results}
  }

  const port = () => 40_000 + Math.floor(Math.random() * 20_000)

  it('selects the private IP without NAT when the remote answers', async () => {
    const [portA, portB] = [port(), port()]
    const b = endpointSpec('c2', '127.0.0.1', {backend_config: {'natt-discovery-port': String(portB)}})
    const a = await gateway(endpointSpec('c1', '127.0.0.1'), portA, '127.0.0.1')
    await gateway(b, portB, '127.0.0.1')
    a.discovery.discover(b)
    await expect.poll(() => a.results, {timeout: 3000}).toHaveLength(1)
    expect(a.results[0]).toMatchObject({useIP: '127.0.0.1', useNAT: false})
  })

  it('reports NAT when the remote sees another source address than the one sent from', async () => {
    const [portA, portB] = [port(), port()]
    const b = endpointSpec('c2', '127.0.0.1', {backend_config: {'natt-discovery-port': String(portB)}})
    // The sender believes it leaves from 10.255.0.1; the receiver sees 127.0.0.1: a NAT in between.
    const a = await gateway(endpointSpec('c1', '127.0.0.1'), portA, '10.255.0.1')
    await gateway(b, portB, '127.0.0.1')
    a.discovery.discover(b)
    await expect.poll(() => a.results, {timeout: 3000}).toHaveLength(1)
    expect(a.results[0]).toMatchObject({useIP: '127.0.0.1', useNAT: true})
  })

  it('falls back to the legacy settings at once for a remote without a NAT discovery port', async () => {
    const a = await gateway(endpointSpec('c1', '127.0.0.1'), port(), '127.0.0.1')
    a.discovery.discover(endpointSpec('c2', '10.0.0.2', {nat_enabled: true, public_ip: '198.51.100.2'}))
    expect(a.results).toEqual([expect.objectContaining({useIP: '198.51.100.2', useNAT: true})])
  })
})
