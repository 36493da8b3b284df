/**
 * The judgements of `subctl diagnose` (reference/subctl.md §8.2), as pure functions of what the
 * services read from the clusters and what the probe pods printed: each returns findings with
 * upstream's messages, and, beyond upstream, the cause and the fix.
 */
import type {Connection, EndpointSpec, Gateway} from '../api/submariner.js'
import {overlaps, parseCidr} from './cidr.js'
import {podOutput, truncated, type Finding} from './diagnose-report.js'

/** What the pod checks read of a pod (a V1Pod as the API sends it). */
export interface PodView {
  metadata: {name?: string; namespace?: string; labels?: Record<string, string>}
  spec?: {nodeName?: string}
  status?: {
    phase?: string
    reason?: string
    message?: string
    containerStatuses?: Array<{name: string; restartCount: number; state?: {waiting?: {reason?: string; message?: string}; running?: object; terminated?: {exitCode: number; reason?: string}}; lastState?: {terminated?: {exitCode: number; reason?: string}}}>
  }
}

export interface NamedEndpoint {
  name: string
  spec: EndpointSpec
}

/** Two Endpoints of one cluster, or subnets that overlap between clusters (the broker's view). */
export function endpointOverlapFindings(endpoints: NamedEndpoint[], globalnet: boolean): Finding[] {
  const findings: Finding[] = []
  for (const [index, first] of endpoints.entries()) {
    for (const second of endpoints.slice(index + 1)) {
      if (first.spec.cluster_id === second.spec.cluster_id) {
        findings.push({
          cause: 'A cluster should have one Endpoint on the broker, from its active gateway; a second one is left over from a gateway that went away, or two clusters joined with one cluster ID',
          details: {endpoints: [first.name, second.name]},
          fix: `Delete the stale Endpoint from the broker, or rejoin one of the clusters with a --clusterid of its own`,
          message: `Found multiple Submariner endpoints ("${first.name}" and "${second.name}") in cluster "${first.spec.cluster_id}"`,
          status: 'failed',
        })
        continue
      }

      for (const subnet of second.spec.subnets) {
        const cidr = parseCidr(subnet)
        const clash = first.spec.subnets.find((other) => {
          const otherCidr = parseCidr(other)
          return cidr && otherCidr && overlaps(cidr, otherCidr)
        })
        if (!clash) continue
        findings.push({
          cause: `Traffic for ${subnet} cannot be routed to both clusters; the route agents ignore the remote one`,
          details: {clusters: [first.spec.cluster_id, second.spec.cluster_id], overlapping: [clash, subnet]},
          fix: globalnet
            ? `Give the clusters global CIDRs of their own (subctl join --globalnet-cidr)`
            : `Rejoin with --globalnet on the broker (subctl deploy-broker --globalnet), or rebuild one cluster with CIDRs that do not overlap`,
          message: `CIDR "${subnet}" in cluster "${second.spec.cluster_id}" overlaps with cluster "${first.spec.cluster_id}" (CIDRs: [${first.spec.subnets.join(' ')}])`,
          status: 'failed',
        })
      }
    }
  }

  return findings
}

const RESTART_WARNING = 5

