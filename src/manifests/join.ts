/**
 * The objects join writes (reference/subctl.md §4): the cluster's record on the broker, the broker
 * credentials and IPsec PSK Secrets, and the Submariner or ServiceDiscovery CR the operator
 * reconciles. All of them are rendered from one JoinValues.
 */
import {
  BROKER_SECRET,
  CLUSTER_ID_LABEL,
  IPSEC_PSK_SECRET,
  OPERATOR_NAMESPACE,
  SERVICE_DISCOVERY_CR,
  SUBMARINER_CR,
  type Cluster,
  type ServiceDiscovery,
  type Submariner,
} from '../api/submariner.js'
import type {KubeObject} from '../k8s/objects.js'
import {brokerApiServer, KUBE_SYSTEM_UID_ANNOTATION, type CoreDNSConfig, type NetworkPlan} from '../lib/join-plan.js'

export interface JoinValues {
  clusterId: string
  kubeSystemUID: string
  network: NetworkPlan
  broker: {
    url: string
    namespace: string
    /** The cluster's token Secret on the broker: base64 `token`, `ca.crt` and `namespace`. */
    tokenData: Record<string, string>
    insecure: boolean
  }
  /** The IPsec PSK, base64, as broker-info.subm carries it. */
  psk: {base64: string; string: string}
  cableDriver: string
  natt: boolean
  nattPort: number
  preferredServer: boolean
  forceUdpEncaps: boolean
  ipsecDebug: boolean
  podDebug: boolean
  airGapped: boolean
  loadBalancer: boolean
  healthCheck: {enabled: boolean; intervalSeconds: number; maxPacketLossCount: number}
  repository?: string | undefined
  version?: string | undefined
  imageOverrides: Record<string, string>
  coreDNS?: CoreDNSConfig | undefined
  customDomains?: string[] | undefined
  serviceDiscovery: boolean
  globalCIDR?: string | undefined
  clustersetIPCIDR?: string | undefined
  clustersetIPEnabled: boolean
}

/** The cluster's record on the broker, which the CIDR checks of later joins read. */
export function clusterRecord(values: JoinValues): Cluster {
  return {
    apiVersion: 'submariner.io/v1',
    kind: 'Cluster',
    metadata: {
      annotations: {[KUBE_SYSTEM_UID_ANNOTATION]: values.kubeSystemUID},
      labels: {[CLUSTER_ID_LABEL]: values.clusterId},
      name: values.clusterId,
      namespace: values.broker.namespace,
    },
    spec: {
      cluster_cidr: values.network.clusterCIDR.split(','),
      cluster_id: values.clusterId,
      color_codes: ['blue'],
      global_cidr: values.globalCIDR ? [values.globalCIDR] : [],
      service_cidr: values.network.serviceCIDR.split(','),
    },
  }
}

/** The local copy of the cluster's broker token, which the agents mount. */
export function brokerSecret(values: JoinValues): KubeObject {
  const data = values.broker.tokenData
  return {
    apiVersion: 'v1',
    data: {'ca.crt': data['ca.crt'] ?? '', namespace: data.namespace ?? '', token: data.token ?? ''},
    kind: 'Secret',
    metadata: {name: BROKER_SECRET, namespace: OPERATOR_NAMESPACE},
    type: 'Opaque',
  }
}

export function pskSecret(values: JoinValues): KubeObject {
  return {apiVersion: 'v1', data: {psk: values.psk.base64}, kind: 'Secret', metadata: {name: IPSEC_PSK_SECRET, namespace: OPERATOR_NAMESPACE}, type: 'Opaque'}
}

function brokerFields(values: JoinValues) {
  const token = values.broker.tokenData.token
  return {
    brokerK8sApiServer: brokerApiServer(values.broker.url),
    brokerK8sApiServerToken: token ? Buffer.from(token, 'base64').toString('utf8') : '',
    brokerK8sCA: values.broker.tokenData['ca.crt'] ?? '',
    brokerK8sInsecure: values.broker.insecure,
    brokerK8sRemoteNamespace: values.broker.namespace,
    brokerK8sSecret: BROKER_SECRET,
  }
}

/** The fields the Submariner and ServiceDiscovery CRs share beyond the broker's. */
function optionalFields(values: JoinValues) {
  return {
    ...(values.clustersetIPCIDR ? {clustersetIPCIDR: values.clustersetIPCIDR} : {}),
    ...(values.coreDNS ? {coreDNSCustomConfig: values.coreDNS} : {}),
    ...(values.customDomains && values.customDomains.length > 0 ? {customDomains: values.customDomains} : {}),
  }
}

export function submarinerCr(values: JoinValues): Submariner {
  return {
    apiVersion: 'submariner.io/v1alpha1',
    kind: 'Submariner',
    metadata: {name: SUBMARINER_CR, namespace: OPERATOR_NAMESPACE},
    spec: {
      ...brokerFields(values),
      airGappedDeployment: values.airGapped,
      broker: 'k8s',
      cableDriver: values.cableDriver,
      ceIPSecDebug: values.ipsecDebug,
      ceIPSecForceUDPEncaps: values.forceUdpEncaps,
      ceIPSecNATTPort: values.nattPort,
      ceIPSecPSK: values.psk.string,
      ceIPSecPSKSecret: IPSEC_PSK_SECRET,
      ceIPSecPreferredServer: values.preferredServer,
      clusterCIDR: values.network.clusterCIDR,
      clusterID: values.clusterId,
      clustersetIPEnabled: values.clustersetIPEnabled,
      connectionHealthCheck: values.healthCheck,
      debug: values.podDebug,
      imageOverrides: values.imageOverrides,
      loadBalancerEnabled: values.loadBalancer,
      namespace: OPERATOR_NAMESPACE,
      natEnabled: values.natt,
      repository: values.repository || undefined,
      serviceCIDR: values.network.serviceCIDR,
      serviceDiscoveryEnabled: values.serviceDiscovery,
      version: values.version || undefined,
      ...(values.globalCIDR ? {globalCIDR: values.globalCIDR} : {}),
      ...optionalFields(values),
    },
  }
}

/** Service discovery alone, for a broker deployed without connectivity. */
export function serviceDiscoveryCr(values: JoinValues): ServiceDiscovery {
  return {
    apiVersion: 'submariner.io/v1alpha1',
    kind: 'ServiceDiscovery',
    metadata: {name: SERVICE_DISCOVERY_CR, namespace: OPERATOR_NAMESPACE},
    spec: {
      ...brokerFields(values),
      clusterID: values.clusterId,
      clustersetIPEnabled: values.clustersetIPEnabled,
      debug: values.podDebug,
      imageOverrides: values.imageOverrides,
      namespace: OPERATOR_NAMESPACE,
      repository: values.repository ?? '',
      version: values.version ?? '',
      ...optionalFields(values),
    },
  }
}
