/** Small pieces the operator's reconcilers share: readiness of workloads, conditions, owners. */
import type {Condition} from '../../api/submariner.js'
import type {DaemonSetObject, DeploymentObject, KubeObject} from '../../k8s/objects.js'
import {sameContent} from '../../lib/canonical.js'

export type {DaemonSetObject, DeploymentObject} from '../../k8s/objects.js'

/** Every scheduled pod is up to date and ready (a DaemonSet with no eligible node counts as ready). */
export function daemonSetReady(daemonSet: DaemonSetObject | undefined): boolean {
  const status = daemonSet?.status
  if (!daemonSet || !status) return false
  const desired = status.desiredNumberScheduled ?? 0
  return (
    (status.observedGeneration ?? 0) >= (daemonSet.metadata.generation ?? 0) &&
    (status.updatedNumberScheduled ?? 0) >= desired &&
    (status.numberReady ?? 0) >= desired
  )
}

export function deploymentReady(deployment: DeploymentObject | undefined): boolean {
  const status = deployment?.status
  if (!deployment || !status) return false
  const wanted = deployment.spec?.replicas ?? 1
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= wanted &&
    (status.readyReplicas ?? 0) >= wanted
  )
}

export function condition(type: string, status: Condition['status'], reason: string, message: string): Condition {
  return {lastTransitionTime: new Date().toISOString(), message, reason, status, type}
}

/** Replaces a condition of the same type, keeping its transition time when its status is unchanged. */
export function setCondition(existing: Condition[] | undefined, next: Condition): Condition[] {
  const previous = existing?.find((entry) => entry.type === next.type)
  const merged = previous && previous.status === next.status ? {...next, lastTransitionTime: previous.lastTransitionTime} : next
  return [...(existing ?? []).filter((entry) => entry.type !== next.type), merged]
}

/** An owner reference to a CR, so that what it owns goes with it. */
export function ownedBy(owner: KubeObject) {
  return [
    {
      apiVersion: owner.apiVersion as string,
      blockOwnerDeletion: true,
      controller: true,
      kind: owner.kind as string,
      name: owner.metadata.name as string,
      uid: owner.metadata.uid as string,
    },
  ]
}

/**
 * Whether the status differs (writing it anyway would wake every watcher). The status is written
 * whole, with an update of the status subresource: a merge patch would keep fields the new status
 * omits, such as a DaemonSet's numberUnavailable once it is back to 0.
 */
export function statusChanged(current: unknown, next: unknown): boolean {
  return !sameContent(current ?? {}, next)
}
