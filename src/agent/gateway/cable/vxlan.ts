/**
 * The VXLAN cable driver (reference/dataplane.md §3.6): unencrypted, for networks without NAT.
 * Device `vxlan-tunnel` (VNI 1000, the tunnel UDP port), a 241.x VTEP from the private IP, rule 100
 * to table 100, and per remote cluster an FDB entry to its gateway plus routes for its subnets via
 * its VTEP.
 */
import type {EndpointSpec} from '../../../api/submariner.js'
import {vtepAddress, vtepMac} from '../../netlink/ip.js'
import {udpPort, type CableConnection, type CableDriver, type DriverContext} from './driver.js'

export const VXLAN_TUNNEL = 'vxlan-tunnel'
const VNI = 1000
const TABLE = 100

export class VxlanDriver implements CableDriver {
  readonly name = 'vxlan'
  readonly #context: DriverContext
  readonly #connections = new Map<string, {endpoint: EndpointSpec; useIP: string; useNAT: boolean}>()

  constructor(context: DriverContext) {
    this.#context = context
  }

  async backendConfig(): Promise<Record<string, string>> {
    return {}
  }

  async init(local: EndpointSpec): Promise<void> {
    const {net} = this.#context
    const defaultRoute = await net.defaultRoute()
    const link = defaultRoute?.dev ? await net.link(defaultRoute.dev) : undefined
    const vtep = vtepAddress(241, local.private_ip)
    await net.ensureVxlan(VXLAN_TUNNEL, {address: vtepMac(vtep), mtu: (link?.mtu ?? 1500) - 50, port: udpPort(local), vni: VNI})
    await net.setAddress(VXLAN_TUNNEL, `${vtep}/8`)
    await net.ensureRule(TABLE)
    await net.sysctl(`net/ipv4/conf/${VXLAN_TUNNEL}/rp_filter`, '2')
    await net.sysctl(`net/ipv4/conf/${VXLAN_TUNNEL}/forwarding`, '1')
  }

  async connect(remote: EndpointSpec, useIP: string, useNAT: boolean): Promise<void> {
    const {cniIp, net} = this.#context
    const previous = this.#connections.get(remote.cluster_id)
    if (previous && previous.useIP !== useIP) await net.fdbDelete(VXLAN_TUNNEL, previous.useIP)
    await net.fdbAppend(VXLAN_TUNNEL, useIP)
    const via = vtepAddress(241, remote.private_ip)
    for (const subnet of remote.subnets) {
      await net.replaceRoute({dev: VXLAN_TUNNEL, dst: subnet, metric: 100, table: TABLE, via, ...(cniIp ? {src: cniIp} : {})})
    }

    this.#connections.set(remote.cluster_id, {endpoint: remote, useIP, useNAT})
  }

  async disconnect(remote: EndpointSpec): Promise<void> {
    const {net} = this.#context
    const existing = this.#connections.get(remote.cluster_id)
    if (!existing) return
    await net.fdbDelete(VXLAN_TUNNEL, existing.useIP)
    for (const subnet of existing.endpoint.subnets) await net.deleteRoute(subnet, TABLE)
    this.#connections.delete(remote.cluster_id)
  }

  /** VXLAN has no handshake: an installed cable is "connected"; the health checker tells the truth. */
  async connections(): Promise<CableConnection[]> {
    return [...this.#connections.values()].map((connection) => ({
      endpoint: connection.endpoint,
      status: 'connected',
      statusMessage: '',
      usingIP: connection.useIP,
      usingNAT: connection.useNAT,
    }))
  }

  async cleanup(): Promise<void> {
    const {net} = this.#context
    await net.flushTable(TABLE)
    await net.deleteRule(TABLE)
    await net.deleteLink(VXLAN_TUNNEL)
    this.#connections.clear()
  }
}
