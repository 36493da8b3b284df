/**
 * Who holds which global IPs, while this node leads. The objects' statuses are the record that
 * survives a restart: a new leader reserves what they say back into the pool before it gives out
 * anything (reference/dataplane.md §5.1). During leadership this map, not the (possibly lagging)
 * cache, is what counts, so an allocation whose status write has not come back is never given twice.
 */
import type {Condition} from '../../api/submariner.js'
import {IpPool} from '../../lib/globalnet/ipam.js'

export type OwnerKind = 'cluster-egress' | 'egress' | 'ingress' | 'gateway'

export interface Holding {
  kind: OwnerKind
  ips: string[]
}

export class Allocations {
  readonly pool: IpPool
  readonly #holdings = new Map<string, Holding>()

  constructor(cidr: string) {
    this.pool = new IpPool(cidr)
  }

  get(owner: string): string[] | undefined {
    return this.#holdings.get(owner)?.ips
  }

  /** Takes back what a status recorded; returns the problem when it cannot (outside the CIDR, or held twice). */
  restore(owner: string, kind: OwnerKind, ips: string[]): string | undefined {
    if (ips.length === 0 || this.#holdings.has(owner)) return undefined
    try {
      this.pool.reserve(ips)
      this.#holdings.set(owner, {ips, kind})
      return undefined
    } catch (error) {
      return (error as Error).message
    }
  }

  /** The owner's IPs, allocating (or re-allocating, when the count changed) as needed. */
  ensure(owner: string, kind: OwnerKind, count: number): string[] {
    const held = this.#holdings.get(owner)
    if (held && held.ips.length === count) return held.ips
    if (held) this.release(owner)
    const ips = this.pool.allocate(count)
    this.#holdings.set(owner, {ips, kind})
    return ips
  }

  release(owner: string): void {
    const held = this.#holdings.get(owner)
    if (!held) return
    this.pool.release(held.ips)
    this.#holdings.delete(owner)
  }

  /** Releases what no longer has an owner. */
  releaseAllBut(owners: Set<string>): string[] {
    const released = [...this.#holdings.keys()].filter((owner) => !owners.has(owner))
    for (const owner of released) this.release(owner)
    return released
  }

  count(kind: OwnerKind): number {
    let total = 0
    for (const holding of this.#holdings.values()) if (holding.kind === kind) total += holding.ips.length
    return total
  }
}

/** A condition (Allocated, Updated), keeping the transition time of an unchanged one. */
export function globalnetCondition(type: string, status: 'True' | 'False', reason: string, message: string, previous: Condition[] | undefined): Condition {
  const before = previous?.find((condition) => condition.type === type)
  const same = before && before.status === status && before.reason === reason && before.message === message
  return {lastTransitionTime: same ? before.lastTransitionTime : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), message, reason, status, type}
}
