/**
 * Links, addresses, routes, rules, FDB entries and sysctls, through `ip` and `bridge` with JSON
 * output. Every mutation is idempotent ("replace", or "delete what may not exist").
 */
import {writeFile} from 'node:fs/promises'

import type {Tools} from './exec.js'

export interface LinkInfo {
  name: string
  index: number
  mtu: number
  up: boolean
  kind?: string
  /** The MAC address. */
  address?: string
  vxlan?: {id?: number; port?: number; remote?: string; local?: string}
}

export interface AddressInfo {
  link: string
  address: string
  prefix: number
}

export interface RouteInfo {
  dst: string
  gateway?: string
  dev?: string
  prefsrc?: string
  protocol?: string
  metric?: number
  table?: string
}

export interface RouteSpec {
  dst: string
  dev: string
  via?: string
  src?: string
  table?: number
  metric?: number
  /** 4 is "static", what upstream's route agent marks its routes with. */
  proto?: number
  scopeLink?: boolean
}

interface RawLink {
  ifname: string
  ifindex: number
  mtu: number
  flags?: string[]
  operstate?: string
  address?: string
  linkinfo?: {info_kind?: string; info_data?: {id?: number; port?: number; remote?: string; local?: string}}
}

/** Parses `ip -j` output; iproute2 prints nothing at all (not "[]") for some empty answers. */
function parseJson<T>(output: string, what: string): T[] {
  if (!output.trim()) return []
  try {
    return JSON.parse(output) as T[]
  } catch {
    throw new Error(`could not parse the output of ${what}: ${output.slice(0, 200)}`)
  }
}

export class Net {
  readonly #tools: Tools

  constructor(tools: Tools) {
    this.#tools = tools
  }

  ip(args: string[], options: {allowFailure?: boolean; input?: string} = {}): Promise<string> {
    return this.#tools.run('ip', args, options)
  }

  async link(name: string): Promise<LinkInfo | undefined> {
    const [raw] = parseJson<RawLink>(await this.ip(['-d', '-j', 'link', 'show', 'dev', name], {allowFailure: true}), 'ip link show')
    if (!raw) return undefined
    return {
      index: raw.ifindex,
      mtu: raw.mtu,
      name: raw.ifname,
      up: (raw.flags ?? []).includes('UP'),
      ...(raw.address ? {address: raw.address} : {}),
      ...(raw.linkinfo?.info_kind ? {kind: raw.linkinfo.info_kind} : {}),
      ...(raw.linkinfo?.info_kind === 'vxlan' ? {vxlan: raw.linkinfo.info_data ?? {}} : {}),
    }
  }

  async deleteLink(name: string): Promise<void> {
    await this.ip(['link', 'delete', name], {allowFailure: true})
  }

  /** Creates a VXLAN device, or recreates it when its VNI, port or remote differ. */
  /**
   * A VXLAN device as specified. Its MAC is fixed by the caller (see vtepMac): a device created
   * anew keeps the MAC its peers' neighbour caches hold, or their frames would be dropped until
   * those entries go stale, tens of seconds after a gateway failover.
   */
  async ensureVxlan(name: string, options: {vni: number; port: number; remote?: string; mtu: number; address: string}): Promise<void> {
    const existing = await this.link(name)
    const matches =
      existing?.kind === 'vxlan' && existing.vxlan?.id === options.vni && existing.vxlan?.port === options.port && (existing.vxlan?.remote ?? undefined) === options.remote
    if (!matches) {
      if (existing) await this.deleteLink(name)
      await this.ip(['link', 'add', name, 'address', options.address, 'type', 'vxlan', 'id', String(options.vni), 'dstport', String(options.port), ...(options.remote ? ['remote', options.remote] : [])])
    } else if (existing.address !== options.address) {
      await this.ip(['link', 'set', name, 'address', options.address])
    }

    if (!existing || existing.mtu !== options.mtu || !matches) await this.ip(['link', 'set', name, 'mtu', String(options.mtu)])
    await this.ip(['link', 'set', name, 'up'])
  }

  async addresses(): Promise<AddressInfo[]> {
    const raw = parseJson<{ifname: string; addr_info?: Array<{local: string; prefixlen: number; family: string}>}>(await this.ip(['-j', '-4', 'addr', 'show']), 'ip addr show')
    return raw.flatMap((link) => (link.addr_info ?? []).map((info) => ({address: info.local, link: link.ifname, prefix: info.prefixlen})))
  }

  /** Sets the link's only IPv4 address. */
  async setAddress(link: string, cidr: string): Promise<void> {
    const current = (await this.addresses()).filter((address) => address.link === link)
    if (current.length === 1 && `${current[0]?.address}/${current[0]?.prefix}` === cidr) return
    await this.ip(['addr', 'flush', 'dev', link])
    await this.ip(['addr', 'add', cidr, 'dev', link])
  }

