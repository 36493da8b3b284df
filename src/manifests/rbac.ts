/**
 * RBAC: the broker's roles (reference/subctl.md §13.2), the operator's, and each component's
 * (reference/dataplane.md §7), under upstream's names.
 */
import {BROKER_ADMIN, BROKER_CLUSTER_ROLE, OPERATOR_NAMESPACE} from '../api/submariner.js'
import type {KubeObject} from '../k8s/objects.js'

export interface Rule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
  resourceNames?: string[]
}

const ALL = ['create', 'get', 'list', 'watch', 'patch', 'update', 'delete']
const READ = ['get', 'list', 'watch']
const rule = (apiGroups: string[], resources: string[], verbs: string[]): Rule => ({apiGroups, resources, verbs})

export function serviceAccount(name: string, namespace: string): KubeObject {
  return {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name, namespace}}
}

export function role(name: string, namespace: string, rules: Rule[]): KubeObject {
  return {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name, namespace}, rules}
}

export function clusterRole(name: string, rules: Rule[]): KubeObject {
  return {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name}, rules}
}

export function roleBinding(name: string, namespace: string, roleName: string, account: {name: string; namespace: string}): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {name, namespace},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName},
    subjects: [{kind: 'ServiceAccount', name: account.name, namespace: account.namespace}],
  }
}

export function clusterRoleBinding(name: string, roleName: string, account: {name: string; namespace: string}): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {name},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName},
    subjects: [{kind: 'ServiceAccount', name: account.name, namespace: account.namespace}],
  }
}

/** Rules every joined cluster gets on the broker namespace. No configmaps: allocations use the admin token. */
const brokerClusterRules: Rule[] = [
  rule(['submariner.io'], ['clusters', 'endpoints'], ALL),
  rule(['submariner.io'], ['brokers'], ['get', 'list']),
  rule(['multicluster.x-k8s.io'], ['serviceimports', 'serviceimports/status'], ALL),
  rule(['discovery.k8s.io'], ['endpointslices', 'endpointslices/restricted'], ALL),
]

/** The broker namespace's RBAC, created by deploy-broker. */
export function brokerRbac(namespace: string): KubeObject[] {
  return [
    serviceAccount(BROKER_ADMIN, namespace),
    role(BROKER_ADMIN, namespace, [
      ...brokerClusterRules,
      rule([''], ['serviceaccounts', 'secrets', 'configmaps'], ['create', 'get', 'list', 'watch', 'update', 'delete']),
      rule(['rbac.authorization.k8s.io'], ['rolebindings'], ['create', 'get', 'list', 'delete']),
    ]),
    roleBinding(BROKER_ADMIN, namespace, BROKER_ADMIN, {name: BROKER_ADMIN, namespace}),
    role(BROKER_CLUSTER_ROLE, namespace, [...brokerClusterRules, rule([''], ['secrets'], READ), rule([''], ['serviceaccounts'], ['get', 'list'])]),
  ]
}

/** The per-cluster account on the broker: `cluster-<id>` bound to the broker cluster role. */
export function brokerClusterAccount(clusterId: string, namespace: string): KubeObject[] {
  const name = `cluster-${clusterId}`
  return [serviceAccount(name, namespace), roleBinding(`${name}-${BROKER_CLUSTER_ROLE}`, namespace, BROKER_CLUSTER_ROLE, {name, namespace})]
}

export const OPERATOR = 'submariner-operator'

/** The operator's own account: it deploys the components, installs CRDs, patches CoreDNS. */
export function operatorRbac(namespace = OPERATOR_NAMESPACE): KubeObject[] {
  return [
    serviceAccount(OPERATOR, namespace),
    role(OPERATOR, namespace, [rule(['*'], ['*'], ['*'])]),
    roleBinding(OPERATOR, namespace, OPERATOR, {name: OPERATOR, namespace}),
    clusterRole(OPERATOR, [
      rule(['apps'], ['daemonsets', 'deployments', 'replicasets'], ALL),
      rule([''], ['pods', 'services', 'configmaps', 'secrets', 'endpoints', 'serviceaccounts', 'events'], ALL),
      rule([''], ['namespaces', 'nodes'], READ),
      rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], ['create', 'get', 'list', 'watch', 'patch', 'update']),
      rule(['submariner.io'], ['*'], ALL),
      rule(['multicluster.x-k8s.io'], ['*'], ALL),
      rule(['discovery.k8s.io'], ['endpointslices'], ALL),
      rule(['coordination.k8s.io'], ['leases'], ALL),
      rule(['networking.k8s.io'], ['servicecidrs'], READ),
      rule(['config.openshift.io'], ['networks'], ['get']),
    ]),
    clusterRoleBinding(OPERATOR, OPERATOR, {name: OPERATOR, namespace}),
  ]
}

