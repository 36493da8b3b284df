/**
 * A level-triggered controller: informers feed keys into one deduplicating work queue, and the
 * reconciler reads current state from the caches (never from the event) and converges.
 */
import type {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import type {Logger} from './log.js'
import {WorkQueue, type Reconcile} from './workqueue.js'

export class Controller {
  readonly name: string
  readonly queue: WorkQueue
  readonly #informers: Array<Informer<KubeObject>> = []

  constructor(name: string, reconcile: Reconcile, log: Logger, concurrency = 1) {
    this.name = name
    this.queue = new WorkQueue(reconcile, {concurrency, log: log.child({controller: name}), name, paused: true})
  }

  /** Enqueues the keys `keysOf` maps each changed object to (the object, its owner, ...). */
  watch<T extends KubeObject>(informer: Informer<T>, keysOf: (object: T) => string[]): this {
    informer.onEvent((event) => {
      const keys = new Set([...keysOf(event.object), ...(event.type === 'update' ? keysOf(event.old) : [])])
      for (const key of keys) this.queue.add(key)
    })
    // The server an informer lost is back: what failed while it was gone need not wait its back-off.
    informer.onRecovered(() => this.queue.retryFailedNow())
    this.#informers.push(informer as unknown as Informer<KubeObject>)
    return this
  }

  /**
   * Starts the informers and, once every cache is filled, the reconciler: a key must never be
   * judged against a cache that has not seen the world yet (it would delete what it cannot see).
   */
  async start(): Promise<void> {
    for (const informer of this.#informers) informer.start()
    await Promise.all(this.#informers.map((informer) => informer.synced))
    this.queue.resume()
  }

  stop(): void {
    this.queue.stop()
    for (const informer of this.#informers) informer.stop()
  }
}
