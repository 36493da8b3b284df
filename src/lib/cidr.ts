/**
 * IPv4 CIDR arithmetic: parsing, containment, overlap, and the block allocation subctl uses for
 * Globalnet and clusterset-IP ranges (reference/subctl.md §13.4).
 */

export interface Cidr {
  /** The network address as an unsigned 32-bit integer. */
  base: number
  prefix: number
  /** Normalised text, e.g. 10.8.0.0/16. */
  text: string
}

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return undefined
  return parts.reduce((value, part) => value * 256 + Number(part), 0)
}

export function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')
}

export function isIPv4(value: string): boolean {
  return ipToNumber(value) !== undefined
}

/** Parses a.b.c.d/n; the host bits are cleared (10.8.1.2/16 is 10.8.0.0/16). Undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim())
  if (!match) return undefined
  const address = ipToNumber(match[1] ?? '')
  const prefix = Number(match[2])
  if (address === undefined || prefix > 32) return undefined
  const size = 2 ** (32 - prefix)
  const base = Math.floor(address / size) * size
  return {base, prefix, text: `${numberToIp(base)}/${prefix}`}
}

export const cidrSize = (cidr: Cidr): number => 2 ** (32 - cidr.prefix)
export const lastAddress = (cidr: Cidr): number => cidr.base + cidrSize(cidr) - 1

export function containsIp(cidr: Cidr, ip: string): boolean {
  const value = ipToNumber(ip)
  return value !== undefined && value >= cidr.base && value <= lastAddress(cidr)
}

/** Two CIDRs overlap when either contains the other's network address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return (a.base >= b.base && a.base <= lastAddress(b)) || (b.base >= a.base && b.base <= lastAddress(a))
}

/** The address at an offset from the network address, e.g. offset 1 is the first host. */
export function addressAt(cidr: Cidr, offset: number): string {
  return numberToIp(cidr.base + offset)
}

/**
 * Why a CIDR cannot be used as a Globalnet or clusterset-IP range (upstream's cidr.IsValid), or
 * undefined when it can.
 */
export function cidrProblem(text: string): string | undefined {
  const cidr = parseCidr(text)
  if (!cidr) return `"${text}" is not a valid CIDR (expected a.b.c.d/n)`
  const first = Math.floor(cidr.base / 2 ** 24)
  if (cidr.base === 0) return `${text} can't be in unspecified range`
  if (first === 127) return `${text} can't be in loopback range`
  if (cidr.base >= ipToNumber('169.254.0.0')! && cidr.base <= ipToNumber('169.254.255.255')!) return `${text} can't be in link-local unicast range`
  if (cidr.base >= ipToNumber('224.0.0.0')! && cidr.base <= ipToNumber('224.0.0.255')!) return `${text} can't be in link-local multicast range`
  return undefined
}

/** Rounds a block size up to the next power of two (upstream stores the rounded size). */
export function nextPowerOfTwo(size: number): number {
  if (size <= 1) return 1
  return 2 ** Math.ceil(Math.log2(size))
}

/** The prefix length of a block of `size` addresses (a power of two), e.g. 65536 → 16. */
export function prefixForSize(size: number): number {
  return 32 - Math.log2(nextPowerOfTwo(size))
}

/**
 * The first block of `size` addresses inside `supernet` that overlaps none of `allocated`: start at
 * the base, jump past any conflicting block, stop when leaving the supernet.
 */
export function allocateBlock(supernetText: string, size: number, allocated: string[]): string | undefined {
  const supernet = parseCidr(supernetText)
  if (!supernet) return undefined
  const blockSize = nextPowerOfTwo(size)
  const prefix = 32 - Math.log2(blockSize)
  if (prefix < supernet.prefix) return undefined
  const taken = allocated.map(parseCidr).filter((cidr): cidr is Cidr => cidr !== undefined)
  let candidate = supernet.base
  while (candidate + blockSize - 1 <= lastAddress(supernet)) {
    const block = {base: candidate, prefix, text: `${numberToIp(candidate)}/${prefix}`}
    const conflict = taken.find((existing) => overlaps(block, existing))
    if (!conflict) return block.text
    // Jump to the first aligned block past the end of the conflict.
    const next = lastAddress(conflict) + 1
    candidate = Math.ceil(next / blockSize) * blockSize
  }

  return undefined
}
