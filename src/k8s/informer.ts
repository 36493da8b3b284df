/**
 * List-then-watch with a local cache, like client-go's informer: events for the differences after
 * every (re)list, watch from the list's resourceVersion, relist at once on 410 Gone, and restart
 * with backoff (capped at 5 s) after any other failure, which client-node's informer does not do.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {isGone} from './errors.js'
import type {KubeClient, ListOptions} from './client.js'
import {objectKey, type KubeObject} from './objects.js'
import type {ResourceType} from './resources.js'

export type InformerEvent<T> =
  | {type: 'add'; object: T}
  | {type: 'update'; object: T; old: T}
  | {type: 'delete'; object: T}

export interface InformerLogger {
  warn(message: string, fields?: Record<string, unknown>): void
}

export interface InformerOptions extends ListOptions {
  /** Injected for tests. @default timers/promises' setTimeout, ended early by the signal */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  log?: InformerLogger
}

/** What an informer may index its objects by, for `indexed()`: one key per object, or none. */
export type IndexKey<T> = (object: T) => string | undefined

/**
 * Lower than client-go's 30 s: one list per informer every 5 s costs an API server that is down
 * nothing, and a cluster whose broker comes back converges seconds later, not half a minute.
 */
const MAX_BACKOFF_MS = 5000

export class Informer<T extends KubeObject> {
  readonly #client: KubeClient
  readonly #type: ResourceType
  readonly #options: InformerOptions
  readonly #cache = new Map<string, T>()
  readonly #indexKey: IndexKey<T> | undefined
  readonly #index = new Map<string, Map<string, T>>()
  readonly #handlers: Array<(event: InformerEvent<T>) => void> = []
  readonly #recoveryHandlers: Array<() => void> = []
  #current = false
  readonly #stop = new AbortController()
  #resolveSynced!: () => void
  readonly synced: Promise<void>
  #running = false

  constructor(client: KubeClient, type: ResourceType, options: InformerOptions = {}, indexKey?: IndexKey<T>) {
    this.#client = client
    this.#type = type
    this.#options = options
    this.#indexKey = indexKey
    this.synced = new Promise((resolve) => {
      this.#resolveSynced = resolve
    })
  }

  /** Registers a handler; call before start() to see the initial adds. */
  onEvent(handler: (event: InformerEvent<T>) => void): this {
    this.#handlers.push(handler)
    return this
  }

  /** Called after a list that follows a failed list or watch: the server is back. */
  onRecovered(handler: () => void): this {
    this.#recoveryHandlers.push(handler)
    return this
  }

  /**
   * Whether the cache follows the server now: listed, and watching since without a break. After
   * a break (this node cut off, say) it may show a world that has moved on, until the relist.
   */
  get current(): boolean {
    return this.#current
  }

  get(key: string): T | undefined {
    return this.#cache.get(key)
  }

  list(): T[] {
    return [...this.#cache.values()]
  }

  /** The objects whose index key is `key`: what a reconcile of one key needs, without a pass over the whole cache. */
  indexed(key: string): T[] {
    return [...(this.#index.get(key)?.values() ?? [])]
  }

  start(): this {
    if (!this.#running) {
      this.#running = true
      void this.#run()
    }

    return this
  }

  stop(): void {
    this.#stop.abort()
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal
    let backoff = 1000
    let failed = false
    while (!signal.aborted) {
      try {
        const {items, resourceVersion} = await this.#client.list<T>(this.#type, this.#options)
        this.#replace(items)
        this.#current = true
        this.#resolveSynced()
        backoff = 1000
        if (failed) for (const handler of this.#recoveryHandlers) handler()
        failed = false
        let version = resourceVersion
        while (!signal.aborted) {
          await this.#client.watch<T>(
            this.#type,
            {...this.#options, resourceVersion: version},
            (event) => {
              version = event.object.metadata.resourceVersion ?? version
              if (event.type === 'BOOKMARK') return
              if (event.type === 'DELETED') this.#remove(event.object)
              else this.#upsert(event.object)
            },
            signal,
          )
        }
      } catch (error) {
        this.#current = false
        if (signal.aborted) return
        if (isGone(error)) continue
        failed = true
        this.#options.log?.warn('list/watch failed, retrying', {error, kind: this.#type.kind, retryInMs: backoff})
        await (this.#options.sleep ?? pause)(backoff, signal)
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
      }
    }
  }

  #replace(items: T[]): void {
    const seen = new Set<string>()
    for (const item of items) {
      seen.add(objectKey(item))
      this.#upsert(item)
    }

    for (const [key, object] of this.#cache) {
      if (!seen.has(key)) this.#remove(object)
    }
  }

  #upsert(object: T): void {
    // The field managers' bookkeeping is often the larger part of an object and nothing here reads
    // it; an update sent without it keeps the server's.
    delete object.metadata.managedFields
    const key = objectKey(object)
    const old = this.#cache.get(key)
    if (old) this.#unindex(key, old)
    this.#cache.set(key, object)
    const indexKey = this.#indexKey?.(object)
    if (indexKey !== undefined) {
      const entries = this.#index.get(indexKey) ?? new Map<string, T>()
      entries.set(key, object)
      this.#index.set(indexKey, entries)
    }

    if (!old) this.#emit({object, type: 'add'})
    else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) this.#emit({object, old, type: 'update'})
  }

  #remove(object: T): void {
    const key = objectKey(object)
    const cached = this.#cache.get(key)
    if (!cached) return
    this.#cache.delete(key)
    this.#unindex(key, cached)
    this.#emit({object: cached, type: 'delete'})
  }

  #unindex(key: string, object: T): void {
    const indexKey = this.#indexKey?.(object)
    if (indexKey === undefined) return
    const entries = this.#index.get(indexKey)
    entries?.delete(key)
    if (entries?.size === 0) this.#index.delete(indexKey)
  }

  #emit(event: InformerEvent<T>): void {
    for (const handler of this.#handlers) handler(event)
  }
}

/** Waits `ms`, or less when the signal aborts (the loop then sees it). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, {signal}).catch(() => undefined)
}