/** Pods that do not run, containers that crash-loop or restarted often (the non-transient pods of the operator namespace). */
export function podFindings(pods: PodView[]): Finding[] {
  const findings: Finding[] = []
  for (const pod of pods) {
    const name = pod.metadata.name as string
    const node = pod.spec?.nodeName ?? 'no node'
    if (pod.status?.phase !== 'Running') {
      findings.push({
        cause: pod.status?.reason ? `${pod.status.reason}: ${pod.status.message ?? ''}`.trim() : 'The pod has not started',
        details: {node, phase: pod.status?.phase ?? 'Unknown', pod: name},
        fix: `kubectl describe pod ${name} -n ${pod.metadata.namespace}`,
        message: `Pod "${name}" is not running. (current state is ${pod.status?.phase ?? 'Unknown'})`,
        status: 'failed',
      })
      continue
    }

    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting
      const exited = container.state?.terminated ?? container.lastState?.terminated
      // Between back-offs a crash-looping container is waiting or has just exited again.
      if (waiting?.reason === 'CrashLoopBackOff' || (!container.state?.running && exited !== undefined && exited.exitCode !== 0)) {
        findings.push({
          cause: `It exits${exited ? ` with code ${exited.exitCode}${exited.reason ? ` (${exited.reason})` : ''}` : ''} soon after it starts`,
          details: {container: container.name, node, pod: name, restarts: container.restartCount},
          fix: `Read why: kubectl logs ${name} -n ${pod.metadata.namespace} -c ${container.name} --previous`,
          message: `Container "${container.name}" of pod "${name}" on node "${node}" is crash-looping (restarted ${container.restartCount} times)`,
          status: 'failed',
        })
      } else if (container.restartCount >= RESTART_WARNING) {
        findings.push({
          details: {container: container.name, node, pod: name, restarts: container.restartCount},
          fix: `Check its earlier log: kubectl logs ${name} -n ${pod.metadata.namespace} -c ${container.name} --previous`,
          message: `Pod "${name}" has restarted ${container.restartCount} times`,
          status: 'warning',
        })
      }
    }
  }

  return findings
}

export const GATEWAY_STATUS_LABEL = 'gateway.submariner.io/status'
export const GATEWAY_NODE_LABEL = 'gateway.submariner.io/node'

/** Exactly one gateway pod labelled active. */
export function activeGatewayFinding(gatewayPods: PodView[]): Finding | undefined {
  const active = gatewayPods.filter((pod) => pod.metadata.labels?.[GATEWAY_STATUS_LABEL] === 'active')
  if (active.length === 1) return undefined
  const nodes = active.map((pod) => pod.metadata.labels?.[GATEWAY_NODE_LABEL] ?? pod.spec?.nodeName ?? '?')
  return {
    cause:
      active.length === 0
        ? 'No gateway holds the leader lease, so no tunnel is up'
        : 'Several gateways think they lead: traffic of the nodes goes to different gateways, and the remote clusters see one of them',
    details: {nodes},
    fix: active.length === 0 ? 'Check the gateway pods’ logs (subctl gather) and that a node is labelled submariner.io/gateway=true' : 'Restart the gateway pods that are not the holder of the submariner-gateway-lock Lease',
    message: `Expected one Gateway pod to be labeled as active. Found ${active.length} on nodes [${nodes.join(' ')}]`,
    status: 'warning',
  }
}

/** One connection's state, as upstream words it. */
function connectionFinding(connection: Connection, via: string): Finding | undefined {
  const remote = connection.endpoint.cluster_id
  const address = connection.usingIP ?? (connection.endpoint.nat_enabled ? connection.endpoint.public_ip : connection.endpoint.private_ip)
  if (connection.status === 'connecting') {
    return {
      cause: connection.statusMessage || 'The tunnel is being set up',
      details: {address, remote},
      fix: 'Wait a minute; if it stays, run "subctl diagnose firewall inter-cluster" for the pair',
      message: `Connection to cluster "${remote}" is in progress`,
      status: 'warning',
    }
  }

  if (connection.status === 'error') {
    const port = connection.endpoint.backend_config?.['udp-port']
    return {
      cause: connection.statusMessage || 'The tunnel is down',
      details: {address, connection, port, remote},
      fix: `Check that UDP${port ? `/${port}` : ''} reaches ${address} on the gateway of "${remote}" from ${via}: subctl diagnose firewall inter-cluster`,
      message: `Connection to cluster "${remote}" is not established. Connection details:\n${JSON.stringify(connection, null, 2)}`,
      status: 'failed',
    }
  }

  return undefined
}

