/**
 * Bringing the lab up and down. `up` is idempotent (a healthy lab of the same shape is left as it
 * is; anything else, including the leftovers of a crashed run, is cleaned first); `down` removes
 * every namespace, link, process, mount point and file the lab made.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {build} from 'esbuild'

import type {KubeClient} from '../../src/k8s/client.js'
import {clientForServer} from '../../src/k8s/clients.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {cniObjects, corednsObjects, kubeadmConfig} from './addons.js'
import {ensureBinaries, ensureNodeHelper, ensurePackages, kubernetesVersion} from './build.js'
import {
  apiServerURL,
  BRIDGE,
  BRIDGE_NETNS,
  CACHE_DIR,
  CLUSTER_DOMAIN,
  controlPlaneOf,
  dnsServiceIP,
  ETCD_URL,
  HOST_IP,
  HOST_NETNS,
  hostApiPort,
  LAB_MARKER,
  LAB_SOURCE,
  NETNS_PREFIX,
  parseClusters,
  paths,
  REPO,
  STATE_DIR,
  UNDERLAY_PREFIX,
  type ClusterConfig,
  type NodeConfig,
} from './config.js'
import type {RuntimeConfig} from './node/types.js'
import {clusterPki, KUBELET_CLIENT_CN, kubeconfig, type ClusterPki} from './pki.js'
import {inNetns, sh, startDaemon} from './sh.js'

export interface LabState {
  clusters: string
  binDir: string
  nodeHelper: string
  processes: LabProcess[]
  up: boolean
}

export interface LabProcess {
  name: string
  pid: number
  /** What was started, so `lab restart` can start it again. */
  command: string[]
}

export type Log = (line: string) => void

export function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as LabState
  } catch {
    return undefined
  }
}

export function writeState(state: LabState): void {
  writeFileSync(paths.state, JSON.stringify(state, null, 2))
}

/** Whether a process runs: a zombie does not (this machine's init may be slow to reap them). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Every network namespace the lab made (nodes, pods, the bridge and the host). */
export function labNamespaces(): string[] {
  return sh(['ip', 'netns', 'list'], {allowFailure: true})
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(NETNS_PREFIX))
}

/** An admin client for a cluster, through the host's loopback forwarder. */
export function adminClient(cluster: ClusterConfig, pki: ClusterPki = clusterPki(cluster)): Promise<KubeClient> {
  return clientForServer(
    {
      ca: readFileSync(pki.ca.cert),
      cert: readFileSync(pki.admin.cert),
      displayName: `lab cluster ${cluster.name}`,
      key: readFileSync(pki.admin.key),
      server: `https://127.0.0.1:${hostApiPort(cluster)}`,
    },
    'subctl-lab',
  )
}

export async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const result = await probe()
      if (result !== undefined && result !== false) return result
    } catch (error) {
      lastError = error
    }

    await sleep(250)
  }

  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`)
}

function createUnderlay(): void {
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

function createNode(node: NodeConfig, port: string): void {
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

function componentKubeconfig(cluster: ClusterConfig, pki: ClusterPki, name: string, user: {cert: string; key: string}): string {
  const file = join(paths.clusterDir(cluster.name), `${name}.kubeconfig`)
  writeFileSync(file, kubeconfig([{ca: pki.ca.cert, name: cluster.name, server: apiServerURL(cluster), user}]))
  return file
}

/**
 * Starts a lab process, in a node's network namespace when given one. nsenter rather than `ip netns
 * exec`: the latter gives the process a private mount namespace, and the network namespaces a node
 * runtime creates for its pods would then be invisible to the rest of the machine.
 */
function daemon(state: LabState, name: string, netns: string | undefined, command: string[]): void {
  const full = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', ...command] : command
  const pid = startDaemon(full, join(paths.logs, `${name}.log`))
  state.processes.push({command: full, name, pid})
  writeState(state)
}

function startControlPlane(state: LabState, cluster: ClusterConfig, pki: ClusterPki): void {
  const bin = (name: string) => join(state.binDir, name)
  const controlPlane = controlPlaneOf(cluster)
  daemon(state, `${cluster.name}-kube-apiserver`, controlPlane.netns, [
    bin('kube-apiserver'),
    `--advertise-address=${controlPlane.ip}`,
    '--bind-address=0.0.0.0',
    '--secure-port=6443',
    `--etcd-servers=${ETCD_URL}`,
    `--etcd-prefix=/lab/${cluster.name}`,
    `--service-cluster-ip-range=${cluster.serviceCIDR}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    `--client-ca-file=${pki.ca.cert}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
    `--kubelet-client-key=${pki.kubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.ca.cert}`,
    '--kubelet-preferred-address-types=InternalIP',
    `--service-account-issuer=https://kubernetes.default.svc.${CLUSTER_DOMAIN}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--profiling=false',
    '--event-ttl=1h',
  ])
}

