/**
 * The nettest pods of verify and benchmark: listeners that stay up (an echo server) and one-shot pods (connect, resolve, latency, iperf3) whose output is read
 * back once they end. Pods go on a named node and tolerate every taint, so that a gateway node's
 * taints do not keep them off.
 */
import type {PodObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {parseConnectResult, parseResolveResult, type ConnectResult, type ResolveResult} from '../../lib/nettest-result.js'
import type {TestCluster} from './cluster.js'
import type {TestRun} from './test-run.js'

export interface Placement {
  node: string
  hostNetwork?: boolean
}

export interface Listener {
  name: string
  cluster: TestCluster
  node: string
  ip: string
  port: number
  labels: Record<string, string>
}

export const LISTENER_PORT = 1234

function podSpec(run: TestRun, placement: Placement, container: Record<string, unknown>, restartPolicy: 'Never' | 'Always') {
  return {
    containers: [{env: [{name: 'POD_NAME', valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}}, {name: 'NODE_NAME', valueFrom: {fieldRef: {fieldPath: 'spec.nodeName'}}}], image: run.settings.image, imagePullPolicy: 'IfNotPresent', name: 'nettest', ...container}],
    ...(placement.hostNetwork ? {dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true} : {}),
    nodeName: placement.node,
    restartPolicy,
    terminationGracePeriodSeconds: 1,
    tolerations: [{operator: 'Exists'}],
  }
}

function describePod(cluster: TestCluster, placement: Placement, name: string): string {
  return `${cluster.context}/${placement.node}${placement.hostNetwork ? ' (host network)' : ''} pod ${name}`
}

/** Starts a TCP and UDP echo server on the pod network of a node and waits until it is ready. */
export async function startListener(run: TestRun, cluster: TestCluster, node: string, labels: Record<string, string> = {}): Promise<Listener> {
  const name = run.name('tcp-check-listener')
  const port = LISTENER_PORT
  const placement = {node}
  const allLabels = {'test-app': name, ...labels}
  await run.create(cluster, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {labels: allLabels, name},
    spec: podSpec(run, placement, {args: ['nettest', 'serve', '--tcp-port', String(port), '--udp-port', String(port)], ports: [{containerPort: port}], readinessProbe: {periodSeconds: 1, tcpSocket: {port}}}, 'Always'),
  })
  const pod = await run.until(`listener ${name} on ${cluster.context}/${placement.node} to be ready`, async () => {
    const current = await run.pod(cluster, name)
    const ready = current.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True')
    return ready && current.status?.podIP ? current : undefined
  })
  return {cluster, ip: pod.status?.podIP as string, labels: allLabels, name, node, port}
}

export interface OneShot {
  name: string
  source: string
  exitCode: number
  output: string
  pod: PodObject
}

/** Runs a pod to its end and returns its exit code and output. */
export async function runOnce(run: TestRun, cluster: TestCluster, placement: Placement, base: string, container: Record<string, unknown>, timeoutMs: number): Promise<OneShot> {
  const name = run.name(base)
  await run.create(cluster, {apiVersion: 'v1', kind: 'Pod', metadata: {name}, spec: podSpec(run, placement, container, 'Never')})
  const pod = await run.until(
    `pod ${name} on ${cluster.context}/${placement.node} to finish`,
    async () => {
      const current = await run.pod(cluster, name)
      return current.status?.phase === 'Succeeded' || current.status?.phase === 'Failed' ? current : undefined
    },
    timeoutMs,
  )
  const output = await cluster.client.podLog(name, run.namespace).catch(() => '')
  const exitCode = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? (pod.status?.phase === 'Succeeded' ? 0 : 1)
  // The pod has said what it had to; the namespace goes at the end, but a long run should not pile pods up.
  await cluster.client.delete(Resources.Pod, name, run.namespace, {gracePeriodSeconds: 0}).catch(() => undefined)
  return {exitCode, name, output, pod, source: describePod(cluster, placement, name)}
}

export interface ConnectOptions {
  attempts: number
  timeoutSeconds: number
  payloadBytes?: number
}

/** `nettest connect` from a pod to HOST:PORT over TCP; the result with where it ran. */
export async function connectFrom(run: TestRun, cluster: TestCluster, placement: Placement, target: string, options: ConnectOptions): Promise<{source: string; result: ConnectResult}> {
  const args = ['nettest', 'connect', '--target', target, '--protocol', 'tcp', '--count', String(options.attempts), '--min-success', '1', '--interval-ms', '1000', '--timeout-ms', String(options.timeoutSeconds * 1000)]
  if (options.payloadBytes) args.push('--payload-bytes', String(options.payloadBytes))
  const timeoutMs = run.settings.operationTimeoutMs + options.attempts * (options.timeoutSeconds + 1) * 1000
  const shot = await runOnce(run, cluster, placement, 'tcp-check-pod', {args}, timeoutMs)
  const result = parseConnectResult(shot.output) ?? {
    answers: [],
    attempts: 0,
    errors: [`the connector printed no result (exit ${shot.exitCode}): ${shot.output.trim().split('\n').pop() ?? ''}`],
    latencyMs: null,
    passed: false,
    protocol: 'tcp' as const,
    successes: 0,
    summary: 'no result',
    target,
  }
  return {result, source: shot.source}
}

/** `nettest resolve` from a pod: waits up to `withinMs` for the answer `expect` describes. */
export async function resolveFrom(run: TestRun, cluster: TestCluster, placement: Placement, name: string, expect: string, withinMs: number, type = 'A'): Promise<{source: string; result: ResolveResult}> {
  const args = ['nettest', 'resolve', '--name', name, '--type', type, '--expect', expect, '--within-ms', String(withinMs)]
  const shot = await runOnce(run, cluster, placement, 'dns-check-pod', {args}, run.settings.operationTimeoutMs + withinMs)
  const result = parseResolveResult(shot.output) ?? {answers: [], expect, matched: false, name, status: `no result (exit ${shot.exitCode})`, summary: shot.output.trim().split('\n').pop() ?? '', type}
  return {result, source: shot.source}
}
