/** `lab status`, `lab exec` and `lab restart`: working with a lab that is up. */
import {join} from 'node:path'

import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {BRIDGE_NETNS, HOST_NETNS, NETNS_PREFIX, parseClusters, paths, type ClusterConfig} from './config.js'
import {adminClient, alive, labNamespaces, poll, readState, writeState} from './state.js'
import {podNetworkNames} from './node/network.js'
import {sh, startDaemon} from './sh.js'

/** The environment of `lab exec`: the lab kubeconfig, and this checkout's subctl and kubectl first on PATH. */
export function execEnvironment(): NodeJS.ProcessEnv {
  return {...process.env, KUBECONFIG: paths.kubeconfig, PATH: `${paths.bin}:${process.env.PATH ?? ''}`}
}

/** The network namespace of CLUSTER/NAMESPACE/POD: its own, or its node's for hostNetwork pods. */
export async function podNamespace(clusters: ClusterConfig[], reference: string): Promise<string> {
  const [clusterName, namespace, name] = reference.split('/')
  const cluster = clusters.find((candidate) => candidate.name === clusterName)
  if (!cluster || !namespace || !name) throw new Error(`--pod must be CLUSTER/NAMESPACE/POD with a cluster of the lab, got "${reference}"`)
  const client = await adminClient(cluster)
  try {
    const pod = await client.tryGet<KubeObject & {spec: {hostNetwork?: boolean; nodeName?: string}}>(Resources.Pod, name, namespace)
    if (!pod) throw new Error(`pod ${namespace}/${name} not found in ${cluster.name}`)
    if (pod.spec.hostNetwork) {
      const node = cluster.nodes.find((candidate) => candidate.name === pod.spec.nodeName)
      if (!node) throw new Error(`pod ${namespace}/${name} is not running on a node yet`)
      return node.netns
    }

    const {netns} = podNetworkNames(pod.metadata.uid ?? '')
    if (!labNamespaces().includes(netns)) throw new Error(`pod ${namespace}/${name} has no network namespace yet (is it running?)`)
    return netns
  } finally {
    client.close()
  }
}

export async function status(): Promise<string> {
  const state = readState()
  if (!state) return 'the lab is down\n'
  const lines = [`lab ${state.up ? 'up' : 'coming up or broken'}: clusters ${state.clusters}`, `  kubeconfig (inside the lab): ${paths.kubeconfig}`, `  kubeconfig (this host):      ${paths.hostKubeconfig}`]
  for (const cluster of parseClusters(state.clusters)) {
    const client = await adminClient(cluster)
    try {
      const nodes = await client.list<KubeObject & {status?: {conditions?: Array<{type: string; status: string}>}}>(Resources.Node)
      const pods = await client.list<KubeObject & {status?: {phase?: string}}>(Resources.Pod)
      const ready = (node: (typeof nodes.items)[number]) => node.status?.conditions?.some((entry) => entry.type === 'Ready' && entry.status === 'True')
      lines.push(
        `  ${cluster.name}: pods ${cluster.podCIDR}, services ${cluster.serviceCIDR}; nodes ${nodes.items.map((node) => `${node.metadata.name} (${ready(node) ? 'Ready' : 'NotReady'})`).join(', ')}; ${pods.items.filter((pod) => pod.status?.phase === 'Running').length}/${pods.items.length} pods running`,
      )
    } catch (error) {
      lines.push(`  ${cluster.name}: unreachable (${(error as Error).message})`)
    } finally {
      client.close()
    }
  }

  const dead = state.processes.filter((entry) => !alive(entry.pid))
  lines.push(`  processes: ${state.processes.length - dead.length}/${state.processes.length} running${dead.length > 0 ? ` (stopped: ${dead.map((entry) => entry.name).join(', ')})` : ''}`)
  lines.push(`  network namespaces: ${labNamespaces().length} (the host side is ${HOST_NETNS})`)
  return lines.join('\n') + '\n'
}

const RESTART_GRACE_MS = 10_000

/** Restarts one process, e.g. broker/kube-apiserver, and waits for an API server to be ready again. */
export async function restart(target: string, log: (line: string) => void): Promise<void> {
  const state = readState()
  if (!state?.up) throw new Error('the lab is not up')
  const [clusterName, component] = target.split('/')
  const name = `${clusterName}-${component}`
  const entry = state.processes.find((candidate) => candidate.name === name || candidate.name === target)
  if (!entry) throw new Error(`no lab process named ${target}; known: ${state.processes.map((candidate) => candidate.name).join(', ')}`)
  // As a kubelet stops a container: SIGTERM, then SIGKILL after a grace period. kube-apiserver
  // waits up to a minute for open watches before it exits on SIGTERM alone.
  if (alive(entry.pid)) process.kill(entry.pid, 'SIGTERM')
  try {
    await poll(`${entry.name} to stop`, RESTART_GRACE_MS, async () => (alive(entry.pid) ? undefined : true))
  } catch {
    if (alive(entry.pid)) process.kill(entry.pid, 'SIGKILL')
    await poll(`${entry.name} to be killed`, 10_000, async () => (alive(entry.pid) ? undefined : true))
  }

  entry.pid = startDaemon(entry.command, join(paths.logs, `${entry.name}.log`))
  writeState(state)
  log(`restarted ${entry.name} (pid ${entry.pid})`)
  const cluster = parseClusters(state.clusters).find((candidate) => candidate.name === clusterName)
  if (component === 'kube-apiserver' && cluster) {
    const client = await adminClient(cluster)
    try {
      await poll(`the API server of ${cluster.name}`, 120_000, async () => ((await client.serverEndpoint('/readyz')) === 'ok' ? true : undefined))
    } finally {
      client.close()
    }
  }
}

/**
 * Cuts a node off the underlay (or reconnects it) by taking its port on the lab bridge down. The
 * node keeps its addresses and routes (they only lose their carrier), as a pulled cable would.
 */
export function setNodeConnected(node: string, connected: boolean): void {
  const netns = `${NETNS_PREFIX}${node}`
  if (!labNamespaces().includes(netns)) throw new Error(`no lab node named ${node}`)
  const peer = /eth0@if(\d+)/.exec(sh(['ip', '-n', netns, '-o', 'link', 'show', 'eth0']))?.[1]
  const port = sh(['ip', '-n', BRIDGE_NETNS, '-o', 'link', 'show'])
    .split('\n')
    .find((line) => line.startsWith(`${peer}: `))
    ?.split(':')[1]
    ?.trim()
    .split('@')[0]
  if (!port) throw new Error(`cannot find the bridge port of ${node}`)
  sh(['ip', '-n', BRIDGE_NETNS, 'link', 'set', port, connected ? 'up' : 'down'])
}
