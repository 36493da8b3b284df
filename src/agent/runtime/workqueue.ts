/**
 * A deduplicating, rate-limited work queue for level-triggered controllers, after admiral's
 * pkg/workqueue: a key queued several times is processed once; a key is never processed by two
 * workers at once (re-adds while it runs are processed after); failures back off per key from
 * 50 ms doubling to 30 s. The reconciler reads current state itself and ignores event payloads.
 */
import type {Logger} from './log.js'

export type ReconcileResult = void | {requeueAfterMs: number}
export type Reconcile = (key: string) => Promise<ReconcileResult>

export interface WorkQueueOptions {
  name: string
  log: Logger
  /** @default 1 */
  concurrency?: number
  /** @default 50 */
  baseDelayMs?: number
  /** @default 30000 */
  maxDelayMs?: number
  /** Queue keys but process none until resume(), e.g. until every cache is filled. @default false */
  paused?: boolean
}

export class WorkQueue {
  readonly #reconcile: Reconcile
  readonly #options: Required<WorkQueueOptions>
  readonly #queue: string[] = []
  readonly #queued = new Set<string>()
  readonly #processing = new Set<string>()
  readonly #dirty = new Set<string>()
  readonly #failures = new Map<string, number>()
  readonly #timers = new Map<string, NodeJS.Timeout>()
  #active = 0
  #stopped = false
  #paused: boolean
  #idleWaiters: Array<() => void> = []

  constructor(reconcile: Reconcile, options: WorkQueueOptions) {
    this.#reconcile = reconcile
    this.#options = {baseDelayMs: 50, concurrency: 1, maxDelayMs: 30_000, paused: false, ...options}
    this.#paused = this.#options.paused
  }

  /** Starts processing what was queued while paused. */
  resume(): void {
    this.#paused = false
    this.#pump()
  }

  /** Queues a key now; a key already queued is not queued twice. */
  add(key: string): void {
    if (this.#stopped) return
    if (this.#processing.has(key)) {
      this.#dirty.add(key)
      return
    }

    if (this.#queued.has(key)) return
    this.#queued.add(key)
    this.#queue.push(key)
    this.#pump()
  }

  /** Queues a key after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#stopped) return
    const existing = this.#timers.get(key)
    if (existing) return
    const timer = setTimeout(() => {
      this.#timers.delete(key)
      this.add(key)
    }, delayMs)
    timer.unref()
    this.#timers.set(key, timer)
  }

  /**
   * Retries every key that is waiting out a failure, now and with its back-off reset: what it
   * failed on (an API server, say) is back, and a key should not wait up to 30 s more for it.
   */
  retryFailedNow(): void {
    for (const key of [...this.#failures.keys()]) {
      this.#failures.delete(key)
      clearTimeout(this.#timers.get(key))
      this.#timers.delete(key)
      this.add(key)
    }
  }

  /** Stops taking work; pending timers are dropped. */
  stop(): void {
    this.#stopped = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    this.#queue.length = 0
    this.#queued.clear()
  }

  /** Resolves when nothing is queued or running (for tests and orderly shutdown). */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  #pump(): void {
    while (!this.#stopped && !this.#paused && this.#active < this.#options.concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift() as string
      this.#queued.delete(key)
      this.#processing.add(key)
      this.#active++
      void this.#process(key)
    }

    if (this.#active === 0 && this.#queue.length === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve()
    }
  }

  async #process(key: string): Promise<void> {
    try {
      const result = await this.#reconcile(key)
      this.#failures.delete(key)
      if (result && result.requeueAfterMs >= 0) this.addAfter(key, result.requeueAfterMs)
    } catch (error) {
      const failures = (this.#failures.get(key) ?? 0) + 1
      this.#failures.set(key, failures)
      const delay = Math.min(this.#options.baseDelayMs * 2 ** (failures - 1), this.#options.maxDelayMs)
      this.#options.log.warn('reconcile failed, retrying', {error, key, queue: this.#options.name, retryInMs: delay})
      this.addAfter(key, delay)
    } finally {
      this.#processing.delete(key)
      this.#active--
      if (this.#dirty.delete(key)) this.add(key)
      this.#pump()
    }
  }
}
