/**
 * The middle tier's API servers, as controller-runtime's envtest gives Go operators: the lab's etcd
 * and kube-apiserver alone, with no nodes, no network namespaces and no root, started in seconds on
 * loopback. One etcd serves every API server of a run (each under its own prefix), and each API
 * server gets a kube-controller-manager with only the controllers whose absence would make
 * objects lie: namespace deletion, garbage collection, ServiceAccount token Secrets, and DaemonSet
 * status. Deployments and bound Pods get their status from standInForNodes, which stands in for
 * the deployment controller and the kubelets where a test needs workloads to complete.
 */
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {KubeClient} from '../../src/k8s/client.js'
import {clientForServer} from '../../src/k8s/clients.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {eventually} from '../helpers/lab.js'
import {ensureBinaries} from '../lab/build.js'
import {startLogged} from '../lab/sh.js'

export interface ControlPlane {
  name: string
  server: string
  token: string
  /** A new client; the caller closes it. */
  client(fieldManager?: string): Promise<KubeClient>
}

export interface Envtest {
  planes: Map<string, ControlPlane>
  /** A kubeconfig with one context per control plane, named after it, for the services' kube flags. */
  kubeconfig: string
  /** The one plane of that name. */
  plane(name: string): ControlPlane
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Starts etcd, then one API server (and controller manager) per name; fails with the log tail of what did not come up. */
export async function startEnvtest(names: string[]): Promise<Envtest> {
  const {dir: bin} = await ensureBinaries(() => {})
  const root = mkdtempSync(join(tmpdir(), 'subctl-envtest-'))
  const children: Array<ReturnType<typeof startLogged>> = []
  const start = (name: string, command: string, args: string[]) => {
    children.push(startLogged([join(bin, command), ...args], join(root, `${name}.log`)))
  }

  const kill = async () => {
    // Nothing of a run is kept: no graceful shutdown to wait for.
    for (const child of children) child.kill('SIGKILL')
    await Promise.all(children)
  }
  const stop = async () => {
    await kill()
    rmSync(root, {force: true, recursive: true})
  }

  try {
    const [etcdClient, etcdPeer] = [await freePort(), await freePort()]
    const etcd = `http://127.0.0.1:${etcdClient}`
    start('etcd', 'etcd', [
      `--data-dir=${join(root, 'etcd')}`,
      `--listen-client-urls=${etcd}`,
      `--advertise-client-urls=${etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
    ])

    const {privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    const saKey = join(root, 'sa.key')
    const saPub = join(root, 'sa.pub')
    writeFileSync(saKey, privateKey.export({format: 'pem', type: 'pkcs8'}))
    writeFileSync(saPub, publicKey.export({format: 'pem', type: 'spki'}))
    const token = randomBytes(16).toString('hex')
    const tokens = join(root, 'tokens.csv')
    writeFileSync(tokens, `${token},envtest-admin,envtest-admin,"system:masters"\n`)

    const planes = new Map<string, ControlPlane>()
    let serviceRange = 96
    for (const name of names) {
      const port = await freePort()
      const server = `https://127.0.0.1:${port}`
      start(`${name}-kube-apiserver`, 'kube-apiserver', [
        `--etcd-servers=${etcd}`,
        `--etcd-prefix=/envtest/${name}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${join(root, `${name}-certs`)}`,
        `--token-auth-file=${tokens}`,
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        `--service-cluster-ip-range=10.${serviceRange++}.0.0/16`,
        `--service-account-issuer=https://kubernetes.default.svc`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--profiling=false',
      ])
      planes.set(name, {client: (fieldManager = 'envtest') => clientForServer({displayName: `envtest ${name}`, insecure: true, server, token}, fieldManager), name, server, token})
    }

    await Promise.all([...planes.values()].map((plane) => waitReady(plane, root)))
    for (const {name, server} of planes.values()) {
      const kubeconfig = join(root, `${name}.kubeconfig`)
      writeFileSync(kubeconfig, kubeconfigFor([{name, server, token}]))
      start(`${name}-kube-controller-manager`, 'kube-controller-manager', [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        '--controllers=namespace-controller,garbage-collector-controller,daemonset-controller,serviceaccount-token-controller',
        `--service-account-private-key-file=${saKey}`,
        // The API server's own self-signed certificate: what token Secrets carry as ca.crt.
        `--root-ca-file=${join(root, `${name}-certs`, 'apiserver.crt')}`,
        '--leader-elect=false',
        '--secure-port=0',
      ])
    }

    const kubeconfig = join(root, 'kubeconfig')
    writeFileSync(kubeconfig, kubeconfigFor([...planes.values()]))
    return {
      kubeconfig,
      plane(name) {
        const plane = planes.get(name)
        if (!plane) throw new Error(`no envtest control plane named ${name}`)
        return plane
      },
      planes,
      stop,
    }
  } catch (error) {
    // The logs stay, for the message to point at.
    await kill()
    throw error
  }
}

async function waitReady(plane: ControlPlane, root: string): Promise<void> {
  const client = await plane.client()
  try {
    await eventually(`the envtest API server ${plane.name} to be ready (logs in ${root})`, async () => (await client.serverEndpoint('/readyz')) === 'ok', 90_000, 250)
  } finally {
    client.close()
  }
}

/**
 * Stands in for the deployment controller and the kubelets, until the signal aborts: every
 * Deployment reports all its replicas ready and Available, and every Pod of a DaemonSet runs and
 * is ready at once (the DaemonSet controller counts it on the node its affinity names), so that
 * workloads complete as they would on a cluster.
 */
export async function standInForNodes(plane: ControlPlane, signal: AbortSignal): Promise<void> {
  const client = await plane.client('envtest-nodes')
  try {
    while (!signal.aborted) {
      const deployments = await client.list<KubeObject & {spec?: {replicas?: number}; status?: {observedGeneration?: number}}>(Resources.Deployment).catch(() => ({items: []}))
      for (const deployment of deployments.items) {
        if ((deployment.status?.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0)) continue
        const replicas = deployment.spec?.replicas ?? 1
        const status = {availableReplicas: replicas, conditions: [{status: 'True', type: 'Available'}], observedGeneration: deployment.metadata.generation, readyReplicas: replicas, replicas, updatedReplicas: replicas}
        // A conflict (the object moved on) is answered by the next pass.
        await client.update({...deployment, status}, 'status').catch(() => undefined)
      }

      const pods = await client.list<KubeObject & {spec: {containers: Array<{name: string; image: string}>}; status?: {phase?: string}}>(Resources.Pod).catch(() => ({items: []}))
      for (const pod of pods.items) {
        const ofDaemonSet = pod.metadata.ownerReferences?.some((owner) => owner.kind === 'DaemonSet')
        if (!ofDaemonSet || pod.status?.phase === 'Running' || pod.metadata.deletionTimestamp) continue
        const now = new Date().toISOString()
        const status = {
          conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({lastTransitionTime: now, status: 'True', type})),
          containerStatuses: pod.spec.containers.map((container) => ({image: container.image, imageID: '', name: container.name, ready: true, restartCount: 0, started: true, state: {running: {startedAt: now}}})),
          phase: 'Running',
          startTime: now,
        }
        await client.update({...pod, status}, 'status').catch(() => undefined)
      }

      await sleep(100, undefined, {signal}).catch(() => undefined)
    }
  } finally {
    client.close()
  }
}

function kubeconfigFor(planes: Array<{name: string; server: string; token: string}>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    clusters: planes.map((plane) => ({cluster: {'insecure-skip-tls-verify': true, server: plane.server}, name: plane.name})),
    contexts: planes.map((plane) => ({context: {cluster: plane.name, user: plane.name}, name: plane.name})),
    'current-context': planes[0]?.name ?? '',
    kind: 'Config',
    users: planes.map((plane) => ({name: plane.name, user: {token: plane.token}})),
  })
}
