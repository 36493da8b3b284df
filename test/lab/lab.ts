/**
 * Bringing the lab up and down. `up` is idempotent (a healthy lab of the same shape is left as it
 * is; anything else, including the leftovers of a crashed run, is cleaned first); `down` removes
 * every namespace, link, process, mount point and file the lab made. The state on disk is
 * state.ts, the network underlay.ts, the clusters' processes processes.ts.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {build} from 'esbuild'

import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {cniObjects, corednsObjects, kubeadmConfig} from './addons.js'
import {ensureBinaries, ensureNodeHelper, ensurePackages, kubernetesVersion} from './build.js'
import {
  apiServerURL,
  CACHE_DIR,
  controlPlaneOf,
  ETCD_URL,
  HOST_NETNS,
  hostApiPort,
  LAB_MARKER,
  LAB_SOURCE,
  parseClusters,
  paths,
  REPO,
  STATE_DIR,
  type ClusterConfig,
} from './config.js'
import {clusterPki, kubeconfig, type ClusterPki} from './pki.js'
import {sh} from './sh.js'
import {adminClient, alive, labNamespaces, poll, readState, writeState, type LabState, type Log} from './state.js'
import {createNode, createUnderlay} from './underlay.js'
import {daemon, startControlPlane, startControllers, startNode} from './processes.js'

export {readState} from './state.js'
export type {LabState, Log} from './state.js'

async function bundleRuntime(): Promise<void> {
  await build({
    banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
    bundle: true,
    entryPoints: [join(LAB_SOURCE, 'node', 'main.ts')],
    format: 'esm',
    logLevel: 'warning',
    outfile: paths.runtimeBundle,
    platform: 'node',
    target: 'node20',
  })
}

/** Labels and taints nodes as kubeadm does, with admin credentials (a kubelet may not set roles). */
async function labelNodes(client: KubeClient, cluster: ClusterConfig): Promise<void> {
  for (const node of cluster.nodes) {
    await poll(`node ${node.name} to register`, 60_000, () => client.tryGet(Resources.Node, node.name))
    if (!node.controlPlane) continue
    await client.mergePatch(Resources.Node, node.name, undefined, {
      metadata: {labels: {'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': ''}},
      // A one-node cluster keeps its control plane schedulable, as kind does.
      spec: cluster.nodes.length > 1 ? {taints: [{effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane'}]} : {},
    })
  }
}

function writeKubeconfigs(clusters: ClusterConfig[], pkis: Map<string, ClusterPki>): void {
  const entries = (server: (cluster: ClusterConfig) => string) =>
    clusters.map((cluster) => {
      const pki = pkis.get(cluster.name) as ClusterPki
      return {ca: pki.ca.cert, name: cluster.name, server: server(cluster), user: pki.admin}
    })
  writeFileSync(paths.kubeconfig, kubeconfig(entries(apiServerURL)), {mode: 0o600})
  writeFileSync(paths.hostKubeconfig, kubeconfig(entries((cluster) => `https://127.0.0.1:${hostApiPort(cluster)}`)), {mode: 0o600})
}

/** The busybox and alpine images' userland: a link to busybox for each of its applets. */
function linkBusyboxApplets(): void {
  mkdirSync(paths.busyboxBin, {recursive: true})
  const busybox = sh(['sh', '-c', 'command -v busybox']).trim()
  for (const applet of sh([busybox, '--list']).split('\n').filter(Boolean)) symlinkSync(busybox, join(paths.busyboxBin, applet))
}

function linkTools(binDir: string): void {
  mkdirSync(paths.bin, {recursive: true})
  for (const [name, target] of [
    ['subctl', join(REPO, 'bin', 'run.cjs')],
    ['kubectl', join(binDir, 'kubectl')],
  ]) {
    const link = join(paths.bin, name as string)
    rmSync(link, {force: true})
    symlinkSync(target as string, link)
  }
}

/**
 * The host's loopback forwarders to the API servers. A forwarder that cannot listen (another
 * program on the port) exits: start it again a few times, then fail naming the ports.
 */
async function startForwarder(state: LabState, binDir: string, clusters: ClusterConfig[]): Promise<void> {
  const forwards = clusters.map((cluster) => `127.0.0.1:${hostApiPort(cluster)}=${controlPlaneOf(cluster).ip}:6443`)
  for (let attempt = 1; ; attempt++) {
    daemon(state, 'netns-forward', undefined, [join(binDir, 'netns-forward'), `-netns=/run/netns/${HOST_NETNS}`, ...forwards])
    const pid = state.processes.at(-1)?.pid as number
    await sleep(500)
    if (alive(pid)) return
    state.processes = state.processes.filter((entry) => entry.pid !== pid)
    writeState(state)
    if (attempt === 5) throw new Error(`the API forwarder could not listen on ${forwards.map((forward) => forward.split('=')[0]).join(', ')}; see ${join(paths.logs, 'netns-forward.log')}`)
    await sleep(1000)
  }
}

export interface UpResult {
  alreadyUp: boolean
  seconds: number
  builtInSeconds?: number
}

export async function up(spec: string, log: Log): Promise<UpResult> {
  const started = Date.now()
  const clusters = parseClusters(spec)
  if (!existsSync(join(REPO, 'dist', 'agent.js'))) throw new Error('dist/agent.js is missing: run `npm run build` first')
  ensurePackages(log)
  const {builtInSeconds, dir: binDir} = await ensureBinaries(log)
  const nodeHelper = await ensureNodeHelper(log)

  const existing = readState()
  if (existing?.up && existing.clusters === spec && existing.processes.every((entry) => alive(entry.pid))) {
    log(`the lab is already up (${spec})`)
    // The links are this checkout's: a lab brought up from another one (or before bin/ changed) gets them.
    linkTools(binDir)
    return {alreadyUp: true, seconds: 0}
  }

  if (existing || labNamespaces().length > 0) log('cleaning up a previous lab first')
  await down(() => {})

  for (const dir of [STATE_DIR, paths.logs]) mkdirSync(dir, {recursive: true})
  const state: LabState = {binDir, clusters: spec, nodeHelper, processes: [], up: false}
  writeState(state)
  await bundleRuntime()
  linkBusyboxApplets()

  log(`creating the network: ${clusters.reduce((count, cluster) => count + cluster.nodes.length, 0)} nodes on one underlay`)
  createUnderlay()
  let port = 0
  for (const cluster of clusters) for (const node of cluster.nodes) createNode(node, `vn${port++}`)

  const pkis = new Map(clusters.map((cluster) => [cluster.name, clusterPki(cluster)]))
  writeKubeconfigs(clusters, pkis)
  linkTools(binDir)
  daemon(state, 'etcd', HOST_NETNS, [
    join(binDir, 'etcd'),
    '--name=lab',
    `--data-dir=${join(STATE_DIR, 'etcd')}`,
    `--listen-client-urls=${ETCD_URL}`,
    `--advertise-client-urls=${ETCD_URL}`,
    '--listen-peer-urls=http://127.0.0.1:2380',
    '--initial-advertise-peer-urls=http://127.0.0.1:2380',
    '--initial-cluster=lab=http://127.0.0.1:2380',
    '--unsafe-no-fsync',
    '--quota-backend-bytes=4294967296',
  ])
  await startForwarder(state, binDir, clusters)

  log(`starting the control planes of ${clusters.map((cluster) => cluster.name).join(', ')}`)
  for (const cluster of clusters) startControlPlane(state, cluster, pkis.get(cluster.name) as ClusterPki)
  const clients = new Map(await Promise.all(clusters.map(async (cluster) => [cluster.name, await adminClient(cluster, pkis.get(cluster.name))] as const)))
  await Promise.all(
    clusters.map((cluster) =>
      poll(`the API server of ${cluster.name}`, 120_000, async () => {
        const ready = await clients.get(cluster.name)?.serverEndpoint('/readyz')
        return ready === 'ok' ? true : undefined
      }),
    ),
  )

  for (const cluster of clusters) {
    const pki = pkis.get(cluster.name) as ClusterPki
    startControllers(state, cluster, pki)
    for (const node of cluster.nodes) startNode(state, cluster, node, pki)
  }

  log('installing CoreDNS and waiting for the nodes')
  await Promise.all(
    clusters.map(async (cluster) => {
      const client = clients.get(cluster.name) as KubeClient
      await poll(`the default namespace of ${cluster.name}`, 60_000, () => client.tryGet(Resources.ServiceAccount, 'default', 'kube-system'))
      for (const object of [...corednsObjects(cluster), ...cniObjects(), kubeadmConfig(cluster, kubernetesVersion())]) await client.apply(object)
      await labelNodes(client, cluster)
    }),
  )
  await waitReady(clusters, clients)

  state.up = true
  writeState(state)
  for (const client of clients.values()) client.close()
  const seconds = Math.round((Date.now() - started) / 100) / 10
  log(`the lab is up in ${seconds} s: KUBECONFIG=${paths.kubeconfig} inside the lab (npm run lab -- exec), ${paths.hostKubeconfig} from this host`)
  return {alreadyUp: false, builtInSeconds, seconds}
}

/** Waits until every node is Ready and CoreDNS answers in every cluster. */
export async function waitReady(clusters: ClusterConfig[], clients: Map<string, KubeClient>): Promise<void> {
  await Promise.all(
    clusters.map(async (cluster) => {
      const client = clients.get(cluster.name) as KubeClient
      for (const node of cluster.nodes) {
        await poll(`node ${node.name} to be Ready`, 120_000, async () => {
          const object = await client.get<KubeObject & {spec?: {podCIDR?: string}; status?: {conditions?: Array<{type: string; status: string}>}}>(Resources.Node, node.name)
          const ready = object.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True')
          return ready && object.spec?.podCIDR ? true : undefined
        })
      }

      await poll(`CoreDNS in ${cluster.name}`, 180_000, async () => {
        const deployment = await client.get<KubeObject & {status?: {readyReplicas?: number}}>(Resources.Deployment, 'coredns', 'kube-system')
        return (deployment.status?.readyReplicas ?? 0) >= 1 ? true : undefined
      })
    }),
  )
}

/** Kills every process of the lab: those in its namespaces, and those whose command line names its files. */
function killLabProcesses(): void {
  const victims = new Set<number>()
  for (const netns of labNamespaces()) {
    for (const pid of sh(['ip', 'netns', 'pids', netns], {allowFailure: true}).split('\n').filter(Boolean)) victims.add(Number(pid))
  }

  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8')
      if (cmdline.includes(STATE_DIR) || cmdline.includes(CACHE_DIR) || environ.includes(`${LAB_MARKER}=${STATE_DIR}\0`)) victims.add(Number(entry))
    } catch {
      // the process is gone
    }
  }

  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** Removes the mount points the node runtimes had to create on the host, deepest first. */
function removeCreatedMountpoints(): void {
  const nodesDir = join(STATE_DIR, 'nodes')
  if (!existsSync(nodesDir)) return
  const created = new Set<string>()
  for (const node of readdirSync(nodesDir)) {
    const record = join(nodesDir, node, 'created-mountpoints')
    if (existsSync(record)) for (const line of readFileSync(record, 'utf8').split('\n')) if (line) created.add(line)
  }

  for (const path of [...created].sort((a, b) => b.length - a.length)) {
    try {
      const info = statSync(path)
      if (info.isDirectory()) rmdirSync(path)
      else if (info.size === 0) unlinkSync(path)
    } catch {
      // gone already, or not empty: leave it
    }
  }
}

export async function down(log: Log): Promise<void> {
  killLabProcesses()
  // Processes die asynchronously; a namespace is only freed once its last process is gone.
  for (let attempt = 0; attempt < 20 && readState()?.processes.some((entry) => alive(entry.pid)); attempt++) {
    await sleep(100)
  }

  const namespaces = labNamespaces()
  for (const netns of namespaces) sh(['ip', 'netns', 'delete', netns], {allowFailure: true})
  removeCreatedMountpoints()
  rmSync(STATE_DIR, {force: true, recursive: true})
  if (namespaces.length > 0) log(`the lab is down (${namespaces.length} network namespaces removed)`)
  else log('the lab is down')
}
