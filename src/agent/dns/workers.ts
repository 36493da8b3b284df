/**
 * Lighthouse DNS on several cores. Answering a cached query costs little JavaScript; most of the
 * time goes into the send and receive system calls, one per datagram, which one Node thread makes
 * one at a time. Upstream's Go server makes them on every core. So the pod runs a node:cluster:
 *
 *   primary   the informers (one watch per resource for the pod) and /metrics; no DNS socket
 *   workers   each a DnsServer on the shared port (the primary holds the socket, the kernel hands
 *             each datagram to one worker) and a replica of the ServiceIndex
 *
 * The primary sends every informer event to every worker, after replaying its current objects to a
 * worker that has just started, so each replica equals the one index the informers describe. A
 * worker that dies is replaced; /metrics sums the workers' counts.
 */
import cluster, {type Worker} from 'node:cluster'
import {availableParallelism} from 'node:os'
import {readFileSync} from 'node:fs'

import type {EndpointSlice, ServiceImport} from '../../api/mcs.js'
import type {Gateway} from '../../api/submariner.js'
import type {Logger} from '../runtime/log.js'
import {aborted} from '../runtime/role.js'
import {ServiceIndex} from './resolver.js'
import {DnsServer} from './server.js'
import type {DnsStatsSnapshot} from './stats.js'

/** What the index is fed with; ServiceIndex is one, the pool of workers another. */
export interface IndexFeed {
  upsertImport(serviceImport: ServiceImport): void
  deleteImport(serviceImport: ServiceImport): void
  upsertSlice(slice: EndpointSlice): void
  deleteSlice(slice: EndpointSlice): void
  setGateways(gateways: Gateway[], connectivityInstalled: boolean): void
}

type IndexMethod = 'upsertImport' | 'deleteImport' | 'upsertSlice' | 'deleteSlice'

export type ToWorker =
  | {kind: 'index'; method: IndexMethod; object: ServiceImport | EndpointSlice}
  | {kind: 'gateways'; gateways: Gateway[]; installed: boolean}
  | {kind: 'stats'; id: number}

/** What an index message does to a replica (or to the one index of a single process). */
export function applyToIndex(index: ServiceIndex, message: ToWorker): void {
  if (message.kind === 'index') index[message.method](message.object as never)
  else if (message.kind === 'gateways') index.setGateways(message.gateways, message.installed)
}

export type FromWorker = {kind: 'hello'} | {kind: 'listening'} | {kind: 'stats'; id: number; snapshot: DnsStatsSnapshot}

export interface WorkerServerOptions {
  zones: string[]
  port: number
  ttl: number
  clusterId: string
}

/**
 * Workers at most by default: each costs about 60 MB, and four already answer several times the
 * queries a cluster's DNS sends (bench/dns). --workers goes beyond it.
 */
export const MAX_DEFAULT_WORKERS = 4

/**
 * How many workers by default: the CPUs this process may use, from its cgroup's quota when there
 * is one ("QUOTA PERIOD" or "max PERIOD": cgroup v2's cpu.max, or v1's cpu.cfs_quota_us and
 * cpu.cfs_period_us, where no quota reads -1), else the CPUs it sees; at most MAX_DEFAULT_WORKERS.
 */
export function defaultWorkers(cpuMax: string | undefined = readCpuMax(), cpus = availableParallelism()): number {
  const [quota, period] = (cpuMax ?? '').trim().split(/\s+/)
  const limited = quota !== undefined && quota !== 'max' && Number(quota) > 0 && Number(period) > 0
  const limit = limited ? Math.ceil(Number(quota) / Number(period)) : Number.POSITIVE_INFINITY
  return Math.max(1, Math.min(cpus, limit, MAX_DEFAULT_WORKERS))
}

function readCpuMax(): string | undefined {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim()
    } catch {
      return undefined
    }
  }

  const v2 = read('/sys/fs/cgroup/cpu.max')
  if (v2 !== undefined) return v2
  const [quota, period] = [read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')]
  return quota !== undefined && period !== undefined ? `${quota} ${period}` : undefined
}

/** The primary's side: forks the workers and keeps them fed. */
export class DnsWorkerPool implements IndexFeed {
  readonly #workers = new Set<Worker>()
  /** Workers that have their replica (replayed, then fed). */
  readonly #fed = new Set<Worker>()
  readonly #listening = new Set<Worker>()
  readonly #pending = new Map<number, (snapshot: DnsStatsSnapshot | undefined) => void>()
  #nextRequest = 0
  #stopping = false

