/**
 * Helpers for tests that run against the lab: commands inside the lab network, kubectl and a typed
 * client from this host (through the loopback forwarders), and waiting for conditions.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {paths} from '../lab/config.js'
import {ROOT, run, type RunResult} from './cli.js'

export const LAB_CLI = ['--import', 'tsx', join(ROOT, 'test', 'lab', 'cli.ts')]

/** `npm run lab -- ARGS` */
export function lab(args: string[], timeoutMs = 600_000): Promise<RunResult> {
  return run(process.execPath, [...LAB_CLI, ...args], {timeoutMs})
}

/** Runs a command inside the lab network, as `npm run lab -- exec -- CMD` does. */
export function labExec(command: string[], options: {pod?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  const pod = options.pod ? ['--pod', options.pod] : []
  return run(process.execPath, [...LAB_CLI, 'exec', ...pod, '--', ...command], {timeoutMs: options.timeoutMs ?? 120_000})
}

/** kubectl from this host against a lab cluster. */
export async function kubectl(context: string, args: string[], input?: string): Promise<RunResult> {
  return run(join(paths.bin, 'kubectl'), ['--kubeconfig', paths.hostKubeconfig, '--context', context, ...args], {input})
}

/** Like kubectl, but throws with kubectl's stderr unless it succeeds. */
export async function kubectlOk(context: string, args: string[], input?: string): Promise<string> {
  const result = await kubectl(context, args, input)
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

/** A typed client for a lab cluster, from this host. */
export async function clusterClient(context: string): Promise<KubeClient> {
  const {loadKubeconfig, resolveTarget} = await import('../../src/k8s/kubeconfig.js')
  const {clientFor} = await import('../../src/k8s/clients.js')
  const loaded = await loadKubeconfig({kubeconfig: paths.hostKubeconfig})
  return clientFor(resolveTarget(loaded, {context}), 'lab-test')
}

/** Polls until `check` returns a value other than undefined/false, or fails with what it last saw. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 120_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
      last = value
    } catch (error) {
      last = error
    }

    await sleep(intervalMs)
  }

  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`)
}

export interface PodLike extends KubeObject {
  spec: {nodeName?: string; containers: Array<{name: string}>}
  status?: {
    phase?: string
    podIP?: string
    containerStatuses?: Array<{ready: boolean; state: {terminated?: {exitCode: number; message?: string}; waiting?: {reason: string; message?: string}}}>
  }
}

/** Runs a one-shot pod to completion and returns it (with its termination message in the status). */
export async function runPodToCompletion(client: KubeClient, pod: KubeObject, timeoutMs = 120_000): Promise<PodLike> {
  await client.create(pod)
  return eventually(
    `pod ${pod.metadata.name} to finish`,
    async () => {
      const current = await client.get<PodLike>(Resources.Pod, pod.metadata.name as string, pod.metadata.namespace)
      return current.status?.phase === 'Succeeded' || current.status?.phase === 'Failed' ? current : undefined
    },
    timeoutMs,
  )
}

/**
 * Runs `nettest connect` pods until one succeeds, as a user would retry: Services and routes are
 * eventually consistent (kube-proxy programs a new endpoint within a second or two). Returns the
 * successful pod, or the last failed one when time runs out.
 */
export async function connectEventually(
  client: KubeClient,
  name: string,
  namespace: string,
  target: string,
  extra: Parameters<typeof connectPod>[3] = {},
  timeoutMs = 60_000,
): Promise<PodLike> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; ; attempt++) {
    const pod = await runPodToCompletion(client, connectPod(`${name}-${attempt}`, namespace, target, extra))
    if (pod.status?.phase === 'Succeeded' || Date.now() > deadline) return pod
    await client.delete(Resources.Pod, pod.metadata.name as string, namespace)
    await sleep(1000)
  }
}

export const AGENT_IMAGE = 'quay.io/submariner/nettest:devel'

/** A one-shot pod running `nettest connect` against a target. */
export function connectPod(name: string, namespace: string, target: string, extra: {nodeName?: string; protocol?: string; count?: number} = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {labels: {app: 'lab-test-client'}, name, namespace},
    spec: {
      containers: [
        {
          args: ['nettest', 'connect', '--target', target, '--protocol', extra.protocol ?? 'tcp', '--count', String(extra.count ?? 3), '--timeout-ms', '3000'],
          image: AGENT_IMAGE,
          name: 'connect',
        },
      ],
      ...(extra.nodeName ? {nodeName: extra.nodeName} : {}),
      restartPolicy: 'Never',
      tolerations: [{operator: 'Exists'}],
    },
  }
}

/** The state file of the lab, for tests that look at its internals. */
export function labState(): {clusters: string; processes: Array<{name: string; pid: number}>} {
  return JSON.parse(readFileSync(paths.state, 'utf8')) as {clusters: string; processes: Array<{name: string; pid: number}>}
}
