/**
 * Whether the gateway that holds the lease is known to be gone, so that another may take over at
 * once instead of waiting for the lease to run out, judged from the gateway pods on the holder's
 * node in a pod cache that is current (the caller checks that: a cache that lost its watch may
 * show the holder's container as it was before the holder took the lease). Gone: no gateway pod
 * is left on that node, or its container is not running, or it started again after the lease was
 * acquired (the holder was the process before). A pod being deleted is not: its gateway releases
 * the lease on the way out.
 */
import type {LeaseSpec} from '../runtime/leader.js'

export interface GatewayPodView {
  metadata: {deletionTimestamp?: string}
  status?: {containerStatuses?: Array<{state?: {running?: {startedAt?: string}; terminated?: unknown; waiting?: unknown}}>}
}

export function holderIsGone(pods: GatewayPodView[], lease: LeaseSpec): boolean {
  if (pods.length === 0) return true
  if (pods.some((pod) => pod.metadata.deletionTimestamp)) return false
  const acquired = Date.parse(lease.acquireTime ?? '') || 0
  return pods.every((pod) =>
    (pod.status?.containerStatuses ?? []).some((status) => {
      const started = Date.parse(status.state?.running?.startedAt ?? '')
      return !Number.isFinite(started) ? Boolean(status.state?.terminated ?? status.state?.waiting) : started > acquired
    }),
  )
}
