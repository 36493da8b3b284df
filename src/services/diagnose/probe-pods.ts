/**
 * The probe pods of diagnose (reference/subctl.md §8.1): a nettest-image pod that runs one shell
 * command and ends, labelled `submariner.io/transient=true` so that the pod checks skip it, on a
 * gateway, a non-gateway or a named node, tolerating every taint. Host-network pods are
 * privileged with NET_ADMIN and NET_RAW (tcpdump). The output is read from the pod's log, which
 * also holds what the command wrote to stderr. Every pod is deleted, whatever happens.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {GATEWAY_LABEL} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import type {PodObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {SubctlError} from '../../lib/errors.js'

export const TRANSIENT_LABEL = 'submariner.io/transient'

export interface ProbeSettings {
  namespace: string
  image: string
  /** How long a pod may take to start, and then to end. */
  timeoutMs: number
}

export type Placement = {kind: 'gateway'} | {kind: 'non-gateway'} | {kind: 'node'; node: string}

export interface ProbeSpec {
  /** generateName, and the app label: validate-sniffer, validate-client, query-iface-list... */
  name: string
  /** A shell command (sh -c), as upstream's probes; or */
  command?: string
  /** the arguments of the nettest image's own entrypoint (nettest resolve, nettest connect). */
  args?: string[]
  placement: Placement
  hostNetwork?: boolean
}

function affinity(placement: Placement): Record<string, unknown> {
  if (placement.kind === 'node') return {nodeName: placement.node}
  const terms =
    placement.kind === 'gateway'
      ? [{matchExpressions: [{key: GATEWAY_LABEL, operator: 'In', values: ['true']}]}]
      : [{matchExpressions: [{key: GATEWAY_LABEL, operator: 'DoesNotExist'}]}, {matchExpressions: [{key: GATEWAY_LABEL, operator: 'NotIn', values: ['true']}]}]
  return {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: terms}}}}
}

export function probePodManifest(settings: ProbeSettings, spec: ProbeSpec): PodObject {
  const security = spec.hostNetwork ? {securityContext: {capabilities: {add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL']}, privileged: true, runAsUser: 0}} : {}
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {generateName: `${spec.name}-`, labels: {app: spec.name, [TRANSIENT_LABEL]: 'true'}, namespace: settings.namespace},
    spec: {
      containers: [{...(spec.args ? {args: spec.args} : {command: ['sh', '-c', spec.command ?? 'true']}), image: settings.image, imagePullPolicy: 'IfNotPresent', name: spec.name, ...security}],
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      tolerations: [{operator: 'Exists'}],
      ...(spec.hostNetwork ? {dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true} : {}),
      ...affinity(spec.placement),
    },
  }
}

/** A started probe pod: wait for it to run, then for its output; always remove it. */
export class ProbePod {
  #pod: PodObject

  private constructor(
    readonly client: KubeClient,
    readonly settings: ProbeSettings,
    pod: PodObject,
  ) {
    this.#pod = pod
  }

  static async start(client: KubeClient, settings: ProbeSettings, spec: ProbeSpec): Promise<ProbePod> {
    return new ProbePod(client, settings, await client.create(probePodManifest(settings, spec)))
  }

  get name(): string {
    return this.#pod.metadata.name as string
  }

  get node(): string {
    return this.#pod.spec?.nodeName ?? '?'
  }

  get ip(): string {
    return this.#pod.status?.podIP ?? ''
  }

  /** Waits until it runs (or has already ended); a pod that fails to start is an error that says why. */
  async running(): Promise<this> {
    await this.#until('to start', (phase) => phase === 'Running' || phase === 'Succeeded' || phase === 'Failed')
    return this
  }

  /** Waits until it ends and returns what it printed. */
  async output(): Promise<string> {
    await this.#until('to finish', (phase) => phase === 'Succeeded' || phase === 'Failed')
    return this.client.podLog(this.name, this.settings.namespace).catch(() => '')
  }

  async remove(): Promise<void> {
    await this.client.delete(Resources.Pod, this.name, this.settings.namespace, {gracePeriodSeconds: 0}).catch(() => undefined)
  }

  async #until(what: string, done: (phase: string) => boolean): Promise<void> {
    const deadline = Date.now() + this.settings.timeoutMs
    for (;;) {
      this.#pod = await this.client.get<PodObject>(Resources.Pod, this.name, this.settings.namespace)
      const phase = this.#pod.status?.phase ?? 'Pending'
      if (done(phase)) return
      if (Date.now() > deadline) {
        const waiting = this.#pod.status?.containerStatuses?.[0]?.state?.waiting
        const unschedulable = this.#pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled' && condition.status === 'False')
        const why = waiting ? `${waiting.reason}: ${waiting.message ?? ''}` : unschedulable ? `not scheduled: ${unschedulable.message ?? ''}` : `phase ${phase}`
        throw new SubctlError('WAIT_TIMEOUT', `probe pod ${this.name} in ${this.settings.namespace} did not get ${what} within ${Math.round(this.settings.timeoutMs / 1000)} s (${why.trim()})`, {
          hint: 'Check that the nettest image can be pulled (--image-override submariner-nettest=IMAGE) and that the nodes have room',
        })
      }

      await sleep(500)
    }
  }
}

/** Runs one probe pod to its end and returns it with its output. */
export async function runProbe(client: KubeClient, settings: ProbeSettings, spec: ProbeSpec): Promise<{pod: ProbePod; output: string}> {
  const pod = await ProbePod.start(client, settings, spec)
  try {
    return {output: await pod.output(), pod}
  } finally {
    await pod.remove()
  }
}
