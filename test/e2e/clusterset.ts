/**
 * Helpers for the end-to-end tests: subctl run inside the lab network (as a user of the lab would),
 * the clusterset brought into a known shape, workloads, and probes from pods.
 */
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Gateway} from '../../src/api/submariner.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {parseConnectResult, type ConnectResult} from '../../src/lib/nettest-result.js'
import {HOST_NETNS, paths} from '../lab/config.js'
import {execEnvironment} from '../lab/operations.js'
import {run, SUBCTL, type RunResult} from '../helpers/cli.js'
import {AGENT_IMAGE, clusterClient, eventually, runPodToCompletion, type PodLike} from '../helpers/lab.js'
import {agentPid} from './faults.js'
import {saveStateBeforeJoin} from './node-state.js'
import {BROKER_INFO, ensureWorkdir} from './workdir.js'

export {BROKER_INFO, WORKDIR} from './workdir.js'

/** Runs subctl inside the lab network, without a terminal. */
export function subctl(args: string[], options: {cwd?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', HOST_NETNS, process.execPath, SUBCTL, ...args], {cwd: options.cwd ?? ensureWorkdir(), env: {...execEnvironment(), CI: 'true'}, timeoutMs: options.timeoutMs ?? 600_000})
}

export async function subctlOk(args: string[], options: {cwd?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  const result = await subctl(args, options)
  if (result.code !== 0) throw new Error(`subctl ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`)
  return result
}

export const scratchDir = () => mkdtempSync(join(tmpdir(), 'subctl-e2e-'))

export async function withClient<T>(context: string, work: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = await clusterClient(context)
  try {
    return await work(client)
  } finally {
    client.close()
  }
}

/** The broker is deployed and its broker-info.subm is in WORKDIR (a broker the demo deployed left its file elsewhere: deploy-broker again writes one here). */
export async function ensureBroker(): Promise<void> {
  const deployed = await withClient('broker', (client) => client.tryGet(Resources.Broker, 'submariner-broker', 'submariner-k8s-broker'))
  if (!deployed || !existsSync(BROKER_INFO)) await subctlOk(['deploy-broker', '--context', 'broker'])
}

/**
 * Whether the clusters are joined with clusterset IPs (our default) or as upstream does without
 * them (E2E_CLUSTERSET_IP=false: `join --enable-clusterset-ip=false`, DNS answers service IPs).
 */
export const CLUSTERSET_IPS = process.env.E2E_CLUSTERSET_IP !== 'false'

/** The broker is deployed and both clusters joined with this cable driver (idempotent: join converges). */
export async function ensureClusterset(driver: 'vxlan' | 'wireguard' = 'vxlan'): Promise<void> {
  await ensureBroker()
  // On a fresh lab, as 01 does: the nodes as they were, for 04 to compare with after uninstall.
  const joined = await Promise.all(['c1', 'c2'].map((cluster) => withClient(cluster, (client) => client.tryGet(Resources.Submariner, 'submariner', 'submariner-operator'))))
  if (joined.every((cr) => cr === undefined)) saveStateBeforeJoin()
  for (const cluster of ['c1', 'c2']) {
    const mode = CLUSTERSET_IPS ? [] : ['--enable-clusterset-ip=false']
    await subctlOk(['join', BROKER_INFO, '--context', cluster, '--clusterid', cluster, '--gateway-nodes', `${cluster}-worker`, '--cable-driver', driver, '--air-gapped', ...mode])
  }

  await waitConnected(driver)
}

/** Until each cluster's active gateway reports its connection to the other connected, with this driver. */
export async function waitConnected(driver?: string, timeoutMs = 120_000): Promise<void> {
  for (const [cluster, other] of [
    ['c1', 'c2'],
    ['c2', 'c1'],
  ] as const) {
    await eventually(
      `${cluster} to be connected to ${other}${driver ? ` over ${driver}` : ''}`,
      () =>
        withClient(cluster, async (client) => {
          const gateways = await client.list<KubeObject & {status?: {haStatus: string; connections?: Array<{status: string; endpoint: {cluster_id: string; backend: string}}>}}>(Resources.Gateway, {
            namespace: 'submariner-operator',
          })
          return gateways.items.some(
            (gateway) =>
              gateway.status?.haStatus === 'active' &&
              gateway.status.connections?.some((connection) => connection.endpoint.cluster_id === other && connection.status === 'connected' && (!driver || connection.endpoint.backend === driver)),
          )
        }),
      timeoutMs,
      1000,
    )
  }
}

/** A Deployment of nettest servers (TCP 8080, HTTP 8000) spread over the nodes, behind a Service. */
export async function deployEcho(client: KubeClient, namespace: string, name = 'echo', options: {replicas?: number; headless?: boolean; affinitySeconds?: number} = {}): Promise<void> {
  const labels = {app: name}
  // A namespace still terminating from an earlier run takes no new objects: wait until it is gone.
  await eventually(`namespace ${namespace} to finish terminating`, async () => !(await client.tryGet(Resources.Namespace, namespace))?.metadata.deletionTimestamp, 120_000)
  if (!(await client.tryGet(Resources.Namespace, namespace))) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: namespace}})
  await client.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace},
    spec: {
      replicas: options.replicas ?? 2,
      selector: {matchLabels: labels},
      template: {
        metadata: {labels},
        spec: {
          affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{podAffinityTerm: {labelSelector: {matchLabels: labels}, topologyKey: 'kubernetes.io/hostname'}, weight: 100}]}},
          containers: [
            {
              args: ['nettest', 'serve', '--tcp-port', '8080', '--http-port', '8000'],
              image: AGENT_IMAGE,
              name,
              readinessProbe: {periodSeconds: 1, tcpSocket: {port: 8080}},
            },
          ],
          tolerations: [{effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane'}],
        },
      },
    },
  })
  await client.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name, namespace},
    spec: {
      ...(options.headless ? {clusterIP: 'None'} : {}),
      ...(options.affinitySeconds ? {sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: options.affinitySeconds}}} : {}),
      ports: [
        {name: 'tcp', port: 8080, targetPort: 8080},
        {name: 'http', port: 80, targetPort: 8000},
      ],
      selector: labels,
    },
  })
  await eventually(`deployment ${namespace}/${name} to be ready`, async () => {
    const deployment = await client.get<KubeObject & {status?: {readyReplicas?: number}}>(Resources.Deployment, name, namespace)
    return (deployment.status?.readyReplicas ?? 0) >= (options.replicas ?? 2)
  })
}

