import {describe, expect, it} from 'vitest'

import {checkConnectionLimits, gateDisruptive, orderedPairs, parseOnly, VERIFICATIONS} from './verify-plan.js'

const limits = {connectionAttempts: 2, connectionTimeoutSeconds: 60, operationTimeoutSeconds: 240, packetSize: 3000}

describe('verify’s plan', () => {
  it('takes every key without --only, and --only trimmed, case-insensitive and without repeats', () => {
    expect(parseOnly(undefined)).toEqual([...VERIFICATIONS])
    expect(parseOnly(' Connectivity, service-discovery ,connectivity')).toEqual(['connectivity', 'service-discovery'])
  })

  it('refuses an unknown key with upstream’s message', () => {
    expect(() => parseOnly('connectivity,dataplane')).toThrow('unknown verification "dataplane"')
  })

  it('holds the connection limits as upstream does', () => {
    expect(() => checkConnectionLimits(limits)).not.toThrow()
    expect(() => checkConnectionLimits({...limits, connectionTimeoutSeconds: 19})).toThrow('--connection-timeout must be >=20')
    expect(() => checkConnectionLimits({...limits, connectionAttempts: 0})).toThrow('--connection-attempts must be >=1')
    expect(() => checkConnectionLimits({...limits, packetSize: 0})).toThrow('--packet-size must be >=1')
  })

  it('drops the disruptive keys without a terminal, naming the flag that exists', () => {
    const outcome = gateDisruptive(['connectivity', 'gateway-failover'], {allowed: false, interactive: false})
    expect(outcome.keys).toEqual(['connectivity'])
    expect(outcome.dropped).toEqual(['gateway-failover'])
    expect(outcome.message).toContain('--disruptive-tests')
    expect(gateDisruptive(['gateway-failover'], {allowed: true, interactive: false}).keys).toEqual(['gateway-failover'])
    expect(gateDisruptive(['gateway-failover'], {allowed: false, confirmed: true, interactive: true}).keys).toEqual(['gateway-failover'])
  })

  it('fails when nothing is left to verify', () => {
    expect(() => gateDisruptive(['gateway-failover'], {allowed: false, interactive: false})).toThrow('please specify at least one verification to be performed')
    expect(() => gateDisruptive(['gateway-failover'], {allowed: false, confirmed: false, interactive: true})).toThrow('please specify at least one verification to be performed')
  })

  it('pairs every context with every other, both ways', () => {
    expect(orderedPairs(['broker', 'c1', 'c2'])).toEqual([
      ['broker', 'c1'],
      ['broker', 'c2'],
      ['c1', 'broker'],
      ['c1', 'c2'],
      ['c2', 'broker'],
      ['c2', 'c1'],
    ])
  })
})
