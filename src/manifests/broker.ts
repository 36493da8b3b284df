/** The broker's own objects: its namespace, the Broker CR and the allocation ConfigMaps. */
import {BROKER_CR, CLUSTERSET_IP_CONFIGMAP, GLOBALNET_CONFIGMAP, type Broker, type BrokerSpec} from '../api/submariner.js'
import type {KubeObject} from '../k8s/objects.js'
import {allocationConfigData, CLUSTERSET_IP_KEYS, GLOBALNET_KEYS} from '../lib/allocation.js'

export function brokerNamespace(namespace: string): KubeObject {
  return {apiVersion: 'v1', kind: 'Namespace', metadata: {name: namespace}}
}

export function brokerCr(namespace: string, spec: BrokerSpec): Broker {
  return {apiVersion: 'submariner.io/v1alpha1', kind: 'Broker', metadata: {name: BROKER_CR, namespace}, spec}
}

/**
 * The Globalnet ConfigMap, always created (with globalnetEnabled "false" when off). Its clusterinfo
 * is written by join, never here: server-side apply leaves fields this manager does not own alone.
 */
export function globalnetConfigMap(namespace: string, spec: BrokerSpec): KubeObject {
  return {
    apiVersion: 'v1',
    data: spec.globalnetEnabled
      ? allocationConfigData(GLOBALNET_KEYS, {clusterSize: spec.defaultGlobalnetClusterSize ?? 0, enabled: true, range: spec.globalnetCIDRRange ?? ''})
      : {[GLOBALNET_KEYS.enabled]: 'false'},
    kind: 'ConfigMap',
    metadata: {labels: {component: 'submariner-globalnet'}, name: GLOBALNET_CONFIGMAP, namespace},
  }
}

/** The clusterset-IP ConfigMap; deploy-broker records a cluster size of 0 (join defaults to 4096). */
export function clustersetIPConfigMap(namespace: string, spec: BrokerSpec): KubeObject {
  return {
    apiVersion: 'v1',
    data: allocationConfigData(CLUSTERSET_IP_KEYS, {clusterSize: 0, enabled: spec.clustersetIPEnabled ?? false, range: spec.clustersetIPCIDRRange ?? ''}),
    kind: 'ConfigMap',
    metadata: {labels: {component: 'submariner-lighthouse'}, name: CLUSTERSET_IP_CONFIGMAP, namespace},
  }
}