/** A headless Service `web` (port 8080) and its StatefulSet of two nettest servers (TCP 8080, HTTP 8000), ready. */
export async function deployWebStatefulSet(client: KubeClient, namespace: string): Promise<void> {
  const labels = {app: 'web'}
  await client.apply({apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace}, spec: {clusterIP: 'None', ports: [{name: 'tcp', port: 8080}], selector: labels}})
  await client.apply({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {name: 'web', namespace},
    spec: {
      replicas: 2,
      selector: {matchLabels: labels},
      serviceName: 'web',
      template: {
        metadata: {labels},
        spec: {
          containers: [{args: ['nettest', 'serve', '--tcp-port', '8080', '--http-port', '8000'], image: AGENT_IMAGE, name: 'web', readinessProbe: {periodSeconds: 1, tcpSocket: {port: 8080}}}],
          tolerations: [{effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane'}],
        },
      },
    },
  })
  await eventually(`${namespace}/web-0 and web-1 to be ready`, async () => ((await client.get<KubeObject & {status?: {readyReplicas?: number}}>(Resources.StatefulSet, 'web', namespace)).status?.readyReplicas ?? 0) === 2)
}

let podCounter = 0

/** Runs `nettest connect` in a pod (on a node, or anywhere) and returns its parsed result. */
export async function probe(
  client: KubeClient,
  namespace: string,
  target: string,
  options: {node?: string; protocol?: 'tcp' | 'udp' | 'http'; count?: number; timeoutMs?: number; labels?: Record<string, string>} = {},
): Promise<{pod: PodLike; result: ConnectResult | undefined; message: string}> {
  const name = `probe-${Date.now().toString(36)}-${podCounter++}`
  const pod = await runPodToCompletion(
    client,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {labels: {app: 'e2e-probe', ...options.labels}, name, namespace},
      spec: {
        containers: [
          {
            args: ['nettest', 'connect', '--target', target, '--protocol', options.protocol ?? 'tcp', '--count', String(options.count ?? 3), '--interval-ms', '100', '--timeout-ms', '2000'],
            image: AGENT_IMAGE,
            name: 'probe',
          },
        ],
        ...(options.node ? {nodeName: options.node} : {}),
        restartPolicy: 'Never',
        tolerations: [{operator: 'Exists'}],
      },
    },
    options.timeoutMs ?? 120_000,
  )
  const logs = await client.podLog(name, namespace).catch(() => '')
  await client.delete(Resources.Pod, name, namespace)
  return {message: pod.status?.containerStatuses?.[0]?.state.terminated?.message ?? '', pod, result: parseConnectResult(logs)}
}

