/**
 * Leader election on a coordination.k8s.io Lease, as client-go's: the holder renews every retry
 * period and gives up leading when it cannot renew within the renew deadline; others take the
 * lease over once it expires. Two additions for fast failover: a caller may say the holder is
 * known dead (its pod's container stopped), and a holder that stops cleanly releases the lease.
 *
 * The callbacks run detached from the renewal loop, as client-go runs OnStartedLeading in a
 * goroutine: a leader whose start-up waits (for a broker that is unreachable, say) keeps renewing,
 * so no other candidate takes the lease while it still leads. onStartedLeading gets a signal that
 * aborts when leadership is lost; a callback that fails is logged, never a crash.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {KubeClient} from '../../k8s/client.js'
import {isConflict, isNotFound} from '../../k8s/errors.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import type {Logger} from './log.js'

export interface LeaseSpec {
  holderIdentity?: string
  leaseDurationSeconds?: number
  acquireTime?: string
  renewTime?: string
  leaseTransitions?: number
}

export interface Lease extends KubeObject {
  spec: LeaseSpec
}

export interface LeaderElectionOptions {
  client: KubeClient
  namespace: string
  name: string
  identity: string
  leaseDurationMs: number
  renewDeadlineMs: number
  retryPeriodMs: number
  log: Logger
  /** Starts leading; `leadership` aborts when the lease is lost, and the work should stop then. */
  onStartedLeading: (leadership: AbortSignal) => void | Promise<void>
  onStoppedLeading: () => void | Promise<void>
  /** Whether the current holder is known to be gone, so the lease need not run out first. */
  holderIsDead?: (holder: string, lease: LeaseSpec) => boolean
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/**
 * An attempt that outlives the renew deadline counts as failed (client-go bounds it the same way):
 * a leader whose requests hang must step down in time, not when the request gives up.
 */
async function withinDeadline<T>(attempt: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the API server within ${deadlineMs} ms`)), deadlineMs)
  })
  attempt.catch(() => {}) // a late failure of an abandoned attempt is not news
  try {
    return await Promise.race([attempt, expired])
  } finally {
    clearTimeout(timer)
  }
}

export class LeaderElector {
  readonly #options: LeaderElectionOptions
  #leading = false
  #settled = false
  #lastRenew = 0
  #wake: (() => void) | undefined
  #leadership: AbortController | undefined
  /** The onStoppedLeading callbacks, in order; the renewal loop never waits for them. */
  #transitions: Promise<void> = Promise.resolve()

  constructor(options: LeaderElectionOptions) {
    this.#options = options
  }

  get leading(): boolean {
    return this.#leading
  }

  /** Whether the first attempt at the lease has ended, so that `leading` means something. */
  get settled(): boolean {
    return this.#settled
  }

  /** Tries again now rather than after the retry period (e.g. the holder was just seen to die). */
  poke(): void {
    this.#wake?.()
  }

  /** Campaigns until the signal aborts; then releases the lease if it holds it. */
  async run(signal: AbortSignal): Promise<void> {
    const {log, retryPeriodMs, renewDeadlineMs} = this.#options
    while (!signal.aborted) {
      let held = false
      try {
        held = await withinDeadline(this.#tryAcquireOrRenew(), renewDeadlineMs)
      } catch (error) {
        log.warn('lease update failed', {error, lease: this.#options.name})
      }

      this.#settled = true
      if (held) {
        this.#lastRenew = Date.now()
        if (!this.#leading) {
          this.#leading = true
          log.info('became the leader', {identity: this.#options.identity, lease: this.#options.name})
          this.#startLeading()
        }
      } else if (this.#leading && Date.now() - this.#lastRenew > renewDeadlineMs) {
        log.warn('lost the lease', {identity: this.#options.identity, lease: this.#options.name})
        this.#stopLeading()
      }

      await new Promise<void>((resolve) => {
        this.#wake = resolve
        void sleep(retryPeriodMs, undefined, {signal}).then(resolve, resolve)
      })
      this.#wake = undefined
    }

    if (this.#leading) await this.#release()
    await this.#transitions
  }

  #startLeading(): void {
    const leadership = new AbortController()
    this.#leadership = leadership
    // After the stops before it (they undo local state), but never waited for by what follows:
    // a start may wait on what is unreachable, and the signal tells it to give up.
    void this.#transitions.then(() => (leadership.signal.aborted ? undefined : this.#callback('onStartedLeading', () => this.#options.onStartedLeading(leadership.signal))))
  }

  #stopLeading(): void {
    this.#leading = false
    this.#leadership?.abort(new Error('leadership lost'))
    this.#leadership = undefined
    this.#transitions = this.#transitions.then(() => this.#callback('onStoppedLeading', () => this.#options.onStoppedLeading()))
  }

  async #callback(name: string, callback: () => void | Promise<void>): Promise<void> {
    try {
      await callback()
    } catch (error) {
      this.#options.log.error(`${name} failed`, {error, identity: this.#options.identity, lease: this.#options.name})
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const {client, identity, leaseDurationMs, name, namespace} = this.#options
    const now = new Date()
    const lease = await client.tryGet<Lease>(Resources.Lease, name, namespace)
    const spec: LeaseSpec = {
      acquireTime: microTime(now),
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.round(leaseDurationMs / 1000)),
      leaseTransitions: 0,
      renewTime: microTime(now),
    }
    if (!lease) {
      try {
        await client.create<Lease>({apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: {name, namespace}, spec})
        return true
      } catch (error) {
        if (isConflict(error) || (error as {statusCode?: number}).statusCode === 409) return false
        throw error
      }
    }

    const holder = lease.spec.holderIdentity ?? ''
    const renewedAt = Date.parse(lease.spec.renewTime ?? '') || 0
    const expired = renewedAt + (lease.spec.leaseDurationSeconds ?? 0) * 1000 < now.getTime()
    if (holder === identity) {
      spec.acquireTime = lease.spec.acquireTime ?? spec.acquireTime
      spec.leaseTransitions = lease.spec.leaseTransitions ?? 0
    } else if (holder === '' || expired || this.#options.holderIsDead?.(holder, lease.spec)) {
      spec.leaseTransitions = (lease.spec.leaseTransitions ?? 0) + 1
    } else {
      return false
    }

    try {
      await client.update<Lease>({...lease, spec})
      return true
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) return false
      throw error
    }
  }

  /** Hands the lease back so another candidate takes over at once. */
  async #release(): Promise<void> {
    const {client, identity, name, namespace} = this.#options
    try {
      const lease = await client.tryGet<Lease>(Resources.Lease, name, namespace)
      if (lease?.spec.holderIdentity === identity) {
        await client.update<Lease>({...lease, spec: {...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date(0))}})
      }
    } catch (error) {
      this.#options.log.warn('could not release the lease', {error})
    }

    this.#stopLeading()
  }
}
