/**
 * The lab's network: a bridge in its own namespace (the underlay), the host namespace on it, and
 * one namespace per node with a veth on the bridge. Nothing touches the machine's own namespace.
 */
import {BRIDGE, BRIDGE_NETNS, HOST_IP, HOST_NETNS, UNDERLAY_PREFIX, type NodeConfig} from './config.js'
import {inNetns, sh} from './sh.js'

export function createUnderlay(): void {
  sh(['ip', 'netns', 'add', BRIDGE_NETNS])
  sh(['ip', 'netns', 'add', HOST_NETNS])
  sh(['ip', '-n', BRIDGE_NETNS, 'link', 'add', BRIDGE, 'type', 'bridge'])
  sh(['ip', '-n', BRIDGE_NETNS, 'link', 'set', BRIDGE, 'up'])
  attach(HOST_NETNS, 'vhost', HOST_IP, undefined)
}

/** Connects a namespace to the bridge with a veth named eth0 inside it; never touches the host namespace. */
function attach(netns: string, bridgePort: string, ip: string, gateway: string | undefined): void {
  sh(['ip', 'link', 'add', 'name', bridgePort, 'netns', BRIDGE_NETNS, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns])
  sh(['ip', '-n', BRIDGE_NETNS, 'link', 'set', bridgePort, 'master', BRIDGE, 'up'])
  const commands = ['link set lo up', `addr add ${ip}/${UNDERLAY_PREFIX} dev eth0`, 'link set eth0 up']
  if (gateway) commands.push(`route add default via ${gateway}`)
  sh(['ip', '-n', netns, '-batch', '-'], {input: commands.join('\n') + '\n'})
}

/** The ports Submariner's host-network agents listen on: NAT discovery, the cable, vx-submariner, metrics. */
const SUBMARINER_HOST_PORTS = '4490,4500,4800,32780-32783'

export function createNode(node: NodeConfig, port: string): void {
  sh(['ip', 'netns', 'add', node.netns])
  // The default route lets the kernel pick source addresses (Submariner asks it for 8.8.8.8); it
  // leads to lab-host, which forwards nothing, so no packet leaves the lab.
  attach(node.netns, port, node.ip, HOST_IP)
  // Submariner's host ports lie in the kernel's ephemeral range (32768-60999): reserve them, as a
  // node that runs Submariner should, or an outgoing connection (kube-proxy's to the API server)
  // may hold 32780 when the gateway wants to listen there.
  inNetns(node.netns, [
    'sysctl',
    '-qw',
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    `net.ipv4.ip_local_reserved_ports=${SUBMARINER_HOST_PORTS}`,
  ])
}
