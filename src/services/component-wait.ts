/**
 * join's last step: waiting until the operator reports the components deployed and ready. While it
 * waits it says why they are not (a pod that crash-loops, with its last error); a gateway whose
 * cable driver cannot start fails the wait at once, with the gateway's own message and fix; and a
 * gateway that works without something (a public IP) is reported as a warning.
 */
import {CABLE_DRIVER_FAILED, OPERATOR_NAMESPACE, SERVICE_DISCOVERY_CR, SUBMARINER_CR, type Gateway} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import type {KubeObject} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {waitForObject} from '../k8s/wait.js'
import {SubctlError} from '../lib/errors.js'
import type {Reporter, StepReporter} from '../lib/reporter.js'

type ReadyCr = KubeObject & {status?: {conditions?: Array<{type: string; status: string; reason?: string; message?: string; observedGeneration?: number}>}}

interface PodLike extends KubeObject {
  status?: {
    containerStatuses?: Array<{
      name: string
      restartCount?: number
      state?: {waiting?: {reason?: string; message?: string}}
      lastState?: {terminated?: {exitCode?: number; message?: string; reason?: string}}
    }>
  }
}

const readyCondition = (object: ReadyCr | undefined) => object?.status?.conditions?.find((condition) => condition.type === 'Ready')
const progressOf = (object: ReadyCr | undefined) => readyCondition(object)?.message ?? 'no status yet'
const CRASH_CHECK_MS = 3000

/**
 * Ready, or a failure with a known cause, thrown at once; either about the spec join just wrote: a
 * condition the operator set for an earlier generation (the cluster was joined before) says nothing.
 */
function readyOrFailed(object: ReadyCr | undefined): boolean {
  const ready = readyCondition(object)
  if ((ready?.observedGeneration ?? 0) < (object?.metadata.generation ?? 0)) return false
  if (ready?.status === 'False' && ready.reason === CABLE_DRIVER_FAILED) {
    throw new SubctlError('GATEWAY_FAILED', `The gateway cannot connect the cluster: ${ready.message}`, {
      hint: 'Join again with a cable driver this cluster supports (--cable-driver)',
    })
  }

  return ready?.status === 'True'
}

/** What crash-looping containers of the operator namespace last said, once per pod and message. */
function crashReporter(client: KubeClient, step: StepReporter): () => Promise<void> {
  const told = new Set<string>()
  return async () => {
    const pods = await client.list<PodLike>(Resources.Pod, {namespace: OPERATOR_NAMESPACE})
    for (const pod of pods.items) {
      for (const container of pod.status?.containerStatuses ?? []) {
        const crashing = container.state?.waiting?.reason === 'CrashLoopBackOff' || (container.restartCount ?? 0) > 2
        const last = container.lastState?.terminated
        if (!crashing || !last) continue
        const said = (last.message ?? '').trim().split('\n').pop() || `${last.reason ?? 'exited'} with code ${last.exitCode ?? '?'}`
        const line = `${pod.metadata.name} is crash-looping (${container.restartCount ?? 0} restarts): ${said}`
        if (told.has(line)) continue
        told.add(line)
        step.warning(line)
      }
    }
  }
}

/** Gateways that work without something they should have: their False conditions, as warnings. */
async function reportGatewayConditions(client: KubeClient, step: StepReporter): Promise<void> {
  const gateways = await client.list<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})
  for (const gateway of gateways.items) {
    for (const condition of gateway.status?.conditions ?? []) {
      if (condition.status === 'False') step.warning(`Gateway ${gateway.metadata.name}: ${condition.message}`)
    }
  }
}

/** Waits until the operator reports the components deployed and ready. */
export async function waitForComponents(client: KubeClient, connectivity: boolean, serviceDiscovery: boolean, timeoutMs: number, reporter: Reporter): Promise<void> {
  const waits: Array<[string, typeof Resources.Submariner, string]> = []
  if (connectivity) waits.push(['Waiting for the connectivity components', Resources.Submariner, SUBMARINER_CR])
  if (serviceDiscovery) waits.push(['Waiting for the service discovery components', Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR])
  for (const [title, type, name] of waits) {
    await reporter.step(title, async (step) => {
      const checkCrashes = crashReporter(client, step)
      const timer = setInterval(() => void checkCrashes().catch((error: unknown) => step.warning(`could not look at the pods: ${(error as Error).message}`)), CRASH_CHECK_MS)
      try {
        await waitForObject<ReadyCr>(client, type, name, OPERATOR_NAMESPACE, readyOrFailed, {
          description: `the operator to report ${type.kind} ${name} ready`,
          hint: `See kubectl -n ${OPERATOR_NAMESPACE} get pods; "subctl join --no-wait" skips this wait`,
          progress: progressOf,
          timeoutMs,
        })
      } finally {
        clearInterval(timer)
      }

      if (type === Resources.Submariner) await reportGatewayConditions(client, step)
      step.success(`${type.kind} components are deployed and ready`)
    })
  }
}
