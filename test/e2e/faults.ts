/**
 * Instruments for the fault tests: a steady stream of requests from a pod that records when they
 * succeeded, 200 ms samplers of the Gateway objects and of the gateway Lease, and finding an
 * agent's process.
 */
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'

import type {Gateway} from '../../src/api/submariner.js'
import type {Lease} from '../../src/agent/runtime/leader.js'
import type {KubeClient} from '../../src/k8s/client.js'
import {Resources} from '../../src/k8s/resources.js'
import {netnsOf, spawnIn} from '../../bench/support.js'
import {ROOT} from '../helpers/cli.js'
import {clusterClient} from '../helpers/lab.js'
import {inNetns} from '../lab/sh.js'

/** Requests (connect, send, read the echo) started every 200 ms from a pod; remembers when each that succeeded started. */
export class TrafficSampler {
  readonly successes: number[] = []
  #child: ReturnType<typeof spawnIn> | undefined

  async start(pod: string, target: string): Promise<void> {
    const netns = await netnsOf(pod)
    this.#child = spawnIn(netns, [process.execPath, join(ROOT, 'bench', 'requester.mjs'), target, '200', '1000'], (line) => {
      const [word, started] = line.split(' ')
      if (word === 'ok') this.successes.push(Number(started))
    })
  }

  /** The longest stretch between two successful requests that falls within [from, to]. */
  longestGap(from: number, to: number): number {
    const inside = [from, ...this.successes.filter((time) => time > from && time < to), to]
    let longest = 0
    for (let index = 1; index < inside.length; index++) longest = Math.max(longest, (inside[index] as number) - (inside[index - 1] as number))
    return longest
  }

  /** When traffic flowed again after `since`: the first success that starts a run of five in a row. */
  resumedAfter(since: number): number | undefined {
    const after = this.successes.filter((time) => time >= since)
    for (let index = 0; index + 4 < after.length; index++) {
      if ((after[index + 4] as number) - (after[index] as number) < 2000) return after[index]
    }

    return undefined
  }

  stop(): void {
    this.#child?.stdin?.end()
    this.#child?.kill()
  }
}

/** Polls one cluster every 200 ms, one request at a time, keeping each answer with its time. */
abstract class ClusterSampler<T> {
  readonly samples: Array<T & {at: number}> = []
  #timer: NodeJS.Timeout | undefined
  #client: KubeClient | undefined
  #busy = false

  protected abstract sample(client: KubeClient): Promise<T>

  async start(cluster: string): Promise<void> {
    const client = await clusterClient(cluster)
    this.#client = client
    this.#timer = setInterval(() => {
      if (this.#busy) return
      this.#busy = true
      this.sample(client)
        .then((value) => void this.samples.push({...value, at: Date.now()}))
        // A sample the API server did not answer in time is no sample: the others tell.
        .catch(() => {})
        .finally(() => (this.#busy = false))
    }, 200)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#client?.close()
  }
}

/** Lists a cluster's Gateway objects every 200 ms and counts those that say active. */
export class GatewaySampler extends ClusterSampler<{active: string[]}> {
  protected async sample(client: KubeClient): Promise<{active: string[]}> {
    const list = await client.list<Gateway>(Resources.Gateway, {namespace: 'submariner-operator'})
    return {active: list.items.filter((gateway) => gateway.status?.haStatus === 'active').map((gateway) => gateway.metadata.name as string)}
  }

  /** Samples in which more than one Gateway said active. */
  get splitBrain(): Array<{at: number; active: string[]}> {
    return this.samples.filter((sample) => sample.active.length > 1)
  }
}

/**
 * The gateway Lease of a cluster, sampled every 200 ms: who held it, and the renew and acquire
 * times it carried. It tells a leader that lost its lease (it stopped renewing, the lease expired,
 * another acquired it) from a steal (acquired while the holder's lease was still valid).
 */
export class LeaseSampler extends ClusterSampler<{holder: string; renewedAt: number; acquiredAt: number; durationMs: number}> {
  protected async sample(client: KubeClient) {
    const lease = await client.get<Lease>(Resources.Lease, 'submariner-gateway-lock', 'submariner-operator')
    return {
      acquiredAt: Date.parse(lease.spec.acquireTime ?? ''),
      durationMs: (lease.spec.leaseDurationSeconds ?? 0) * 1000,
      holder: lease.spec.holderIdentity ?? '',
      renewedAt: Date.parse(lease.spec.renewTime ?? ''),
    }
  }

  /**
   * For each change of holder to one whose identity starts with `node`: whether it acquired the
   * lease only after the previous holder's last renewal had expired. An empty list: no such change.
   */
  takeoversBy(node: string): Array<{expired: boolean; detail: string}> {
    const takeovers: Array<{expired: boolean; detail: string}> = []
    for (let index = 1; index < this.samples.length; index++) {
      const previous = this.samples[index - 1] as (typeof this.samples)[number]
      const current = this.samples[index] as (typeof this.samples)[number]
      if (current.holder === previous.holder || !current.holder.startsWith(node)) continue
      const lastRenewal = Math.max(...this.samples.slice(0, index).filter((sample) => sample.holder === previous.holder).map((sample) => sample.renewedAt))
      // Renewals and acquisitions are stamped by agents on this host's clock; a MicroTime keeps microseconds.
      const expired = current.acquiredAt >= lastRenewal + previous.durationMs - 1
      takeovers.push({detail: `${current.holder} acquired at ${new Date(current.acquiredAt).toISOString()}, ${previous.holder} last renewed at ${new Date(lastRenewal).toISOString()} for ${previous.durationMs} ms`, expired})
    }

    return takeovers
  }
}

/** The process of an agent role (`gateway`, `operator`, ...) whose network namespace is `netns`. */
export function agentPid(netns: string, role: string): number | undefined {
  const wanted = inNetns(netns, ['readlink', '/proc/self/ns/net']).trim()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (cmdline.includes(role) && cmdline.some((part) => part.endsWith('agent.js')) && readlinkSync(`/proc/${entry}/ns/net`) === wanted) return Number(entry)
    } catch {
      // the process ended while we looked
    }
  }

  return undefined
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
