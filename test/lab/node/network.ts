/**
 * The node's pod network, a simple routed CNI (like Calico's, without the BGP): a port-less bridge `cni0`
 * holds the first address of the node's pod CIDR (the pods' gateway, and the "CNI interface" that
 * Submariner looks for); each pod gets a network namespace, a veth and a /32 from the pod CIDR;
 * other nodes' pod CIDRs are routed via their underlay addresses; pod traffic leaving the cluster
 * CIDR is masqueraded, as kindnet's ip-masq-agent does.
 */
import {spawnSync} from 'node:child_process'

import {addressInCidr, NETNS_PREFIX} from '../config.js'
import {sh} from '../sh.js'

export const POD_NETNS_PREFIX = `${NETNS_PREFIX}pod-`
const MASQUERADE_CHAIN = 'LAB-MASQ'

/** The pod's netns and host-side veth names, derived from its UID. */
export function podNetworkNames(uid: string): {netns: string; veth: string} {
  const id = uid.replaceAll('-', '').slice(0, 12)
  return {netns: `${POD_NETNS_PREFIX}${id}`, veth: `lp${id}`}
}

function ipBatch(commands: string[], netns?: string): void {
  sh(['ip', ...(netns ? ['-n', netns] : []), '-batch', '-'], {input: commands.join('\n') + '\n'})
}

function cidrSize(cidr: string): number {
  return 2 ** (32 - Number(cidr.split('/')[1]))
}

export class NodeNetwork {
  readonly #clusterCIDR: string
  #podCIDR: string | undefined
  readonly #allocated = new Map<string, string>()

  constructor(clusterCIDR: string) {
    this.#clusterCIDR = clusterCIDR
  }

  get podCIDR(): string | undefined {
    return this.#podCIDR
  }

  get gateway(): string {
    if (!this.#podCIDR) throw new Error('the node has no pod CIDR yet')
    return addressInCidr(this.#podCIDR, 1)
  }

  /** Sets up cni0 and the masquerade rules once the controller manager assigned the pod CIDR. */
  init(podCIDR: string): void {
    this.#podCIDR = podCIDR
    const existing = sh(['ip', '-o', 'addr', 'show', 'dev', 'cni0'], {allowFailure: true})
    if (!existing.includes(`${this.gateway}/32`)) {
      // A bridge without ports, as flannel's cni0 (the kernel may lack the dummy driver).
      ipBatch(['link add cni0 type bridge', `addr add ${this.gateway}/32 dev cni0`, 'link set cni0 up'])
    }

    const iptables = (args: string[]) => spawnSync('iptables', ['-w', ...args], {encoding: 'utf8'})
    if (iptables(['-t', 'nat', '-L', MASQUERADE_CHAIN, '-n']).status !== 0) {
      sh(['iptables', '-w', '-t', 'nat', '-N', MASQUERADE_CHAIN])
      sh(['iptables', '-w', '-t', 'nat', '-A', MASQUERADE_CHAIN, '-d', this.#clusterCIDR, '-j', 'RETURN'])
      sh(['iptables', '-w', '-t', 'nat', '-A', MASQUERADE_CHAIN, '-s', this.#clusterCIDR, '-j', 'MASQUERADE'])
      sh(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-j', MASQUERADE_CHAIN])
    }
  }

  /** The next free pod address (.0 and .1 are the network and cni0). */
  allocate(uid: string): string {
    const existing = this.#allocated.get(uid)
    if (existing) return existing
    if (!this.#podCIDR) throw new Error('the node has no pod CIDR yet')
    const used = new Set(this.#allocated.values())
    for (let offset = 2; offset < cidrSize(this.#podCIDR) - 1; offset++) {
      const candidate = addressInCidr(this.#podCIDR, offset)
      if (!used.has(candidate)) {
        this.#allocated.set(uid, candidate)
        return candidate
      }
    }

    throw new Error(`no free address left in ${this.#podCIDR}`)
  }

  release(uid: string): void {
    this.#allocated.delete(uid)
  }

  /** Creates the pod's namespace and veth, addresses and routes; idempotent. */
  createSandbox(uid: string, ip: string): string {
    const {netns, veth} = podNetworkNames(uid)
    if (sh(['ip', 'netns', 'list'], {allowFailure: true}).split('\n').some((line) => line.split(' ')[0] === netns)) {
      return netns
    }

    sh(['ip', 'netns', 'add', netns])
    ipBatch([`link add ${veth} type veth peer name eth0 netns ${netns}`, `link set ${veth} up`, `route replace ${ip}/32 dev ${veth} scope link`])
    ipBatch(
      [
        'link set lo up',
        `addr add ${ip}/32 dev eth0`,
        'link set eth0 up',
        `route add ${this.gateway} dev eth0 scope link`,
        `route add default via ${this.gateway} dev eth0`,
      ],
      netns,
    )
    return netns
  }

  /** Deletes the pod's namespace (its veth goes with it) and route. */
  deleteSandbox(uid: string, ip: string | undefined): void {
    const {netns} = podNetworkNames(uid)
    sh(['ip', 'netns', 'delete', netns], {allowFailure: true})
    if (ip) sh(['ip', 'route', 'delete', `${ip}/32`], {allowFailure: true})
    this.release(uid)
  }

  /** Routes the other nodes' pod CIDRs via their addresses; removes routes to nodes that left. */
  syncRoutes(peers: Array<{podCIDR: string; ip: string}>): void {
    const wanted = new Map(peers.map((peer) => [peer.podCIDR, peer.ip]))
    const current = sh(['ip', '-o', 'route', 'show', 'proto', 'static', 'dev', 'eth0'], {allowFailure: true})
    for (const line of current.split('\n')) {
      const [destination] = line.split(' ')
      if (destination && destination.includes('/') && !wanted.has(destination)) sh(['ip', 'route', 'delete', destination], {allowFailure: true})
    }

    const commands = [...wanted].map(([cidr, ip]) => `route replace ${cidr} via ${ip} dev eth0 proto static`)
    if (commands.length > 0) ipBatch(commands)
  }
}
