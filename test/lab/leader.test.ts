/**
 * Leader election against a real API server (c1's): the callbacks never hold up renewal, a failing
 * one is logged, and losing the lease aborts the leader's signal.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LeaderElector, microTime, type Lease, type LeaderElectionOptions} from '../../src/agent/runtime/leader.js'
import {nullLogger, type Logger} from '../../src/agent/runtime/log.js'
import type {KubeClient} from '../../src/k8s/client.js'
import {Resources} from '../../src/k8s/resources.js'
import {clusterClient, eventually} from '../helpers/lab.js'

const NAMESPACE = `lab-leader-${Date.now().toString(36)}`
let client: KubeClient

beforeAll(async () => {
  client = await clusterClient('c1')
  await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
})

afterAll(async () => {
  await client?.delete(Resources.Namespace, NAMESPACE)
  client?.close()
})


function candidate(name: string, identity: string, overrides: Partial<LeaderElectionOptions>): {elector: LeaderElector; stop: AbortController; done: Promise<void>} {
  const elector = new LeaderElector({
    client,
    identity,
    leaseDurationMs: 2000,
    log: nullLogger,
    name,
    namespace: NAMESPACE,
    onStartedLeading: () => {},
    onStoppedLeading: () => {},
    renewDeadlineMs: 1500,
    retryPeriodMs: 200,
    ...overrides,
  })
  const stop = new AbortController()
  return {done: elector.run(stop.signal), elector, stop}
}

describe('leader election', () => {
  it('keeps renewing while the leader’s start-up waits, so no other candidate takes the lease', async () => {
    // Given a leader whose start-up never finishes (a broker that does not answer)
    const first = candidate('waits', 'first', {onStartedLeading: () => new Promise(() => {})})
    await eventually('the first candidate to lead', async () => first.elector.leading)
    const second = candidate('waits', 'second', {})

    // Then for three lease durations the lease stays renewed by the first, and the second never leads
    const renewals = new Set<string>()
    for (let sample = 0; sample < 30; sample++) {
      const lease = await client.get<Lease>(Resources.Lease, 'waits', NAMESPACE)
      expect(lease.spec.holderIdentity).toBe('first')
      expect(second.elector.leading).toBe(false)
      renewals.add(lease.spec.renewTime ?? '')
      await sleep(200)
    }

    expect(renewals.size).toBeGreaterThan(10)
    for (const entry of [first, second]) entry.stop.abort()
    await Promise.all([first.done, second.done])
  })

  it('logs a start-up that fails, with the lease, and keeps leading', async () => {
    const errors: Array<{message: string; fields?: Record<string, unknown>}> = []
    const log: Logger = {...nullLogger, child: () => log, error: (message, fields) => errors.push({fields, message})}
    const leader = candidate('fails', 'only', {
      log,
      onStartedLeading: () => Promise.reject(new Error('the broker said no')),
    })
    await eventually('the failure to be logged', async () => errors.length > 0)
    expect(errors[0]).toMatchObject({fields: {identity: 'only', lease: 'fails'}, message: 'onStartedLeading failed'})
    expect(String(errors[0]?.fields?.error)).toContain('the broker said no')
    expect(leader.elector.leading).toBe(true)
    leader.stop.abort()
    await leader.done
  })

  it('aborts the leader’s signal and calls onStoppedLeading when the lease is lost', async () => {
    let leadership: AbortSignal | undefined
    let stopped = 0
    const leader = candidate('lost', 'holder', {
      onStartedLeading: (signal) => {
        leadership = signal
      },
      onStoppedLeading: () => {
        stopped++
      },
    })
    await eventually('the candidate to lead', async () => leadership !== undefined)
    expect(leadership?.aborted).toBe(false)

    // When someone else holds the lease, renewed, for longer than the renew deadline
    const takeOver = setInterval(() => {
      void client
        .get<Lease>(Resources.Lease, 'lost', NAMESPACE)
        .then((lease) => client.update<Lease>({...lease, spec: {...lease.spec, holderIdentity: 'usurper', leaseDurationSeconds: 30, renewTime: microTime()}}))
        .catch(() => {})
    }, 100)
    try {
      await eventually('leadership to be lost', async () => leadership?.aborted === true && stopped === 1, 10_000, 100)
      expect(leader.elector.leading).toBe(false)
    } finally {
      clearInterval(takeOver)
    }

    leader.stop.abort()
    await leader.done
  })
})
