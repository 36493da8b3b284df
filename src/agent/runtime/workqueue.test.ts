import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {nullLogger} from './log.js'
import {WorkQueue} from './workqueue.js'

const tick = (ms = 5) => sleep(ms)

describe('WorkQueue', () => {
  it('processes a key queued many times once', async () => {
    const seen: string[] = []
    const queue = new WorkQueue(async (key) => void seen.push(key), {log: nullLogger, name: 'test', paused: true})
    for (let n = 0; n < 5; n++) queue.add('a')
    queue.add('b')
    queue.resume()
    await queue.idle()
    expect(seen).toEqual(['a', 'b'])
  })

  it('never runs a key twice at once, and reprocesses a key re-added while it ran', async () => {
    let running = 0
    let most = 0
    let runs = 0
    const queue = new WorkQueue(
      async () => {
        running++
        runs++
        most = Math.max(most, running)
        await tick()
        running--
      },
      {concurrency: 4, log: nullLogger, name: 'test'},
    )
    queue.add('a')
    await tick(1)
    queue.add('a')
    queue.add('a')
    await expect.poll(() => runs).toBe(2)
    await queue.idle()
    expect(most).toBe(1)
  })

  it('retries failures with a doubling backoff until the reconcile succeeds', async () => {
    const attempts: number[] = []
    const queue = new WorkQueue(
      async () => {
        attempts.push(Date.now())
        if (attempts.length < 3) throw new Error('not yet')
      },
      {baseDelayMs: 20, log: nullLogger, name: 'test'},
    )
    queue.add('a')
    await expect.poll(() => attempts.length, {timeout: 2000}).toBe(3)
    const [first = 0, second = 0, third = 0] = attempts
    expect(second - first).toBeGreaterThanOrEqual(15)
    expect(third - second).toBeGreaterThanOrEqual(35)
  })

  it('requeues after the delay a reconcile asks for, and stops taking work when stopped', async () => {
    let runs = 0
    const queue = new WorkQueue(
      async () => {
        runs++
        return {requeueAfterMs: 10}
      },
      {log: nullLogger, name: 'test'},
    )
    queue.add('a')
    await expect.poll(() => runs, {timeout: 2000}).toBeGreaterThanOrEqual(3)
    queue.stop()
    const stoppedAt = runs
    await tick(50)
    expect(runs).toBeLessThanOrEqual(stoppedAt + 1)
    queue.add('b')
    await tick(20)
    expect(runs).toBeLessThanOrEqual(stoppedAt + 1)
  })

  it('retries a failed key at once, with its back-off reset, when told what it failed on is back', async () => {
    let failing = true
    const attempts: number[] = []
    const queue = new WorkQueue(
      async () => {
        attempts.push(Date.now())
        if (failing) throw new Error('the broker is unreachable')
      },
      {baseDelayMs: 10_000, log: nullLogger, name: 'test'},
    )
    queue.add('a')
    await expect.poll(() => attempts.length, {timeout: 2000}).toBe(1)
    // The key now waits 10 s; the server it needs is back.
    failing = false
    const toldAt = Date.now()
    queue.retryFailedNow()
    await expect.poll(() => attempts.length, {timeout: 2000}).toBe(2)
    expect((attempts[1] as number) - toldAt).toBeLessThan(1000)
    await tick(50)
    expect(attempts).toHaveLength(2)
    queue.stop()
  })
})