export function gatewayConnectionFindings(gateways: Gateway[]): Finding[] {
  if (gateways.length === 0) return [{fix: 'Label a node submariner.io/gateway=true and check the submariner-gateway pods', message: 'no gateways were detected', status: 'failed'}]
  const active = gateways.filter((gateway) => gateway.status?.haStatus === 'active')
  if (active.length === 0) return [{fix: 'Check the gateway pods’ logs (subctl gather)', message: 'No active gateway was found', status: 'failed'}]
  const findings: Finding[] = []
  for (const gateway of active) {
    const name = gateway.metadata.name as string
    const connections = gateway.status?.connections ?? []
    if (connections.length === 0) findings.push({cause: 'No other cluster has an Endpoint on the broker, or the broker cannot be read', fix: 'Join another cluster, or check the gateway log for broker errors', message: `There are no active connections on gateway "${name}"`, status: 'failed'})
    for (const connection of connections) {
      const finding = connectionFinding(connection, `gateway "${name}"`)
      if (finding) findings.push(finding)
    }
  }

  return findings
}

export interface RouteAgentObject {
  metadata: {name?: string}
  status?: {statusFailure?: string; remoteEndpoints?: Array<{status: Connection['status']; statusMessage: string; spec: EndpointSpec}>}
}

export function routeAgentFindings(agents: RouteAgentObject[]): Finding[] {
  if (agents.length === 0) return [{fix: 'Check the submariner-routeagent pods (kubectl get pods -n submariner-operator -l app=submariner-routeagent)', message: 'no route agents were detected', status: 'failed'}]
  const findings: Finding[] = []
  for (const agent of agents) {
    const name = agent.metadata.name as string
    const remotes = agent.status?.remoteEndpoints ?? []
    if (agent.status?.statusFailure) {
      findings.push({
        cause: agent.status.statusFailure,
        fix: `Read the log of the submariner-routeagent pod on node "${name}" (kubectl get pods -n submariner-operator -l app=submariner-routeagent -o wide)`,
        message: `Route agent "${name}" cannot program its node`,
        status: 'failed',
      })
    }

    if (remotes.length === 0) {
      findings.push({message: `There are no remote endpoint connections on route agent "${name}"`, status: 'passed'})
      continue
    }

    for (const remote of remotes) {
      const finding = connectionFinding({endpoint: remote.spec, status: remote.status, statusMessage: remote.statusMessage}, `node "${name}"`)
      if (finding) findings.push({...finding, message: finding.message.replace(/^Connection to cluster/, `Route agent "${name}": connection to cluster`)})
    }
  }

  return findings
}

/** `ip a s kube-ipvs0` on a gateway node: ipvs mode shows the device. */
export function kubeProxyFinding(output: string): Finding {
  if (output.includes("ip: can't find device") || /Device "kube-ipvs0" does not exist/.test(output)) return {message: 'The kube-proxy mode is supported', status: 'passed'}
  return {
    cause: 'kube-proxy runs in ipvs mode (the node has a kube-ipvs0 device)',
    details: {output: truncated(output)},
    fix: 'Run kube-proxy in iptables or nftables mode',
    message: 'The cluster is deployed with kube-proxy ipvs mode which Submariner does not support',
    status: 'failed',
  }
}

export const DEFAULT_NAT_DISCOVERY_PORT = 4490
const PROBED_DRIVERS = ['libreswan', 'wireguard', 'vxlan']

/** The UDP port a firewall probe targets on the local gateway, from the local Endpoint. */
export function targetPort(endpoint: EndpointSpec, kind: 'tunnel' | 'nat-discovery', nattPort: number | undefined): number {
  if (!PROBED_DRIVERS.includes(endpoint.backend)) throw new Error(`could not determine the target port for cable driver "${endpoint.backend}"`)
  const config = endpoint.backend_config ?? {}
  const text = kind === 'tunnel' ? config['udp-port'] : config['natt-discovery-port']
  const port = Number(text)
  if (text && Number.isInteger(port) && port > 0) return port
  return kind === 'tunnel' ? (nattPort ?? 4500) : DEFAULT_NAT_DISCOVERY_PORT
}

/** The address the remote gateway reaches the local one at: what its connection uses. */
export function remoteViewOfGateway(connection: Pick<Connection, 'usingIP' | 'endpoint'>): string {
  if (connection.usingIP) return connection.usingIP
  return connection.endpoint.nat_enabled ? connection.endpoint.public_ip : connection.endpoint.private_ip
}