/** One component's account, role and cluster role, all named after it. */
function componentRbac(name: string, namespace: string, rules: {namespaced: Rule[]; cluster: Rule[]}): KubeObject[] {
  const account = {name, namespace}
  return [
    serviceAccount(name, namespace),
    role(name, namespace, rules.namespaced),
    roleBinding(name, namespace, name, account),
    clusterRole(name, rules.cluster),
    clusterRoleBinding(name, name, account),
  ]
}

/** The components' RBAC, created by subctl with the operator (operator.Ensure step 5 and 6). */
export function componentsRbac(namespace = OPERATOR_NAMESPACE): KubeObject[] {
  return [
    ...componentRbac('submariner-gateway', namespace, {
      cluster: [rule([''], ['configmaps'], ['get']), rule([''], ['pods', 'services', 'nodes'], READ), rule([''], ['namespaces'], ['get'])],
      namespaced: [
        rule([''], ['pods'], ['get', 'update', 'patch']),
        rule(['submariner.io'], ['clusters', 'endpoints', 'gateways'], ALL),
        rule(['coordination.k8s.io'], ['leases'], ALL),
        rule([''], ['secrets'], ['get']),
      ],
    }),
    ...componentRbac('submariner-routeagent', namespace, {
      cluster: [rule([''], ['pods', 'services', 'configmaps', 'endpoints'], ['get', 'list']), rule([''], ['nodes'], READ)],
      namespaced: [
        rule(['submariner.io'], ['endpoints', 'clusters'], READ),
        rule(['submariner.io'], ['routeagents', 'gatewayroutes', 'nongatewayroutes'], ALL),
      ],
    }),
    ...componentRbac('submariner-globalnet', namespace, {
      cluster: [
        rule([''], ['pods', 'namespaces', 'nodes'], READ),
        rule([''], ['services', 'endpoints'], ALL),
        rule(['submariner.io'], ['clusters', 'endpoints', 'gateways'], [...READ, 'update']),
        rule(
          ['submariner.io'],
          ['clusterglobalegressips', 'clusterglobalegressips/status', 'globalegressips', 'globalegressips/status', 'globalingressips', 'globalingressips/status'],
          [...ALL, 'deletecollection'],
        ),
        rule(['multicluster.x-k8s.io'], ['serviceexports'], READ),
        rule(['discovery.k8s.io'], ['endpointslices'], READ),
      ],
      namespaced: [rule(['submariner.io'], ['gateways'], [...READ, 'update']), rule(['coordination.k8s.io'], ['leases'], ALL)],
    }),
    ...componentRbac('submariner-diagnose', namespace, {
      cluster: [rule(['*'], ['*'], READ)],
      namespaced: [rule([''], ['pods'], ALL)],
    }),
    ...componentRbac('submariner-lighthouse-agent', namespace, {
      cluster: [
        rule([''], ['services', 'namespaces', 'endpoints', 'pods'], READ),
        rule(['discovery.k8s.io'], ['endpointslices', 'endpointslices/restricted'], [...ALL, 'deletecollection']),
        rule(['submariner.io'], ['gateways', 'globalingressips', 'submariners'], READ),
        rule(['multicluster.x-k8s.io'], ['serviceimports', 'serviceimports/status'], ALL),
        rule(['multicluster.x-k8s.io'], ['serviceexports'], READ),
        rule(['multicluster.x-k8s.io'], ['serviceexports/status'], ['get', 'update', 'patch']),
      ],
      namespaced: [rule([''], ['secrets'], ['get']), rule(['coordination.k8s.io'], ['leases'], ALL)],
    }),
    ...componentRbac('submariner-lighthouse-coredns', namespace, {
      cluster: [
        rule(['discovery.k8s.io'], ['endpointslices'], READ),
        rule(['multicluster.x-k8s.io'], ['serviceimports'], READ),
        rule(['submariner.io'], ['gateways', 'submariners'], READ),
      ],
      namespaced: [rule([''], ['configmaps'], READ)],
    }),
  ]
}
