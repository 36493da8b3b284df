/**
 * The lab's node runtime, standing in for the kubelet and the container runtime on one node. Runs
 * inside the node's network namespace with the node's credentials (system:node:NAME, so the API
 * server's Node authorizer and NodeRestriction apply as to a kubelet):
 *   - registers the Node, keeps its Lease and Ready condition fresh, routes the cluster's pod CIDRs;
 *   - runs the pods bound to it (pod.ts), reconciling each on a deduplicating work queue;
 *   - serves the kubelet port through its Go helper (exec, attach and port-forward over SPDY and
 *     WebSocket, with the kubelet's own libraries) and, behind it, container logs and the
 *     containers' stdio (kubelet-api.ts).
 *
 *   node node-runtime.js CONFIG.json
 */
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {release} from 'node:os'

import {createLogger} from '../../../src/agent/runtime/log.js'
import {WorkQueue} from '../../../src/agent/runtime/workqueue.js'
import {clientForServer} from '../../../src/k8s/clients.js'
import {isAlreadyExists, isNotFound} from '../../../src/k8s/errors.js'
import {Informer} from '../../../src/k8s/informer.js'
import {objectKey, splitKey, type KubeObject} from '../../../src/k8s/objects.js'
import {Resources} from '../../../src/k8s/resources.js'
import {serveKubeletApi} from './kubelet-api.js'
import {NodeNetwork} from './network.js'
import {PodRunner, type PodContext} from './pod.js'
import type {NodeObject, Pod, RuntimeConfig} from './types.js'
import {VolumeManager} from './volumes.js'
import {KUBELET_PORT} from '../config.js'

const LEASE_RENEW_MS = 10_000
const STATUS_REPORT_MS = 30_000
const VOLUME_REFRESH_MS = 10_000

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as RuntimeConfig
const log = createLogger({component: 'node-runtime', node: config.node})
const client = await clientForServer(
  {ca: readFileSync(config.caFile), cert: readFileSync(config.certFile), displayName: `node ${config.node}`, key: readFileSync(config.keyFile), server: config.apiServer},
  'lab-node-runtime',
)
const cniClient = await clientForServer(
  {ca: readFileSync(config.caFile), cert: readFileSync(config.cniCertFile), displayName: `cni on ${config.node}`, key: readFileSync(config.cniKeyFile), server: config.apiServer},
  'lab-cni',
)
const network = new NodeNetwork(config.clusterCIDR)
const runners = new Map<string, PodRunner>()
const bootID = randomUUID()
const startedAt = new Date().toISOString()

function microTime(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

async function registerNode(): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': config.node,
        'kubernetes.io/os': 'linux',
      },
      name: config.node,
    },
    spec: {},
  }
  try {
    await client.create(node)
    log.info('registered the node')
  } catch (error) {
    if (!isAlreadyExists(error)) throw error
  }
}

async function reportStatus(): Promise<void> {
  const time = new Date().toISOString()
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
    lastHeartbeatTime: time,
    lastTransitionTime: startedAt,
    message,
    reason,
    status,
    type,
  })
  const resources = {cpu: '8', 'ephemeral-storage': '100Gi', memory: '32Gi', pods: '110'}
  await client.mergePatch(Resources.Node, config.node, undefined, {
    status: {
      addresses: [
        {address: config.nodeIP, type: 'InternalIP'},
        {address: config.node, type: 'Hostname'},
      ],
      allocatable: resources,
      capacity: resources,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'the lab node runtime is posting ready status'),
      ],
      daemonEndpoints: {kubeletEndpoint: {Port: KUBELET_PORT}},
      // The kubelet port translates WebSocket v5 and port-forward tunnels itself, so the API
      // server forwards them as they come (k8s.io/kubernetes' node-declared features).
      declaredFeatures: ['ExtendWebSocketsToKubelet'],
      nodeInfo: {
        architecture: 'amd64',
        bootID,
        containerRuntimeVersion: 'lab://1.0.0',
        kernelVersion: release(),
        kubeProxyVersion: '',
        kubeletVersion: config.kubeletVersion,
        machineID: config.node,
        operatingSystem: 'linux',
        osImage: 'subctl lab',
        systemUUID: config.node,
      },
    },
  }, 'status')
}

async function renewLease(): Promise<void> {
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {name: config.node, namespace: 'kube-node-lease'},
    spec: {holderIdentity: config.node, leaseDurationSeconds: 40, renewTime: microTime()},
  }
  const existing = await client.tryGet<KubeObject>(Resources.Lease, config.node, 'kube-node-lease')
  if (existing) await client.update({...lease, metadata: {...lease.metadata, resourceVersion: existing.metadata.resourceVersion}})
  else await client.create(lease)
}

function every(ms: number, task: () => Promise<void>, name: string): void {
  const run = () =>
    task().catch((error: unknown) => {
      log.warn(`${name} failed`, {error})
    })
  void run()
  setInterval(run, ms)
}

async function recordEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  const time = new Date().toISOString()
  await client.create({
    apiVersion: 'v1',
    count: 1,
    firstTimestamp: time,
    involvedObject: {apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid},
    kind: 'Event',
    lastTimestamp: time,
    message,
    metadata: {generateName: `${pod.metadata.name}.`, namespace: pod.metadata.namespace},
    reason,
    reportingComponent: 'kubelet',
    reportingInstance: config.node,
    source: {component: 'kubelet', host: config.node},
    type,
  })
}

const reportedStatus = new Map<string, string>()
const volumes = new VolumeManager(client, config.nodeIP)
const pods = new Informer<Pod>(client, Resources.Pod, {fieldSelector: `spec.nodeName=${config.node}`, log})
const queue = new WorkQueue(reconcile, {concurrency: 4, log, name: 'pods'})

