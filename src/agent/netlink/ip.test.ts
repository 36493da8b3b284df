import {describe, expect, it} from 'vitest'

import {vtepAddress, vtepMac} from './ip.js'

describe('VTEP addressing', () => {
  it('maps a node IP into 240/8 (vx-submariner) or 241/8 (vxlan-tunnel)', () => {
    expect(vtepAddress(240, '172.30.2.11')).toBe('240.30.2.11')
    expect(vtepAddress(241, '172.30.2.11')).toBe('241.30.2.11')
  })

  it('gives every VTEP a fixed, locally administered unicast MAC of its own', () => {
    expect(vtepMac('241.30.2.11')).toBe('02:53:f1:1e:02:0b')
    expect(vtepMac('240.30.2.11')).not.toBe(vtepMac('241.30.2.11'))
    const firstOctet = Number.parseInt(vtepMac('240.0.0.1').slice(0, 2), 16)
    expect(firstOctet & 0b01).toBe(0)
    expect(firstOctet & 0b10).toBe(0b10)
  })
})
