/**
 * TypeScript shapes of Submariner's objects, with upstream's exact JSON field names (the wire
 * contract, reference/dataplane.md §1): snake_case in the historical Cluster and Endpoint specs,
 * camelCase elsewhere.
 */
import type {KubeObject} from '../k8s/objects.js'

export type {KubeObject, PodObject} from '../k8s/objects.js'

export const SUBMARINER_GROUP = 'submariner.io'
export const OPERATOR_NAMESPACE = 'submariner-operator'
export const BROKER_NAMESPACE = 'submariner-k8s-broker'
export const SUBMARINER_CR = 'submariner'
export const SERVICE_DISCOVERY_CR = 'service-discovery'
export const BROKER_CR = 'submariner-broker'
export const BROKER_SECRET = 'submariner-broker-secret'
export const IPSEC_PSK_SECRET = 'submariner-ipsec-psk'
export const GLOBALNET_CONFIGMAP = 'submariner-globalnet-info'
export const CLUSTERSET_IP_CONFIGMAP = 'submariner-clustersetip-info'
export const BROKER_ADMIN = 'submariner-k8s-broker-admin'
export const BROKER_CLUSTER_ROLE = 'submariner-k8s-broker-cluster'
export const GATEWAY_LABEL = 'submariner.io/gateway'
export const CLUSTER_ID_LABEL = 'submariner-io/clusterID'
export const CLEANUP_FINALIZER = 'controllers.submariner.io/cleanup'
export const DEFAULT_GLOBALNET_CIDR_RANGE = '242.0.0.0/8'
export const DEFAULT_GLOBALNET_CLUSTER_SIZE = 65536
export const DEFAULT_CLUSTERSET_IP_CIDR_RANGE = '243.0.0.0/8'
export const DEFAULT_CLUSTERSET_IP_CLUSTER_SIZE = 4096
export const CABLE_DRIVERS = ['libreswan', 'wireguard', 'vxlan'] as const
export type CableDriver = (typeof CABLE_DRIVERS)[number]

/** Condition in the metav1.Condition shape. */
export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
  observedGeneration?: number
}

export interface HealthCheckSpec {
  enabled: boolean
  intervalSeconds: number
  maxPacketLossCount: number
}

/** How the agents reach the broker: in the Submariner and the ServiceDiscovery CRs alike. */
export interface BrokerConnectionSpec {
  brokerK8sApiServer: string
  brokerK8sApiServerToken: string
  brokerK8sCA: string
  brokerK8sRemoteNamespace: string
  brokerK8sSecret?: string
  brokerK8sInsecure?: boolean
}

export interface SubmarinerSpec extends BrokerConnectionSpec {
  broker?: string
  cableDriver?: string
  ceIPSecPSK?: string
  ceIPSecPSKSecret?: string
  ceIPSecNATTPort?: number
  ceIPSecDebug?: boolean
  ceIPSecPreferredServer?: boolean
  ceIPSecForceUDPEncaps?: boolean
  clusterCIDR?: string
  serviceCIDR?: string
  clusterID: string
  globalCIDR?: string
  clustersetIPCIDR?: string
  clustersetIPEnabled?: boolean
  namespace: string
  repository?: string
  version?: string
  debug?: boolean
  natEnabled?: boolean
  airGappedDeployment?: boolean
  loadBalancerEnabled?: boolean
  serviceDiscoveryEnabled?: boolean
  coreDNSCustomConfig?: {configMapName: string; namespace?: string}
  customDomains?: string[]
  imageOverrides?: Record<string, string>
  connectionHealthCheck?: HealthCheckSpec
  nodeSelector?: Record<string, string>
  tolerations?: unknown[]
}

export interface DaemonSetStatusSummary {
  status?: Record<string, unknown>
  lastResourceVersion?: string
  nonReadyContainerStates?: unknown[]
  mismatchedContainerImages?: boolean
}

