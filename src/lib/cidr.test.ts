import {describe, expect, it} from 'vitest'

import {allocateBlock, cidrProblem, containsIp, nextPowerOfTwo, overlaps, parseCidr, prefixForSize} from './cidr.js'

const cidr = (text: string) => {
  const parsed = parseCidr(text)
  if (!parsed) throw new Error(`bad test CIDR ${text}`)
  return parsed
}

describe('CIDR arithmetic', () => {
  it('parses and normalises, rejecting what is not a CIDR', () => {
    expect(parseCidr('10.8.1.2/16')?.text).toBe('10.8.0.0/16')
    for (const bad of ['10.8.0.0', '10.8.0.0/33', '300.1.1.1/8', 'a.b.c.d/8', '10.8.0/16', '']) expect(parseCidr(bad)).toBeUndefined()
  })

  it('knows containment and overlap', () => {
    expect(containsIp(cidr('10.8.0.0/16'), '10.8.255.255')).toBe(true)
    expect(containsIp(cidr('10.8.0.0/16'), '10.9.0.0')).toBe(false)
    expect(overlaps(cidr('10.8.0.0/16'), cidr('10.8.4.0/24'))).toBe(true)
    expect(overlaps(cidr('10.8.4.0/24'), cidr('10.8.0.0/16'))).toBe(true)
    expect(overlaps(cidr('10.8.0.0/16'), cidr('10.9.0.0/16'))).toBe(false)
  })

  it('rejects unusable ranges with upstream’s wording', () => {
    expect(cidrProblem('127.0.0.0/8')).toBe("127.0.0.0/8 can't be in loopback range")
    expect(cidrProblem('169.254.0.0/16')).toMatch(/link-local unicast/)
    expect(cidrProblem('224.0.0.0/24')).toMatch(/link-local multicast/)
    expect(cidrProblem('0.0.0.0/8')).toMatch(/unspecified/)
    expect(cidrProblem('242.0.0.0/8')).toBeUndefined()
  })

  it('rounds sizes to powers of two', () => {
    expect(nextPowerOfTwo(65536)).toBe(65536)
    expect(nextPowerOfTwo(5000)).toBe(8192)
    expect(prefixForSize(65536)).toBe(16)
    expect(prefixForSize(4096)).toBe(20)
  })

  it('allocates the first free block, jumping past conflicts, and stops at the end of the supernet', () => {
    expect(allocateBlock('242.0.0.0/8', 65536, [])).toBe('242.0.0.0/16')
    expect(allocateBlock('242.0.0.0/8', 65536, ['242.0.0.0/16', '242.1.0.0/16'])).toBe('242.2.0.0/16')
    // a smaller block in the way pushes the candidate to the next aligned block
    expect(allocateBlock('242.0.0.0/8', 65536, ['242.0.16.0/20'])).toBe('242.1.0.0/16')
    expect(allocateBlock('243.0.0.0/8', 4096, ['243.0.0.0/20'])).toBe('243.0.16.0/20')
    expect(allocateBlock('10.0.0.0/30', 2, ['10.0.0.0/31', '10.0.0.2/31'])).toBeUndefined()
  })
})
