import {describe, expect, it} from 'vitest'

import {defaultWorkers, MAX_DEFAULT_WORKERS} from './workers.js'

describe('defaultWorkers', () => {
  it('follows the cgroup CPU quota, rounded up, and never exceeds the CPUs seen', () => {
    expect(defaultWorkers('200000 100000', 8)).toBe(2)
    expect(defaultWorkers('150000 100000\n', 8)).toBe(2)
    expect(defaultWorkers('50000 100000', 8)).toBe(1)
    expect(defaultWorkers('800000 100000', 2)).toBe(2)
  })

  it('uses every CPU without a quota: v2 "max", v1 -1, or no cgroup file', () => {
    expect(defaultWorkers('max 100000', 4)).toBe(4)
    expect(defaultWorkers('-1 100000', 4)).toBe(4)
    expect(defaultWorkers(undefined, 3)).toBe(3)
    expect(defaultWorkers('', 1)).toBe(1)
  })

  it('stops at MAX_DEFAULT_WORKERS on a big node, whose memory the pod would not get', () => {
    expect(defaultWorkers('max 100000', 64)).toBe(MAX_DEFAULT_WORKERS)
    expect(defaultWorkers('1600000 100000', 64)).toBe(MAX_DEFAULT_WORKERS)
  })
})