function startControllers(state: LabState, cluster: ClusterConfig, pki: ClusterPki): void {
  const bin = (name: string) => join(state.binDir, name)
  const controlPlane = controlPlaneOf(cluster)
  daemon(state, `${cluster.name}-kube-controller-manager`, controlPlane.netns, [
    bin('kube-controller-manager'),
    `--kubeconfig=${componentKubeconfig(cluster, pki, 'controller-manager', pki.controllerManager)}`,
    '--bind-address=127.0.0.1',
    `--cluster-name=${cluster.name}`,
    `--cluster-cidr=${cluster.podCIDR}`,
    '--allocate-node-cidrs=true',
    '--node-cidr-mask-size=24',
    `--service-cluster-ip-range=${cluster.serviceCIDR}`,
    `--root-ca-file=${pki.ca.cert}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--cluster-signing-cert-file=${pki.ca.cert}`,
    `--cluster-signing-key-file=${pki.ca.key}`,
    '--use-service-account-credentials=true',
    '--leader-elect=false',
    '--profiling=false',
  ])
  daemon(state, `${cluster.name}-kube-scheduler`, controlPlane.netns, [
    bin('kube-scheduler'),
    `--kubeconfig=${componentKubeconfig(cluster, pki, 'scheduler', pki.scheduler)}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    '--profiling=false',
  ])
}

function startNode(state: LabState, cluster: ClusterConfig, node: NodeConfig, pki: ClusterPki): void {
  const nodeDir = paths.nodeDir(node.name)
  mkdirSync(nodeDir, {recursive: true})
  const credentials = pki.nodes[node.name] as ClusterPki['nodes'][string]
  const config: RuntimeConfig = {
    agentBundle: join(REPO, 'dist', 'agent.js'),
    apiServer: apiServerURL(cluster),
    busyboxBin: paths.busyboxBin,
    caFile: pki.ca.cert,
    certFile: credentials.client.cert,
    cniCertFile: pki.cni.cert,
    cniKeyFile: pki.cni.key,
    cluster: cluster.name,
    clusterCIDR: cluster.podCIDR,
    clusterDomain: CLUSTER_DOMAIN,
    controlPlane: node.controlPlane,
    corednsBinary: join(state.binDir, 'coredns'),
    dnsIP: dnsServiceIP(cluster),
    keyFile: credentials.client.key,
    kubeletClientCN: KUBELET_CLIENT_CN,
    kubeletVersion: kubernetesVersion(),
    mountpointRecord: join(nodeDir, 'created-mountpoints'),
    node: node.name,
    nodeHelper: state.nodeHelper,
    nodeIP: node.ip,
    runtimeSocket: join(nodeDir, 'runtime.sock'),
    serviceCIDR: cluster.serviceCIDR,
    servingCertFile: credentials.serving.cert,
    servingKeyFile: credentials.serving.key,
    stateDir: nodeDir,
    upstreamResolver: HOST_IP,
  }
  const configFile = join(nodeDir, 'runtime.json')
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  daemon(state, `${node.name}-runtime`, node.netns, [process.execPath, paths.runtimeBundle, configFile])

  const proxyConfig = join(nodeDir, 'kube-proxy.yaml')
  writeFileSync(
    proxyConfig,
    [
      'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
      'kind: KubeProxyConfiguration',
      'bindAddress: 0.0.0.0',
      'clientConnection:',
      `  kubeconfig: ${componentKubeconfig(cluster, pki, 'kube-proxy', pki.kubeProxy)}`,
      `clusterCIDR: ${cluster.podCIDR}`,
      // Conntrack sysctls are global to the kernel, not per namespace: leave them alone.
      'conntrack:',
      '  maxPerCore: 0',
      '  min: 0',
      '  tcpEstablishedTimeout: 0s',
      '  tcpCloseWaitTimeout: 0s',
      'healthzBindAddress: 127.0.0.1:10256',
      'metricsBindAddress: 127.0.0.1:10249',
      `hostnameOverride: ${node.name}`,
      'mode: iptables',
      'iptables:',
      '  minSyncPeriod: 1s',
      '  syncPeriod: 30s',
      '',
    ].join('\n'),
  )
  daemon(state, `${node.name}-kube-proxy`, node.netns, [join(state.binDir, 'kube-proxy'), `--config=${proxyConfig}`])
}

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
    ['subctl', join(REPO, 'bin', 'run.js')],
    ['kubectl', join(binDir, 'kubectl')],
  ]) {
    const link = join(paths.bin, name as string)
    rmSync(link, {force: true})
    symlinkSync(target as string, link)
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
  daemon(state, 'netns-forward', undefined, [
    join(binDir, 'netns-forward'),
    `-netns=/run/netns/${HOST_NETNS}`,
    ...clusters.map((cluster) => `127.0.0.1:${hostApiPort(cluster)}=${controlPlaneOf(cluster).ip}:6443`),
  ])

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
