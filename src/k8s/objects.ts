/** The shape every Kubernetes object shares, and small helpers around it. */
import type {V1ClusterRoleBinding, V1ConfigMap, V1DaemonSet, V1Deployment, V1EndpointSlice, V1Node, V1Pod, V1Secret, V1Service} from '@kubernetes/client-node'


export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
  ownerReferences?: Array<{apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean}>
  managedFields?: unknown[]
  [key: string]: unknown
}

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  [key: string]: unknown
}

export interface ObjectList<T> {
  items: T[]
  resourceVersion: string
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key controllers queue. */
export function objectKey(object: {metadata: ObjectMeta}): string {
  const {name = '', namespace} = object.metadata
  return namespace ? `${namespace}/${name}` : name
}

export function splitKey(key: string): {namespace: string | undefined; name: string} {
  const slash = key.indexOf('/')
  return slash === -1 ? {name: key, namespace: undefined} : {name: key.slice(slash + 1), namespace: key.slice(0, slash)}
}

/** Whether every key=value of the selector is among the labels. */
export function matchesLabels(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value)
}

/** Renders an equality label selector (`a=b,c=d`) for list and watch calls. */
export function labelSelector(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',')
}

/**
 * client-node's model of a kind as this client reads and writes it: the JSON on the wire, so its
 * Date fields are RFC 3339 strings (client-node's own serializer, which makes Dates, is not used:
 * see client.ts), with KubeObject's metadata.
 */
export type Model<T> = Wire<Omit<T, 'apiVersion' | 'kind' | 'metadata'>> & KubeObject

export type Wire<T> = T extends Date ? string : T extends Array<infer Item> ? Array<Wire<Item>> : T extends object ? {[Key in keyof T]: Wire<T[Key]>} : T

export type ConfigMap = Model<V1ConfigMap>
export type Secret = Model<V1Secret>
export type NodeObject = Model<V1Node>
export type PodObject = Model<V1Pod>
export type ServiceModel = Model<V1Service>
export type DeploymentObject = Model<V1Deployment>
export type DaemonSetObject = Model<V1DaemonSet>
export type EndpointSliceObject = Model<V1EndpointSlice>
export type ClusterRoleBindingObject = Model<V1ClusterRoleBinding>
