/**
 * diagnose firewall (reference/subctl.md §8.2): a tcpdump sniffer on the active gateway node, a
 * client elsewhere, and a verdict from what the sniffer saw.
 *   intra-cluster: a SYN from a pod on a non-gateway node to a remote pod address must arrive in
 *     vx-submariner on the gateway (VXLAN, UDP 4800, between the nodes of one cluster);
 *   inter-cluster / nat-discovery: a marker sent over UDP from a node of the remote cluster to
 *     the local gateway's tunnel (or NAT discovery) port must arrive on the gateway node.
 * tcpdump sees packets as they reach the node's interface, so these checks find what drops them
 * on the way: a firewall between the nodes, a security group, the sender's own rules.
 */
import {randomBytes} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

import {OPERATOR_NAMESPACE, type Endpoint, type Gateway} from '../../api/submariner.js'
import type {PodObject, ServiceModel} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {addressAt, parseCidr} from '../../lib/cidr.js'
import {GATEWAY_NODE_LABEL, GATEWAY_STATUS_LABEL, interClusterFinding, intraClusterFinding, remoteViewOfGateway, targetPort} from '../../lib/diagnose-checks.js'
import {SubctlError} from '../../lib/errors.js'
import {GATEWAY} from '../../manifests/components.js'
import {isSingleNode, notInstalled, runStep, type DiagnoseCluster, type DiagnoseIo} from './cluster.js'
import {ProbePod} from './probe-pods.js'

/** The node of the active gateway, from the gateway pods' labels (as upstream), else the active Gateway object. */
async function activeGatewayNode(cluster: DiagnoseCluster): Promise<string> {
  const pods = (await cluster.client.list<PodObject>(Resources.Pod, {labelSelector: `app=${GATEWAY},${GATEWAY_STATUS_LABEL}=active`, namespace: OPERATOR_NAMESPACE})).items
  const fromPod = pods[0]?.metadata.labels?.[GATEWAY_NODE_LABEL] ?? pods[0]?.spec?.nodeName
  if (fromPod) return fromPod
  const gateways = await cluster.client.tryList<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})
  const active = gateways.find((gateway) => gateway.status?.haStatus === 'active')?.metadata.name
  if (active) return active
  throw new SubctlError('NO_ACTIVE_GATEWAY', `No active gateway was found on ${cluster.context}`, {hint: 'Check the gateway pods (subctl diagnose deployment)'})
}

/**
 * Starts the sniffer, waits until it runs, starts the client, and reads the sniffer once it ends
 * (it stops at what it waits for, or at --validation-timeout); the client need not finish.
 */
async function sniff(sniffer: {cluster: DiagnoseCluster; node: string; command: string}, client: {cluster: DiagnoseCluster; command: string; hostNetwork: boolean}): Promise<{sniffed: string; clientPod: ProbePod}> {
  const snifferPod = await ProbePod.start(sniffer.cluster.client, sniffer.cluster.probe, {command: sniffer.command, hostNetwork: true, name: 'validate-sniffer', placement: {kind: 'node', node: sniffer.node}})
  let clientPod: ProbePod | undefined
  try {
    await snifferPod.running()
    // tcpdump needs a moment after the container starts before it captures.
    await sleep(2000)
    clientPod = await ProbePod.start(client.cluster.client, client.cluster.probe, {command: client.command, hostNetwork: client.hostNetwork, name: 'validate-client', placement: {kind: 'non-gateway'}})
    await clientPod.running()
    return {clientPod, sniffed: await snifferPod.output()}
  } finally {
    await snifferPod.remove()
    await clientPod?.remove()
  }
}

export async function checkFirewallIntraCluster(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.submariner) return notInstalled(io, cluster, 'firewall intra-cluster', 'connectivity')
  if (cluster.submariner.status?.networkPlugin === 'OVNKubernetes') return
  await runStep(io, cluster, 'firewall intra-cluster', 'Checking that firewall configuration allows intra-cluster VXLAN traffic', async (found) => {
    if (isSingleNode(cluster)) {
      found.pass("Skipping this check as it's a single node cluster")
      return
    }

    const localId = cluster.submariner?.spec.clusterID
    const remote = (await cluster.client.tryList<Endpoint>(Resources.Endpoint, {namespace: OPERATOR_NAMESPACE})).find((endpoint) => endpoint.spec.cluster_id !== localId)
    const subnet = remote ? parseCidr(remote.spec.subnets[0] ?? '') : undefined
    if (!remote || !subnet) throw new SubctlError('NO_REMOTE_ENDPOINT', 'There are no remote endpoints to send the probe to', {hint: 'Join another cluster to the broker first'})
    const remoteIp = addressAt(subnet, 1)
    const gatewayNode = await activeGatewayNode(cluster)
    const seconds = io.settings.validationTimeoutSeconds
    const {clientPod, sniffed} = await sniff(
      {cluster, command: `timeout ${seconds} tcpdump -ln -c 3 -i vx-submariner tcp and port 8080 and 'tcp[tcpflags] == tcp-syn'`, node: gatewayNode},
      {cluster, command: `nc -w ${Math.max(1, Math.floor(seconds / 2))} ${remoteIp} 8080`, hostNetwork: false},
    )
    found.verbose(`tcpdump output from the sniffer pod on ${gatewayNode}:\n${sniffed}`)
    found.add(intraClusterFinding(sniffed, {clientIp: clientPod.ip, clientNode: clientPod.node, cluster: cluster.context, gatewayNode, remoteIp, verbose: io.settings.verbose}))
  })
}

