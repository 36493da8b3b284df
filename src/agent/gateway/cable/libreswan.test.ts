import {describe, expect, it} from 'vitest'

import {endpointSpec} from '../../../../test/helpers/endpoints.js'
import type {EndpointSpec} from '../../../api/submariner.js'
import {operationMode, parseTrafficStatus, selectorSubnets, whackCommands, xfrmPolicies} from './libreswan.js'

function spec(cluster: string, privateIp: string, subnets: string[], preferred = false): EndpointSpec {
  const backendConfig = {'natt-discovery-port': '4490', 'preferred-server': String(preferred), 'udp-port': '4500'}
  return endpointSpec(cluster, privateIp, {backend: 'libreswan', backend_config: backendConfig, subnets})
}

const c1 = spec('c1', '172.30.2.11', ['10.88.0.0/16', '10.8.0.0/16'])
const c2 = spec('c2', '172.30.3.11', ['10.99.0.0/16', '10.9.0.0/16', '172.30.3.11/32'])

describe('operationMode', () => {
  it('is bidirectional unless one side prefers to be the server; ties break on the cable name', () => {
    expect(operationMode(c1, c2)).toBe('bidirectional')
    expect(operationMode(spec('c1', '172.30.2.11', [], true), c2)).toBe('server')
    expect(operationMode(c1, spec('c2', '172.30.3.11', [], true))).toBe('client')
    const both = [spec('c1', '172.30.2.11', [], true), spec('c2', '172.30.3.11', [], true)] as const
    expect(new Set([operationMode(both[0], both[1]), operationMode(both[1], both[0])])).toEqual(new Set(['server', 'client']))
  })
})

describe('whackCommands', () => {
  it('adds, routes and initiates a bidirectional connection per subnet pair, without the legacy gateway /32', () => {
    expect(selectorSubnets(c2)).toEqual(['10.99.0.0/16', '10.9.0.0/16'])
    const commands = whackCommands(c1, c2, {forceEncapsulation: false, localIndex: 1, remoteIndex: 0, useIP: '172.30.3.11', useNAT: false})
    expect(commands).toEqual([
      ['whack', '--psk', '--encrypt', '--name', `${c2.cable_name}-1-0`, '--id', '172.30.2.11', '--host', '172.30.2.11', '--client', '10.8.0.0/16', '--ikeport', '4500', '--to', '--id', '172.30.3.11', '--host', '172.30.3.11', '--client', '10.99.0.0/16', '--ikeport', '4500', '--dpdaction=hold', '--dpddelay', '30'],
      ['whack', '--route', '--name', `${c2.cable_name}-1-0`],
      ['whack', '--initiate', '--asynchronous', '--name', `${c2.cable_name}-1-0`],
    ])
  })

  it('as a server accepts any peer address and initiates nothing; NAT forces encapsulation', () => {
    const server = whackCommands(spec('c1', '172.30.2.11', ['10.8.0.0/16'], true), c2, {forceEncapsulation: false, localIndex: 0, remoteIndex: 0, useIP: '198.51.100.3', useNAT: true})
    expect(server).toHaveLength(1)
    expect(server[0]).toContain('--forceencaps')
    expect(server[0]?.slice(server[0].indexOf('--to'))).toEqual(['--to', '--id', '@172.30.3.11-0-0', '--host', '%any', '--client', '10.99.0.0/16', '--dpdaction=hold', '--dpddelay', '30'])
  })
})

describe('parsers', () => {
  it('reads byte counts from `ipsec whack --trafficstatus`', () => {
    const output = [
      '006 #3: "submariner-cable-c2-172-30-3-11-0-0"[1] 172.30.3.11, type=ESP, add_time=1764090000, inBytes=1024, outBytes=2048, id=\'172.30.3.11\'',
      '006 #4: "submariner-cable-c2-172-30-3-11-0-1", type=ESP, add_time=1764090000, inBytes=0, outBytes=0',
    ].join('\n')
    expect(parseTrafficStatus(output)).toEqual(
      new Map([
        ['submariner-cable-c2-172-30-3-11-0-0', {inBytes: 1024, outBytes: 2048}],
        ['submariner-cable-c2-172-30-3-11-0-1', {inBytes: 0, outBytes: 0}],
      ]),
    )
  })

  it('reads selectors from `ip xfrm policy`', () => {
    const output = ['src 10.8.0.0/16 dst 10.9.0.0/16 ', '\tdir out priority 1757393 ptype main ', 'src 10.9.0.0/16 dst 10.8.0.0/16 proto tcp', '\tdir fwd priority 1757393 ptype main '].join('\n')
    expect(xfrmPolicies(output)).toEqual([
      {dir: 'out', dst: '10.9.0.0/16', src: '10.8.0.0/16'},
      {dir: 'fwd', dst: '10.8.0.0/16', proto: 'tcp', src: '10.9.0.0/16'},
    ])
  })
})
