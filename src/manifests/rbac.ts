/**
 * RBAC: the broker's roles (reference/subctl.md §13.2), the operator's, and each component's
 * (reference/dataplane.md §7), under upstream's names. The static ones are manifests/rbac/*.yaml;
 * only each joining cluster's account on the broker is built here.
 */
import {parseAllDocuments} from 'yaml'

import {BROKER_CLUSTER_ROLE, OPERATOR_NAMESPACE} from '../api/submariner.js'
import type {KubeObject} from '../k8s/objects.js'
import {manifestFiles} from './files.js'

function serviceAccount(name: string, namespace: string): KubeObject {
  return {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name, namespace}}
}

function roleBinding(name: string, namespace: string, roleName: string, account: {name: string; namespace: string}): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {name, namespace},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName},
    subjects: [{kind: 'ServiceAccount', name: account.name, namespace: account.namespace}],
  }
}

/**
 * The objects of one file of manifests/rbac, moved to `namespace`: every namespaced object and
 * every ServiceAccount subject of a binding (the files are written for the default namespaces).
 */
function staticRbac(file: 'broker' | 'operator' | 'components', namespace: string): KubeObject[] {
  const text = manifestFiles('rbac').find((entry) => entry.path === `rbac/${file}.yaml`)?.text
  if (text === undefined) throw new Error(`manifests/rbac/${file}.yaml is missing`)
  return parseAllDocuments(text).map((document) => {
    const object = document.toJS() as KubeObject & {subjects?: Array<{kind: string; namespace?: string}>}
    if (object.metadata.namespace !== undefined) object.metadata.namespace = namespace
    for (const subject of object.subjects ?? []) if (subject.kind === 'ServiceAccount') subject.namespace = namespace
    return object
  })
}

/** The broker namespace's RBAC, created by deploy-broker. */
export function brokerRbac(namespace: string): KubeObject[] {
  return staticRbac('broker', namespace)
}

/** The per-cluster account on the broker: `cluster-<id>` bound to the broker cluster role. */
export function brokerClusterAccount(clusterId: string, namespace: string): KubeObject[] {
  const name = `cluster-${clusterId}`
  return [serviceAccount(name, namespace), roleBinding(`${name}-${BROKER_CLUSTER_ROLE}`, namespace, BROKER_CLUSTER_ROLE, {name, namespace})]
}

export const OPERATOR = 'submariner-operator'

/** The operator's own account: it deploys the components, installs CRDs, patches CoreDNS. */
export function operatorRbac(namespace = OPERATOR_NAMESPACE): KubeObject[] {
  return staticRbac('operator', namespace)
}

/** The components' RBAC, created by subctl with the operator (operator.Ensure step 5 and 6). */
export function componentsRbac(namespace = OPERATOR_NAMESPACE): KubeObject[] {
  return staticRbac('components', namespace)
}
