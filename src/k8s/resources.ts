/**
 * The resource types subctl and the agents touch, with their REST coordinates. A static table
 * instead of API discovery: one round trip fewer per call, and a CRD that is not installed simply
 * answers 404, which the error classifier turns into "not found" like upstream's IsNotFoundErr.
 */

export interface ResourceType {
  group: string
  version: string
  kind: string
  plural: string
  namespaced: boolean
}

function type(apiVersion: string, kind: string, plural: string, namespaced = true): ResourceType {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion]
  return {group, kind, namespaced, plural, version}
}

export const Resources = {
  ClusterRole: type('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  ClusterRoleBinding: type('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  ConfigMap: type('v1', 'ConfigMap', 'configmaps'),
  CustomResourceDefinition: type('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  DaemonSet: type('apps/v1', 'DaemonSet', 'daemonsets'),
  Deployment: type('apps/v1', 'Deployment', 'deployments'),
  EndpointSlice: type('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices'),
  Endpoints: type('v1', 'Endpoints', 'endpoints'),
  Event: type('v1', 'Event', 'events'),
  Lease: type('coordination.k8s.io/v1', 'Lease', 'leases'),
  Namespace: type('v1', 'Namespace', 'namespaces', false),
  Node: type('v1', 'Node', 'nodes', false),
  Pod: type('v1', 'Pod', 'pods'),
  ReplicaSet: type('apps/v1', 'ReplicaSet', 'replicasets'),
  Role: type('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  RoleBinding: type('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  Secret: type('v1', 'Secret', 'secrets'),
  Service: type('v1', 'Service', 'services'),
  StatefulSet: type('apps/v1', 'StatefulSet', 'statefulsets'),
  ServiceAccount: type('v1', 'ServiceAccount', 'serviceaccounts'),
  ServiceCIDR: type('networking.k8s.io/v1', 'ServiceCIDR', 'servicecidrs', false),
  OpenShiftNetwork: type('config.openshift.io/v1', 'Network', 'networks', false),
  // submariner.io/v1alpha1: the operator's CRs
  Broker: type('submariner.io/v1alpha1', 'Broker', 'brokers'),
  ServiceDiscovery: type('submariner.io/v1alpha1', 'ServiceDiscovery', 'servicediscoveries'),
  Submariner: type('submariner.io/v1alpha1', 'Submariner', 'submariners'),
  // submariner.io/v1: the data plane
  Cluster: type('submariner.io/v1', 'Cluster', 'clusters'),
  ClusterGlobalEgressIP: type('submariner.io/v1', 'ClusterGlobalEgressIP', 'clusterglobalegressips', false),
  Endpoint: type('submariner.io/v1', 'Endpoint', 'endpoints'),
  Gateway: type('submariner.io/v1', 'Gateway', 'gateways'),
  GatewayRoute: type('submariner.io/v1', 'GatewayRoute', 'gatewayroutes'),
  GlobalEgressIP: type('submariner.io/v1', 'GlobalEgressIP', 'globalegressips'),
  GlobalIngressIP: type('submariner.io/v1', 'GlobalIngressIP', 'globalingressips'),
  NonGatewayRoute: type('submariner.io/v1', 'NonGatewayRoute', 'nongatewayroutes'),
  RouteAgent: type('submariner.io/v1', 'RouteAgent', 'routeagents'),
  // Multi-Cluster Services API
  ServiceExport: type('multicluster.x-k8s.io/v1alpha1', 'ServiceExport', 'serviceexports'),
  ServiceImport: type('multicluster.x-k8s.io/v1alpha1', 'ServiceImport', 'serviceimports'),
  // Read by diagnose when the CNI is Calico
  CalicoIPPool: type('crd.projectcalico.org/v1', 'IPPool', 'ippools', false),
} as const satisfies Record<string, ResourceType>

export type ResourceName = keyof typeof Resources

/** `group/version`, or just `version` for the core group. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`
}

/** Finds the registered type of an object by its apiVersion and kind. */
export function resourceTypeOf(apiVersion: string | undefined, kind: string | undefined): ResourceType | undefined {
  return Object.values(Resources).find((candidate) => apiVersionOf(candidate) === apiVersion && candidate.kind === kind)
}

/** The REST path of a collection or, with a name, of one object (and optionally a subresource). */
export function resourcePath(
  type: ResourceType,
  options: {namespace?: string | undefined; name?: string | undefined; subresource?: string | undefined} = {},
): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`
  const scope = type.namespaced && options.namespace ? `/namespaces/${encodeURIComponent(options.namespace)}` : ''
  const name = options.name ? `/${encodeURIComponent(options.name)}` : ''
  const subresource = options.name && options.subresource ? `/${options.subresource}` : ''
  return `${base}${scope}/${type.plural}${name}${subresource}`
}