export type InterClusterKind = 'tunnel' | 'nat-discovery'

/** firewall inter-cluster (kind tunnel) and firewall nat-discovery: from `remote`'s nodes to `local`'s gateway. */
export async function checkFirewallInterCluster(io: DiagnoseIo, local: DiagnoseCluster, remote: DiagnoseCluster, kind: InterClusterKind): Promise<void> {
  const check = kind === 'tunnel' ? 'firewall inter-cluster' : 'firewall nat-discovery'
  if (!local.submariner || !remote.submariner) return notInstalled(io, local.submariner ? remote : local, check, 'connectivity')
  const title =
    kind === 'tunnel' ? `Checking if tunnels can be setup on the gateway node of cluster "${local.context}"` : `Checking if nat-discovery port is opened on the gateway node of cluster "${local.context}"`
  await runStep(io, local, check, title, async (found) => {
    if (isSingleNode(remote)) {
      found.pass("Skipping this check as it's a single node cluster")
      return
    }

    const localId = local.submariner?.spec.clusterID as string
    const endpoint = (await local.client.list<Endpoint>(Resources.Endpoint, {namespace: OPERATOR_NAMESPACE})).items.find((candidate) => candidate.spec.cluster_id === localId)
    if (!endpoint) throw new SubctlError('NO_LOCAL_ENDPOINT', `${local.context} has no Endpoint of its own`, {hint: 'Check that its gateway runs (subctl diagnose deployment)'})
    const gatewayNode = await activeGatewayNode(local)
    const port = targetPort(endpoint.spec, kind, local.submariner?.spec.ceIPSecNATTPort)
    // Behind a load balancer the packets arrive at the gateway Service's NodePort: capture both.
    const ports = [port]
    if (endpoint.spec.backend_config?.['using-loadbalancer'] === 'true') {
      const service = await local.client.tryGet<ServiceModel>(Resources.Service, GATEWAY, OPERATOR_NAMESPACE)
      const nodePort = service?.spec?.ports?.find((entry) => entry.name === (kind === 'tunnel' ? 'cable-encaps' : 'natt-discovery'))?.nodePort
      if (nodePort) ports.push(nodePort)
    }

    const remoteGateways = await remote.client.tryList<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})
    const connection = remoteGateways.find((gateway) => gateway.status?.haStatus === 'active')?.status?.connections.find((entry) => entry.endpoint.cluster_id === localId)
    if (!connection) throw new SubctlError('NO_CONNECTION', `The active gateway of ${remote.context} has no connection to ${localId}, so the address it uses for ${local.context} is unknown`, {hint: 'Check both clusters with "subctl diagnose connections"'})
    const address = remoteViewOfGateway(connection)
    const marker = randomBytes(4).toString('hex')
    const seconds = io.settings.validationTimeoutSeconds
    const filter = ports.map((entry) => `dst port ${entry}`).join(' or ')
    const {clientPod, sniffed} = await sniff(
      {cluster: local, command: `timeout ${seconds} tcpdump -ln -A -s 200 -i any udp and \\( ${filter} \\) | grep -m 1 ${marker}`, node: gatewayNode},
      {cluster: remote, command: `for attempt in 1 2 3 4 5; do for line in $(seq 1000); do echo ${marker}; done | nc -u -w 2 -p 9898 ${address} ${port}; done`, hostNetwork: true},
    )
    found.verbose(`tcpdump output from the sniffer pod on ${gatewayNode}:\n${sniffed}`)
    found.add(
      interClusterFinding(sniffed, {
        address,
        cluster: local.context,
        esp: address === endpoint.spec.private_ip && endpoint.spec.backend === 'libreswan',
        fromCluster: remote.context,
        fromNode: clientPod.node,
        gatewayNode,
        kind,
        marker,
        port,
        verbose: io.settings.verbose,
      }),
    )
  })
}