/** Probes until one succeeds (networks converge) or time runs out; returns the last attempt. */
export async function probeEventually(client: KubeClient, namespace: string, target: string, options: Parameters<typeof probe>[3] & {withinMs?: number} = {}) {
  const deadline = Date.now() + (options.withinMs ?? 60_000)
  for (;;) {
    const attempt = await probe(client, namespace, target, options)
    if (attempt.result?.passed || Date.now() > deadline) return attempt
    await sleep(1000)
  }
}

/** Resolves a name with dig from a node's network namespace, through the cluster DNS. */
export async function dig(cluster: string, node: string, name: string, type = 'A'): Promise<{status: string; answers: string[]}> {
  const dnsIp = await withClient(cluster, async (client) => (await client.get<KubeObject & {spec: {clusterIP: string}}>(Resources.Service, 'kube-dns', 'kube-system')).spec.clusterIP)
  const {stdout: output} = await run('ip', ['netns', 'exec', `lab-${node}`, 'dig', '+time=2', '+tries=2', `@${dnsIp}`, name, type])
  const status = /status: (\w+)/.exec(output)?.[1] ?? 'TIMEOUT'
  const answerSection = output.split(';; ANSWER SECTION:')[1]?.split('\n\n')[0] ?? ''
  const answers = answerSection
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === type)
    .map((fields) => fields.slice(4).join(' '))
  return {answers, status}
}

/** The process of the gateway agent on a node. */
export const gatewayAgentPid = (node: string): number | undefined => agentPid(`lab-${node}`, 'gateway')

export async function activeGateway(cluster: string): Promise<string | undefined> {
  return withClient(cluster, async (client) => {
    const gateways = await client.list<Gateway>(Resources.Gateway, {namespace: 'submariner-operator'})
    return gateways.items.find((gateway) => gateway.status?.haStatus === 'active')?.status?.localEndpoint.hostname
  })
}

/** Makes the control-plane node a second gateway of the cluster and waits until it is passive beside the active one. */
export async function addSecondGateway(cluster: string): Promise<void> {
  await withClient(cluster, (client) => client.mergePatch(Resources.Node, `${cluster}-control-plane`, undefined, {metadata: {labels: {'submariner.io/gateway': 'true'}}}))
  await eventually(
    `two gateways in ${cluster}, one passive`,
    () =>
      withClient(cluster, async (client) => {
        const gateways = (await client.list<Gateway>(Resources.Gateway, {namespace: 'submariner-operator'})).items
        return gateways.length === 2 && gateways.filter((gateway) => gateway.status?.haStatus === 'passive').length === 1
      }),
    120_000,
    1000,
  )
}

export async function removeSecondGateway(cluster: string): Promise<void> {
  await withClient(cluster, (client) => client.mergePatch(Resources.Node, `${cluster}-control-plane`, undefined, {metadata: {labels: {'submariner.io/gateway': null}}}))
}

export {paths}