/** The intra-cluster VXLAN check: the sniffer on the gateway must see the client's SYN, from the client pod, inside vx-submariner. */
export function intraClusterFinding(sniffed: string, probe: {remoteIp: string; clientIp: string; clientNode: string; gatewayNode: string; cluster: string; verbose: boolean}): Finding {
  const details = {client: probe.clientNode, clientIp: probe.clientIp, gateway: probe.gatewayNode, port: 4800, protocol: 'UDP', remoteIp: probe.remoteIp}
  if (!sniffed.includes(probe.remoteIp)) {
    return {
      cause: `VXLAN from the non-gateway node to the gateway (UDP 4800 into vx-submariner) does not arrive; a firewall between the nodes drops it`,
      details: {...details, output: truncated(sniffed)},
      fix: `Allow UDP/4800 between the nodes of ${probe.cluster}`,
      message: `UDP 4800 from ${probe.clientNode} to ${probe.gatewayNode} is dropped: the tcpdump output from the sniffer pod does not contain the expected remote endpoint IP ${probe.remoteIp}. Please check that your firewall configuration allows UDP/4800 traffic. Actual pod output: ${podOutput(sniffed)}`,
      status: 'failed',
    }
  }

  if (!sniffed.includes(probe.clientIp)) {
    return {
      cause: `The packets arrive, but not from the client pod's address: the route agent's iptables rules on ${probe.clientNode} rewrite it`,
      details: {...details, output: truncated(sniffed)},
      fix: `Check the SUBMARINER-POSTROUTING chain on ${probe.clientNode} (subctl gather collects iptables-save)`,
      message: `The tcpdump output from the sniffer pod does not contain the client pod's IP. There seems to be some issue with the IPTable rules programmed on the "${probe.clientNode}" node. Actual pod output: ${podOutput(sniffed)}`,
      status: 'failed',
    }
  }

  return {details: {...details, ...(probe.verbose ? {output: sniffed} : {})}, message: 'The firewall configuration allows intra-cluster VXLAN traffic', status: 'passed'}
}

/** The inter-cluster probes: the sniffer on the local gateway must have seen the marker the remote client sent. */
export function interClusterFinding(
  sniffed: string,
  probe: {marker: string; port: number; kind: 'tunnel' | 'nat-discovery'; address: string; fromNode: string; fromCluster: string; gatewayNode: string; cluster: string; esp: boolean; verbose: boolean},
): Finding {
  const details = {address: probe.address, from: `${probe.fromCluster}/${probe.fromNode}`, marker: probe.marker, port: probe.port, protocol: 'UDP', to: `${probe.cluster}/${probe.gatewayNode}`}
  if (sniffed.includes(probe.marker)) {
    return {
      details: {...details, ...(probe.verbose ? {output: sniffed} : {})},
      message: probe.kind === 'tunnel' ? `Tunnels can be established on the gateway node of cluster "${probe.cluster}"` : `nat-discovery port is allowed in the cluster "${probe.cluster}"`,
      status: 'passed',
    }
  }

  const what = probe.kind === 'tunnel' ? 'the tunnel port' : 'the NAT discovery port'
  return {
    cause: `UDP ${probe.port} (${what}) from ${probe.fromCluster}/${probe.fromNode} to ${probe.address} on gateway ${probe.gatewayNode} of ${probe.cluster} is dropped before it reaches the node`,
    details: {...details, output: truncated(sniffed)},
    fix: `Allow UDP/${probe.port}${probe.esp ? ' and ESP (IP protocol 50)' : ''} into ${probe.gatewayNode} (${probe.address}) from the nodes of ${probe.fromCluster}, in the node's firewall and any cloud security group`,
    message: `the tcpdump output from the sniffer pod does not include the message sent from client pod. Please check that your firewall configuration allows UDP/${probe.port} traffic${probe.esp ? ' and ESP traffic' : ''} on the "${probe.gatewayNode}" node. Actual pod output: ${podOutput(sniffed)}`,
    status: 'failed',
  }
}
