/**
 * Globalnet's address pool (reference/dataplane.md §5.1): every address of the cluster's global
 * CIDR but its network and broadcast addresses. One address is taken from the top (the highest free
 * one), several as the lowest contiguous free run, as upstream's IPAM does, so the SNAT of a
 * multi-address allocation can name a range `first-last`.
 */
import {ipToNumber, lastAddress, numberToIp, parseCidr} from '../cidr.js'

export class IpPool {
  readonly cidr: string
  readonly #first: number
  readonly #last: number
  readonly #taken = new Set<number>()

  constructor(cidr: string) {
    const parsed = parseCidr(cidr)
    if (!parsed) throw new Error(`invalid global CIDR ${cidr}`)
    if (parsed.prefix > 30) throw new Error(`global CIDR ${cidr} is too small: it must hold at least two usable addresses`)
    this.cidr = cidr
    this.#first = parsed.base + 1
    this.#last = lastAddress(parsed) - 1
  }

  get size(): number {
    return this.#last - this.#first + 1
  }

  get available(): number {
    return this.size - this.#taken.size
  }

  get allocated(): number {
    return this.#taken.size
  }

  /** Takes `count` addresses; throws when the pool cannot give them. */
  allocate(count: number): string[] {
    if (!Number.isInteger(count) || count < 1) throw new Error(`cannot allocate ${count} addresses`)
    if (count === 1) {
      for (let address = this.#last; address >= this.#first; address--) {
        if (!this.#taken.has(address)) return this.#take([address])
      }
    } else {
      let runStart = this.#first
      for (let address = this.#first; address <= this.#last; address++) {
        if (this.#taken.has(address)) {
          runStart = address + 1
        } else if (address - runStart + 1 === count) {
          return this.#take(Array.from({length: count}, (_, offset) => runStart + offset))
        }
      }
    }

    throw new Error(`the global CIDR ${this.cidr} has no ${count === 1 ? 'free address' : `${count} contiguous free addresses`} left (${this.available} free)`)
  }

  /** Takes these exact addresses back after a restart; takes none when one is outside the pool or taken. */
  reserve(ips: string[]): void {
    const numbers = ips.map((ip) => ipToNumber(ip))
    for (const [index, value] of numbers.entries()) {
      if (value === undefined || value < this.#first || value > this.#last) throw new Error(`${ips[index]} is not in the pool of ${this.cidr}`)
      if (this.#taken.has(value) || numbers.indexOf(value) !== index) throw new Error(`${ips[index]} is already allocated`)
    }

    this.#take(numbers as number[])
  }

  release(ips: string[]): void {
    for (const ip of ips) {
      const value = ipToNumber(ip)
      if (value !== undefined) this.#taken.delete(value)
    }
  }

  #take(numbers: number[]): string[] {
    for (const value of numbers) this.#taken.add(value)
    return numbers.map(numberToIp)
  }
}

/** The SNAT target of an allocation: one address, or the `first-last` range of a contiguous run. */
export function snatTarget(ips: string[]): string {
  return ips.length === 1 ? (ips[0] as string) : `${ips[0]}-${ips.at(-1)}`
}
