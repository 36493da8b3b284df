/**
 * Copies of objects in another namespace or cluster, as the gateway's broker sync (Endpoints,
 * Clusters) and the Lighthouse agent (EndpointSlices) keep them: a copy keeps the name, labels,
 * annotations and the body outside metadata and status, and is rewritten only when one of those
 * changed.
 */
import type {KubeClient} from '../../k8s/client.js'
import {isAlreadyExists} from '../../k8s/errors.js'
import type {KubeObject} from '../../k8s/objects.js'
import type {ResourceType} from '../../k8s/resources.js'
import {sameContent} from '../../lib/canonical.js'

/** The copy of `object` in `namespace`, with `extraLabels` added. */
export function mirrorOf<T extends KubeObject>(object: T, namespace: string, extraLabels: Record<string, string> = {}): T {
  const {metadata, status: _status, ...body} = object as T & {status?: unknown}
  return {
    ...body,
    metadata: {annotations: metadata.annotations ?? {}, labels: {...metadata.labels, ...extraLabels}, name: metadata.name, namespace},
  } as T
}

/** An absent list or map is the same as an empty one: the API server returns either. */
function normalized(value: unknown): unknown {
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value) && value.length === 0) return undefined
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return undefined
  return value
}

/**
 * Whether `existing` is not yet the copy `wanted`. Annotations are a subset test: a copy only adds
 * what it carries, so annotations someone else set on the target (join's, on a Cluster) stay.
 */
export function mirrorDiffers<T extends KubeObject>(existing: T | undefined, wanted: T): boolean {
  if (!existing) return true
  const annotations = existing.metadata.annotations ?? {}
  if (!Object.entries(wanted.metadata.annotations ?? {}).every(([key, value]) => annotations[key] === value)) return true
  if (!sameContent(existing.metadata.labels ?? {}, wanted.metadata.labels ?? {})) return true
  const {metadata: _existingMetadata, status: _existingStatus, ...existingBody} = existing as T & {status?: unknown}
  const {metadata: _wantedMetadata, status: _wantedStatus, ...wantedBody} = wanted as T & {status?: unknown}
  const keys = new Set([...Object.keys(existingBody), ...Object.keys(wantedBody)])
  return [...keys].some((key) => !sameContent(normalized((existingBody as Record<string, unknown>)[key]), normalized((wantedBody as Record<string, unknown>)[key])))
}

/**
 * Converges the copies in one namespace to `wanted`, matched by name: creates the missing ones,
 * updates the changed ones, deletes the rest of `existing`.
 */
export async function syncMirrors<T extends KubeObject>(client: KubeClient, type: ResourceType, namespace: string, existing: T[], wanted: T[]): Promise<void> {
  for (const copy of wanted) {
    const current = existing.find((candidate) => candidate.metadata.name === copy.metadata.name)
    if (!current) await client.create(copy).catch((error: unknown) => (isAlreadyExists(error) ? undefined : Promise.reject(error)))
    else if (mirrorDiffers(current, copy)) await client.update({...copy, metadata: {...copy.metadata, resourceVersion: current.metadata.resourceVersion}})
  }

  for (const stale of existing.filter((copy) => !wanted.some((kept) => kept.metadata.name === copy.metadata.name))) {
    await client.delete(type, stale.metadata.name as string, namespace)
  }
}
