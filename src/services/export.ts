/**
 * export / unexport service (reference/subctl.md §9): create or delete the ServiceExport of a
 * Service. An existing export is left as it is ("already exported" is success).
 */
import {ANNOTATION_USE_CLUSTERSET_IP, type ServiceExport} from '../api/mcs.js'
import {openCluster} from '../k8s/connect.js'
import {isAlreadyExists, isNotFound} from '../k8s/errors.js'
import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import {Resources} from '../k8s/resources.js'
import {BROKER_NAMESPACE, OPERATOR_NAMESPACE} from '../api/submariner.js'
import {SubctlError, usageError} from '../lib/errors.js'
import {importableNamespace, unexportableNamespaceMessage} from '../lib/lighthouse.js'

export interface ExportOptions {
  connection: KubeConnectionOptions
  name: string
  namespace?: string | undefined
  /** --use-clusterset-ip: "true", "false", or undefined when not given. */
  useClustersetIP?: string | undefined
}

export interface ExportResult {
  name: string
  namespace: string
  /** created, or already-exported */
  outcome: 'created' | 'already-exported' | 'removed'
}

function parseBoolean(value: string): boolean {
  if (/^(true|t|1|yes)$/i.test(value)) return true
  if (/^(false|f|0|no)$/i.test(value)) return false
  throw usageError('INVALID_FLAG', 'use-clusterset-ip must be set to true/false', 'Pass --use-clusterset-ip or --use-clusterset-ip=false')
}

export async function exportService(options: ExportOptions): Promise<ExportResult> {
  const useClustersetIP = options.useClustersetIP === undefined ? undefined : parseBoolean(options.useClustersetIP)
  const {client, target} = await openCluster(options.connection)
  const namespace = options.namespace ?? target.namespace ?? 'default'
  try {
    if (!importableNamespace(namespace, {brokerNamespace: BROKER_NAMESPACE, submarinerNamespace: OPERATOR_NAMESPACE})) {
      throw usageError('NAMESPACE_NOT_EXPORTABLE', unexportableNamespaceMessage(namespace), 'Export a Service of an application namespace')
    }

    const service = await client.tryGet(Resources.Service, options.name, namespace)
    if (!service) {
      throw new SubctlError('SERVICE_NOT_FOUND', `Unable to find the Service "${options.name}" in namespace "${namespace}"`, {
        hint: 'Check the name and pass its namespace with -n',
      })
    }

    try {
      await client.create<ServiceExport>({
        apiVersion: 'multicluster.x-k8s.io/v1alpha1',
        kind: 'ServiceExport',
        metadata: {
          name: options.name,
          namespace,
          ...(useClustersetIP === undefined ? {} : {annotations: {[ANNOTATION_USE_CLUSTERSET_IP]: String(useClustersetIP)}}),
        },
        spec: {},
      })
      return {name: options.name, namespace, outcome: 'created'}
    } catch (error) {
      if (isAlreadyExists(error)) return {name: options.name, namespace, outcome: 'already-exported'}
      if (isNotFound(error)) {
        throw new SubctlError('MCS_NOT_INSTALLED', 'The ServiceExport API is not installed on this cluster', {hint: 'Join the cluster to a broker with service discovery first ("subctl join")'})
      }

      throw error
    }
  } finally {
    client.close()
  }
}

export async function unexportService(options: ExportOptions): Promise<ExportResult> {
  const {client, target} = await openCluster(options.connection)
  const namespace = options.namespace ?? target.namespace ?? 'default'
  try {
    const removed = await client.delete(Resources.ServiceExport, options.name, namespace)
    if (!removed) {
      throw new SubctlError('NOT_EXPORTED', `Service ${namespace}/${options.name} was not previously exported`, {hint: 'List the exports with: kubectl get serviceexports -A'})
    }

    return {name: options.name, namespace, outcome: 'removed'}
  } finally {
    client.close()
  }
}
