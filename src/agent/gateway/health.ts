/**
 * The health checker (reference/dataplane.md §3.7): pings each remote endpoint's health-check IP
 * through the tunnel, once per interval, and reports connected (with RTT statistics over the last
 * 1000 replies) or error once more than the allowed number of pings went unanswered. One long-lived
 * `ping` per remote: Node has no raw ICMP sockets, and ping's own timing is the RTT.
 */

import type {LatencyRTT} from '../../api/submariner.js'
import {goDuration} from '../../lib/duration-format.js'
import {startDaemon, type Daemon} from '../netlink/exec.js'
import type {Logger} from '../runtime/log.js'

export interface PingStatus {
  status: 'connected' | 'error' | 'unknown'
  message: string
  rtt?: LatencyRTT
  /** Last RTT in seconds, for the latency metric. */
  lastSeconds?: number
}

const WINDOW = 1000

export function rttStatistics(samplesMs: number[]): LatencyRTT | undefined {
  if (samplesMs.length === 0) return undefined
  const mean = samplesMs.reduce((sum, value) => sum + value, 0) / samplesMs.length
  const variance = samplesMs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / samplesMs.length
  const ns = (ms: number) => goDuration(ms * 1e6)
  return {
    average: ns(mean),
    last: ns(samplesMs.at(-1) as number),
    max: ns(Math.max(...samplesMs)),
    min: ns(Math.min(...samplesMs)),
    stdDev: ns(Math.sqrt(variance)),
  }
}

export class Pinger {
  readonly ip: string
  readonly #intervalSeconds: number
  readonly #maxLoss: number
  readonly #log: Logger
  #child: Daemon | undefined
  #samples: number[] = []
  #unanswered = 0
  #status: PingStatus = {message: 'Health check has not run yet', status: 'unknown'}
  #stopped = false

  constructor(ip: string, intervalSeconds: number, maxLoss: number, log: Logger) {
    this.ip = ip
    this.#intervalSeconds = intervalSeconds
    this.#maxLoss = maxLoss
    this.#log = log
  }

  get status(): PingStatus {
    return this.#status
  }

  start(): void {
    if (this.#stopped) return
    this.#child = startDaemon('ping', ['-n', '-O', '-i', String(this.#intervalSeconds), this.ip], {
      log: this.#log,
      onExit: () => {
        this.#status = {message: `the pinger of ${this.ip} stopped; restarting it`, status: 'unknown'}
        setTimeout(() => this.start(), 5000).unref()
      },
      onLine: (line) => this.#onLine(line),
    })
  }

  #onLine(line: string): void {
    const reply = /icmp_seq=\d+ .*time=([\d.]+) ms/.exec(line)
    if (reply) {
      this.#unanswered = 0
      this.#samples.push(Number(reply[1]))
      if (this.#samples.length > WINDOW) this.#samples.shift()
      const rtt = rttStatistics(this.#samples)
      this.#status = {lastSeconds: Number(reply[1]) / 1000, message: '', status: 'connected', ...(rtt ? {rtt} : {})}
      return
    }

    if (/no answer yet|Destination .* Unreachable|Time to live exceeded/i.test(line)) {
      this.#unanswered++
      if (this.#unanswered > this.#maxLoss) {
        this.#status = {message: `Failed to successfully ping the remote endpoint IP ${this.ip}`, status: 'error'}
        this.#unanswered = 0
        this.#samples = []
        // A new ping process pings with a new ICMP identifier, so a new conntrack entry: the old
        // one keeps the NAT decision of its first packet (say, before Globalnet's SNAT existed on a
        // gateway that just took over), and every ping refreshes it, so it would never heal.
        this.#child?.stop()
        this.start()
      }
    }
  }

  stop(): void {
    this.#stopped = true
    this.#child?.stop()
  }
}

/** One pinger per remote cable, following the endpoints. */
export class HealthChecker {
  readonly #pingers = new Map<string, Pinger>()
  readonly #intervalSeconds: number
  readonly #maxLoss: number
  readonly #log: Logger

  constructor(options: {intervalSeconds: number; maxPacketLossCount: number; log: Logger}) {
    this.#intervalSeconds = options.intervalSeconds
    this.#maxLoss = options.maxPacketLossCount
    this.#log = options.log
  }

  /** Starts pingers for new targets, restarts those whose IP changed, stops the rest. */
  sync(targets: Map<string, string>): void {
    for (const [cable, pinger] of this.#pingers) {
      if (targets.get(cable) !== pinger.ip) {
        pinger.stop()
        this.#pingers.delete(cable)
      }
    }

    for (const [cable, ip] of targets) {
      if (this.#pingers.has(cable) || !ip) continue
      const pinger = new Pinger(ip, this.#intervalSeconds, this.#maxLoss, this.#log.child({cable}))
      pinger.start()
      this.#pingers.set(cable, pinger)
    }
  }

  status(cable: string): PingStatus | undefined {
    return this.#pingers.get(cable)?.status
  }

  pingedIp(cable: string): string | undefined {
    return this.#pingers.get(cable)?.ip
  }

  stop(): void {
    for (const pinger of this.#pingers.values()) pinger.stop()
    this.#pingers.clear()
  }
}