  /** The IPv4 default route (its device and gateway). */
  async defaultRoute(): Promise<RouteInfo | undefined> {
    return parseJson<RouteInfo>(await this.ip(['-j', '-4', 'route', 'show', 'default']), 'ip route show default')[0]
  }

  /** The source address the kernel would use towards an address (no packet is sent). */
  async sourceFor(destination: string): Promise<string | undefined> {
    return parseJson<RouteInfo>(await this.ip(['-j', 'route', 'get', destination], {allowFailure: true}), 'ip route get')[0]?.prefsrc
  }

  async routes(table: number | 'main', dev?: string): Promise<RouteInfo[]> {
    const output = await this.ip(['-j', '-4', 'route', 'show', 'table', String(table), ...(dev ? ['dev', dev] : [])], {allowFailure: true})
    // A table nothing was ever put in does not exist: iproute2 prints "[", then fails. It is empty.
    if (output.trim() === '[') return []
    return parseJson<RouteInfo>(output, 'ip route show')
  }

  routeArgs(route: RouteSpec): string[] {
    return [
      route.dst,
      ...(route.via ? ['via', route.via] : []),
      'dev',
      route.dev,
      ...(route.src ? ['src', route.src] : []),
      ...(route.table !== undefined ? ['table', String(route.table)] : []),
      ...(route.metric !== undefined ? ['metric', String(route.metric)] : []),
      ...(route.proto !== undefined ? ['proto', String(route.proto)] : []),
      ...(route.scopeLink ? ['scope', 'link'] : []),
    ]
  }

  async replaceRoute(route: RouteSpec): Promise<void> {
    await this.ip(['route', 'replace', ...this.routeArgs(route)])
  }

  async deleteRoute(dst: string, table?: number, dev?: string): Promise<void> {
    await this.ip(['route', 'delete', dst, ...(dev ? ['dev', dev] : []), ...(table !== undefined ? ['table', String(table)] : [])], {allowFailure: true})
  }

  async flushTable(table: number): Promise<void> {
    await this.ip(['route', 'flush', 'table', String(table)], {allowFailure: true})
  }

  /** `ip rule` with priority = table = the given number, as upstream creates them. */
  async ensureRule(priority: number, table = priority): Promise<void> {
    const rules = parseJson<{priority: number; table?: string}>(await this.ip(['-j', '-4', 'rule', 'show']), 'ip rule show')
    if (rules.some((rule) => rule.priority === priority && rule.table === String(table))) return
    await this.ip(['rule', 'add', 'priority', String(priority), 'table', String(table)])
  }

  async deleteRule(priority: number, table = priority): Promise<void> {
    await this.ip(['rule', 'delete', 'priority', String(priority), 'table', String(table)], {allowFailure: true})
  }

  /** The all-zero FDB entries of a VXLAN device: the remotes it floods to. */
  async fdbDestinations(dev: string): Promise<string[]> {
    const output = await this.#tools.run('bridge', ['-j', 'fdb', 'show', 'dev', dev], {allowFailure: true})
    return parseJson<{mac: string; dst?: string}>(output, 'bridge fdb show').filter((entry) => entry.mac === '00:00:00:00:00:00' && entry.dst).map((entry) => entry.dst as string)
  }

  async fdbAppend(dev: string, destination: string): Promise<void> {
    if ((await this.fdbDestinations(dev)).includes(destination)) return
    await this.#tools.run('bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', dev, 'dst', destination, 'self', 'permanent'])
  }

  async fdbDelete(dev: string, destination: string): Promise<void> {
    await this.#tools.run('bridge', ['fdb', 'delete', '00:00:00:00:00:00', 'dev', dev, 'dst', destination, 'self'], {allowFailure: true})
  }

  /** Writes a sysctl of this network namespace (e.g. net/ipv4/conf/vx-submariner/rp_filter). */
  async sysctl(path: string, value: string): Promise<void> {
    await writeFile(`/proc/sys/${path}`, value)
  }
}

/** 240.b.c.d (route-agent VTEPs) or 241.b.c.d (VXLAN cable VTEPs) from a.b.c.d. */
export function vtepAddress(firstOctet: 240 | 241, ip: string): string {
  return [firstOctet, ...ip.split('.').slice(1)].join('.')
}

/** A VTEP's MAC, derived from its address: locally administered, unicast, the same every time the device is made. */
export function vtepMac(vtep: string): string {
  return ['02', '53', ...vtep.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'))].join(':')
}