function contextFor(key: string): PodContext {
  return {
    client,
    config,
    event: (pod, type, reason, message) => {
      recordEvent(pod, type, reason, message).catch((error: unknown) => log.warn('could not record an event', {error, reason}))
    },
    log: log.child({pod: key}),
    network,
    resync: () => queue.add(key),
    volumes,
  }
}

/** What matters of a status, to notice when someone else (the node controller) changed it. */
function signature(status: Pod['status']): string {
  return JSON.stringify({
    conditions: (status?.conditions ?? []).map((condition) => `${condition.type}=${condition.status}`).sort(),
    containers: (status?.containerStatuses ?? []).map((container) => `${container.name}:${container.ready}:${container.restartCount}:${Object.keys(container.state ?? {}).join()}`),
    ip: status?.podIP,
    phase: status?.phase,
  })
}

async function pushStatus(key: string, runner: PodRunner): Promise<void> {
  const status = runner.status()
  const rendered = JSON.stringify(status)
  // Skip the write when nothing changed since we wrote it, and nobody changed it since either.
  if (reportedStatus.get(key) === rendered && signature(runner.pod.status) === signature(status)) return
  const {name, namespace} = splitKey(key)
  try {
    await client.mergePatch(Resources.Pod, name, namespace, {status}, 'status')
    reportedStatus.set(key, rendered)
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
}

async function stopRunner(key: string, runner: PodRunner, graceSeconds: number): Promise<void> {
  await runner.terminate(graceSeconds)
  runner.cleanup()
  runners.delete(key)
  reportedStatus.delete(key)
}

/** Level-triggered: whatever happened, converge this pod to what the API says. */
async function reconcile(key: string): Promise<void> {
  const pod = pods.get(key)
  let runner = runners.get(key)
  if (runner && pod && runner.uid !== pod.metadata.uid) {
    await stopRunner(key, runner, 0)
    runner = undefined
  }

  if (!pod) {
    if (runner) await stopRunner(key, runner, 0)
    return
  }

  const {name, namespace} = splitKey(key)
  if (pod.metadata.deletionTimestamp) {
    if (runner) {
      const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30)
      await stopRunner(key, runner, grace)
    }

    // The kubelet finishes a graceful deletion once the containers are gone.
    await client.delete(Resources.Pod, name, namespace, {gracePeriodSeconds: 0, preconditions: {uid: pod.metadata.uid}})
    return
  }

  if (!runner) {
    // A pod that already finished before this runtime started stays as it is.
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return
    runner = new PodRunner(pod, contextFor(key))
    runners.set(key, runner)
  }

  try {
    await runner.sync(pod)
  } finally {
    await pushStatus(key, runner)
  }
}

function syncRoutes(nodes: Informer<NodeObject>): void {
  const self = nodes.get(config.node)
  const podCIDR = self?.spec?.podCIDR
  if (podCIDR && network.podCIDR !== podCIDR) {
    network.init(podCIDR)
    log.info('pod network ready', {podCIDR})
    for (const key of runners.keys()) queue.add(key)
    for (const pod of pods.list()) queue.add(objectKey(pod))
  }

  const peers = nodes
    .list()
    .filter((node) => node.metadata.name !== config.node && node.spec?.podCIDR)
    .flatMap((node) => {
      const ip = node.status?.addresses?.find((address) => address.type === 'InternalIP')?.address
      return ip ? [{ip, podCIDR: node.spec?.podCIDR as string}] : []
    })
  network.syncRoutes(peers)
}

async function main(): Promise<void> {
  await registerNode()
  every(STATUS_REPORT_MS, reportStatus, 'node status report')
  every(LEASE_RENEW_MS, renewLease, 'lease renewal')

  const nodes = new Informer<NodeObject>(cniClient, Resources.Node, {log})
  nodes.onEvent(() => {
    try {
      syncRoutes(nodes)
    } catch (error) {
      log.warn('could not sync routes', {error})
    }
  })
  nodes.start()

  pods.onEvent((event) => queue.add(objectKey(event.object))).start()
  every(VOLUME_REFRESH_MS, async () => {
    await Promise.all([...runners.values()].map((runner) => runner.refreshVolumes().catch((error: unknown) => log.warn('could not refresh the volumes', {error, pod: `${runner.pod.metadata.namespace}/${runner.pod.metadata.name}`}))))
  }, 'volume refresh')

  await serveKubeletApi({findPod: (namespace, name) => runners.get(`${namespace}/${name}`), socket: config.runtimeSocket})
  startKubeletPort()
  log.info('node runtime started')
}

let kubeletPort: ReturnType<typeof spawn> | undefined
let stopping = false

/** The kubelet port, served by the Go helper for as long as this runtime runs. */
function startKubeletPort(): void {
  const helper = spawn(
    config.nodeHelper,
    [
      'kubelet',
      `-listen=${config.nodeIP}:${KUBELET_PORT}`,
      `-ca=${config.caFile}`,
      `-cert=${config.servingCertFile}`,
      `-key=${config.servingKeyFile}`,
      `-allow-cn=${config.kubeletClientCN}`,
      `-runtime=${config.runtimeSocket}`,
    ],
    {stdio: ['ignore', 'inherit', 'inherit']},
  )
  helper.on('exit', (code, signal) => {
    if (stopping) return
    log.error('the kubelet port helper exited; restarting it', {code, signal})
    setTimeout(startKubeletPort, 1000).unref()
  })
  kubeletPort = helper
}

function shutdown(): void {
  stopping = true
  kubeletPort?.kill('SIGTERM')
  for (const runner of runners.values()) void runner.terminate(0)
  setTimeout(() => process.exit(0), 500).unref()
}

process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
main().catch((error: unknown) => {
  log.error('node runtime failed', {error})
  process.exit(1)
})
