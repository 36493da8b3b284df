import {describe, expect, it} from 'vitest'

import {holderIsGone, type GatewayPodView} from './holder.js'

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds)).toISOString()
// The holder took the lease at 10 s.
const lease = {acquireTime: at(10), holderIdentity: 'c1-worker-submariner-gateway-1', renewTime: at(20)}
type State = NonNullable<NonNullable<GatewayPodView['status']>['containerStatuses']>[number]['state']
const pod = (state: State | undefined, deletionTimestamp?: string): GatewayPodView => ({
  metadata: deletionTimestamp ? {deletionTimestamp} : {},
  status: {containerStatuses: state ? [{state}] : []},
})

describe('holderIsGone', () => {
  it('is gone when no gateway pod is left on its node', () => {
    expect(holderIsGone([], lease)).toBe(true)
  })

  it('is gone when its container stopped, or waits to start again', () => {
    expect(holderIsGone([pod({terminated: {exitCode: 137}})], lease)).toBe(true)
    expect(holderIsGone([pod({waiting: {reason: 'CrashLoopBackOff'}})], lease)).toBe(true)
  })

  it('is gone when its container started again after it took the lease', () => {
    expect(holderIsGone([pod({running: {startedAt: at(15)}})], lease)).toBe(true)
  })

  it('lives while its container runs since before it took the lease', () => {
    expect(holderIsGone([pod({running: {startedAt: at(8)}})], lease)).toBe(false)
  })

  it('lives while its pod has no status yet, or is being deleted (it releases the lease itself)', () => {
    expect(holderIsGone([pod(undefined)], lease)).toBe(false)
    expect(holderIsGone([pod({running: {startedAt: at(8)}}, at(30))], lease)).toBe(false)
    // a rollout: the old pod terminating beside the new one
    expect(holderIsGone([pod({running: {startedAt: at(8)}}, at(30)), pod({running: {startedAt: at(31)}})], lease)).toBe(false)
  })
})