  constructor(
    private readonly count: number,
    private readonly workerArgs: string[],
    /** The informers' current objects, replayed to a worker that starts. */
    private readonly replay: () => ToWorker[],
    private readonly log: Logger,
  ) {}

  /** Forks the workers and resolves once every one is listening. */
  async start(): Promise<void> {
    cluster.setupPrimary({args: this.workerArgs})
    const listening = new Promise<void>((resolve) => {
      const check = () => this.#listening.size >= this.count && resolve()
      cluster.on('message', (worker, message: FromWorker) => {
        if (message.kind === 'hello') {
          for (const replayed of this.replay()) worker.send(replayed)
          this.#fed.add(worker)
        } else if (message.kind === 'listening') {
          this.#listening.add(worker)
          check()
        } else if (message.kind === 'stats') {
          this.#pending.get(message.id)?.(message.snapshot)
          this.#pending.delete(message.id)
        }
      })
    })
    cluster.on('exit', (worker, code, signal) => {
      this.#workers.delete(worker)
      this.#fed.delete(worker)
      this.#listening.delete(worker)
      if (this.#stopping) return
      this.log.error('a DNS worker died; starting another', {code, signal, worker: worker.id})
      this.#fork()
    })
    for (let index = 0; index < this.count; index++) this.#fork()
    await listening
  }

  #fork(): void {
    this.#workers.add(cluster.fork())
  }

  async stop(): Promise<void> {
    this.#stopping = true
    await Promise.all(
      [...this.#workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve())
            worker.disconnect()
            setTimeout(() => worker.kill(), 2000).unref()
          }),
      ),
    )
  }

  #broadcast(message: ToWorker): void {
    for (const worker of this.#fed) if (worker.isConnected()) worker.send(message)
  }

  upsertImport(object: ServiceImport): void {
    this.#broadcast({kind: 'index', method: 'upsertImport', object})
  }

  deleteImport(object: ServiceImport): void {
    this.#broadcast({kind: 'index', method: 'deleteImport', object})
  }

  upsertSlice(object: EndpointSlice): void {
    this.#broadcast({kind: 'index', method: 'upsertSlice', object})
  }

  deleteSlice(object: EndpointSlice): void {
    this.#broadcast({kind: 'index', method: 'deleteSlice', object})
  }

  setGateways(gateways: Gateway[], installed: boolean): void {
    this.#broadcast({gateways, installed, kind: 'gateways'})
  }

  /** Every listening worker's counts; a worker that does not answer within a second is left out, and logged. */
  async stats(): Promise<DnsStatsSnapshot[]> {
    const answers = await Promise.all(
      [...this.#listening].map(
        (worker) =>
          new Promise<DnsStatsSnapshot | undefined>((resolve) => {
            const id = this.#nextRequest++
            const timer = setTimeout(() => {
              this.#pending.delete(id)
              this.log.warn('a DNS worker did not report its metrics', {worker: worker.id})
              resolve(undefined)
            }, 1000)
            this.#pending.set(id, (snapshot) => {
              clearTimeout(timer)
              resolve(snapshot)
            })
            worker.send({id, kind: 'stats'} satisfies ToWorker)
          }),
      ),
    )
    return answers.filter((snapshot): snapshot is DnsStatsSnapshot => snapshot !== undefined)
  }
}

/** A worker's life: its replica, fed by the primary, and its server on the shared port, until the primary goes or the signal aborts. */
export async function runDnsWorker(options: WorkerServerOptions, log: Logger, signal: AbortSignal): Promise<number> {
  const index = new ServiceIndex(options.clusterId)
  const server = new DnsServer({index, log, port: options.port, shared: true, ttl: options.ttl, zones: options.zones})
  const send = (message: FromWorker) => process.send?.(message)
  process.on('message', (message: ToWorker) => {
    if (message.kind === 'stats') send({id: message.id, kind: 'stats', snapshot: server.stats.snapshot()})
    else applyToIndex(index, message)
  })
  send({kind: 'hello'})
  await server.start()
  send({kind: 'listening'})
  await Promise.race([aborted(signal), new Promise((resolve) => process.once('disconnect', resolve))])
  await server.stop()
  return 0
}
