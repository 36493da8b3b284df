/**
 * Multi-Cluster Services objects and Lighthouse's label and annotation keys (reference/lighthouse.md
 * §1): the wire contract with Go Lighthouse agents in other clusters.
 */
import type {Condition} from './submariner.js'
import type {V1Endpoint, V1EndpointSlice, V1ServiceSpec} from '@kubernetes/client-node'

import type {KubeObject, Model, ServiceModel, Wire} from '../k8s/objects.js'

export const LABEL_SERVICE_NAME = 'multicluster.kubernetes.io/service-name'
export const LABEL_SOURCE_CLUSTER = 'multicluster.kubernetes.io/source-cluster'
export const LABEL_SOURCE_NAMESPACE = 'lighthouse.submariner.io/sourceNamespace'
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by'
export const LABEL_IS_HEADLESS = 'lighthouse.submariner.io/is-headless'
export const LABEL_SOURCE_NAME = 'lighthouse.submariner.io/source-name'
export const LABEL_ORIGINATING_NAMESPACE = 'submariner-io/originatingNamespace'
export const LABEL_K8S_SERVICE_NAME = 'kubernetes.io/service-name'
export const MANAGED_BY_LIGHTHOUSE = 'lighthouse-agent.submariner.io'
export const ANNOTATION_PUBLISH_NOT_READY = 'lighthouse.submariner.io/publish-not-ready-addresses'
export const ANNOTATION_GLOBALNET_ENABLED = 'lighthouse.submariner.io/globalnet-enabled'
export const ANNOTATION_USE_CLUSTERSET_IP = 'lighthouse.submariner.io/use-clusterset-ip'
export const ANNOTATION_CLUSTERSET_IP_ALLOCATED_BY = 'lighthouse.submariner.io/clusterset-ip-allocated-by'
export const ANNOTATION_TIMESTAMP_PREFIX = 'timestamp.submariner.io/'
/** On the broker's aggregate, per exporting cluster: what its export says (type, exported labels and annotations), as JSON. */
export const ANNOTATION_EXPORT_PREFIX = 'export.lighthouse.submariner.io/'

export interface ServicePort {
  name?: string
  protocol?: string
  appProtocol?: string
  port: number
}

export interface ServiceExport extends KubeObject {
  spec?: {exportedLabels?: Record<string, string>; exportedAnnotations?: Record<string, string>}
  status?: {conditions?: Condition[]}
}

export interface ServiceImportSpec {
  type: 'ClusterSetIP' | 'Headless'
  ports: ServicePort[]
  ips?: string[]
  sessionAffinity?: string
  sessionAffinityConfig?: {clientIP?: {timeoutSeconds?: number}}
  ipFamilies?: string[]
  internalTrafficPolicy?: string
  trafficDistribution?: string
}

export interface ServiceImport extends KubeObject {
  spec: ServiceImportSpec
  status?: {clusters?: Array<{cluster: string}>}
}

/** client-node's EndpointSlice endpoint, as on the wire. */
export type Endpoint = Wire<V1Endpoint>

export type EndpointSlice = Model<V1EndpointSlice>

/** A Service, with the spec the API server always returns. */
export type ServiceObject = ServiceModel & {spec: Wire<V1ServiceSpec>}