export interface SubmarinerStatus {
  clusterID?: string
  clusterCIDR?: string
  serviceCIDR?: string
  globalCIDR?: string
  clustersetIPCIDR?: string
  networkPlugin?: string
  natEnabled?: boolean
  airGappedDeployment?: boolean
  version?: string
  gatewayDaemonSetStatus?: DaemonSetStatusSummary
  routeAgentDaemonSetStatus?: DaemonSetStatusSummary
  globalnetDaemonSetStatus?: DaemonSetStatusSummary
  gateways?: GatewayStatus[]
  /** Beyond upstream: Ready once every component is deployed and ready. */
  conditions?: Condition[]
}

export interface Submariner extends KubeObject {
  spec: SubmarinerSpec
  status?: SubmarinerStatus
}

export interface ServiceDiscoverySpec extends BrokerConnectionSpec {
  clusterID: string
  namespace: string
  repository?: string
  version?: string
  debug?: boolean
  clustersetIPCIDR?: string
  clustersetIPEnabled?: boolean
  globalnetEnabled?: boolean
  coreDNSCustomConfig?: {configMapName: string; namespace?: string}
  customDomains?: string[]
  imageOverrides?: Record<string, string>
  nodeSelector?: Record<string, string>
  tolerations?: unknown[]
}

export interface ServiceDiscovery extends KubeObject {
  spec: ServiceDiscoverySpec
  status?: {conditions?: Condition[]; deploymentInfo?: Record<string, unknown>}
}

export interface BrokerSpec {
  components: string[]
  defaultCustomDomains?: string[]
  globalnetCIDRRange?: string
  clustersetIPCIDRRange?: string
  defaultGlobalnetClusterSize?: number
  globalnetEnabled: boolean
  clustersetIPEnabled?: boolean
}

export interface Broker extends KubeObject {
  spec: BrokerSpec
}

export interface EndpointSpec {
  cluster_id: string
  cable_name: string
  healthCheckIP?: string
  hostname: string
  subnets: string[]
  private_ip: string
  public_ip: string
  nat_enabled: boolean
  backend: string
  backend_config?: Record<string, string>
}

export interface Endpoint extends KubeObject {
  spec: EndpointSpec
}

export interface ClusterSpec {
  cluster_id: string
  color_codes?: string[]
  service_cidr: string[]
  cluster_cidr: string[]
  global_cidr: string[]
}

export interface Cluster extends KubeObject {
  spec: ClusterSpec
}

export interface LatencyRTT {
  last: string
  min: string
  average: string
  max: string
  stdDev: string
}

export type ConnectionStatus = 'connecting' | 'connected' | 'error' | 'none'

export interface Connection {
  status: ConnectionStatus
  statusMessage: string
  endpoint: EndpointSpec
  usingIP?: string
  usingNAT?: boolean
  latencyRTT?: LatencyRTT
}

/**
 * The reason of the Submariner CR's Ready condition when a gateway's cable driver cannot start: a
 * failure whose cause is known, which join reports at once instead of waiting out its timeout.
 */
export const CABLE_DRIVER_FAILED = 'CableDriverFailed'

export interface GatewayStatus {
  version: string
  haStatus: 'active' | 'passive'
  localEndpoint: EndpointSpec
  statusFailure: string
  connections: Connection[]
  /**
   * Ours, beside upstream's fields (readers that do not know it ignore it): what the gateway lacks
   * to work fully, e.g. `PublicIPKnown` False with the reason.
   */
  conditions?: Condition[]
}

export interface Gateway extends KubeObject {
  status?: GatewayStatus
}

/** Globalnet's objects (reference/dataplane.md §1.6). */
export interface GlobalnetStatus {
  conditions?: Condition[]
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[]}>
}

export interface ClusterGlobalEgressIP extends KubeObject {
  spec?: {numGlobalIPs?: number}
  status?: GlobalnetStatus & {allocatedIPs?: string[]}
}

export interface GlobalEgressIP extends KubeObject {
  spec?: {numberOfIPs?: number; podSelector?: LabelSelector}
  status?: GlobalnetStatus & {allocatedIPs?: string[]}
}

export type GlobalIngressTarget = 'ClusterIPService' | 'HeadlessServicePod' | 'HeadlessServiceEndpoints'

export interface GlobalIngressIP extends KubeObject {
  spec: {target: GlobalIngressTarget; serviceRef?: {name: string}; podRef?: {name: string}}
  status?: GlobalnetStatus & {allocatedIP?: string}
}
