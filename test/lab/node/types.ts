/** The slice of the core/v1 Pod and Node APIs the node runtime reads and writes. */
import type {KubeObject} from '../../../src/k8s/objects.js'

export interface EnvVar {
  name: string
  value?: string
  valueFrom?: {
    fieldRef?: {fieldPath: string}
    secretKeyRef?: {name: string; key: string; optional?: boolean}
    configMapKeyRef?: {name: string; key: string; optional?: boolean}
    resourceFieldRef?: {resource: string}
  }
}

export interface Probe {
  exec?: {command: string[]}
  tcpSocket?: {port: number | string; host?: string}
  httpGet?: {port: number | string; path?: string; host?: string; scheme?: string}
  initialDelaySeconds?: number
  periodSeconds?: number
  timeoutSeconds?: number
  failureThreshold?: number
  successThreshold?: number
}

export interface VolumeMount {
  name: string
  mountPath: string
  subPath?: string
  readOnly?: boolean
}

export interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: EnvVar[]
  envFrom?: Array<{prefix?: string; configMapRef?: {name: string; optional?: boolean}; secretRef?: {name: string; optional?: boolean}}>
  ports?: Array<{name?: string; containerPort: number; protocol?: string}>
  volumeMounts?: VolumeMount[]
  readinessProbe?: Probe
  livenessProbe?: Probe
  startupProbe?: Probe
  terminationMessagePath?: string
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError'
  stdin?: boolean
  stdinOnce?: boolean
  tty?: boolean
}

export interface KeyToPath {
  key: string
  path: string
}

export interface Volume {
  name: string
  emptyDir?: object
  hostPath?: {path: string; type?: string}
  configMap?: {name: string; items?: KeyToPath[]; optional?: boolean}
  secret?: {secretName: string; items?: KeyToPath[]; optional?: boolean}
  downwardAPI?: {items: Array<{path: string; fieldRef?: {fieldPath: string}}>}
  projected?: {
    sources: Array<{
      serviceAccountToken?: {audience?: string; expirationSeconds?: number; path: string}
      configMap?: {name: string; items?: KeyToPath[]; optional?: boolean}
      secret?: {name: string; items?: KeyToPath[]; optional?: boolean}
      downwardAPI?: {items: Array<{path: string; fieldRef?: {fieldPath: string}}>}
    }>
  }
}

export interface PodSpec {
  nodeName?: string
  hostNetwork?: boolean
  dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None'
  dnsConfig?: {nameservers?: string[]; searches?: string[]; options?: Array<{name: string; value?: string}>}
  hostname?: string
  subdomain?: string
  restartPolicy?: 'Always' | 'OnFailure' | 'Never'
  terminationGracePeriodSeconds?: number
  serviceAccountName?: string
  initContainers?: Container[]
  containers: Container[]
  volumes?: Volume[]
}

export interface ContainerState {
  waiting?: {reason: string; message?: string}
  running?: {startedAt: string}
  terminated?: {exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string}
}

export interface ContainerStatus {
  name: string
  image: string
  imageID: string
  containerID?: string
  ready: boolean
  started: boolean
  restartCount: number
  state: ContainerState
  lastState: ContainerState
}

export interface PodCondition {
  type: string
  status: 'True' | 'False'
  lastTransitionTime?: string
  reason?: string
  message?: string
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'
  conditions?: PodCondition[]
  hostIP?: string
  hostIPs?: Array<{ip: string}>
  podIP?: string
  podIPs?: Array<{ip: string}>
  startTime?: string
  message?: string
  reason?: string
  initContainerStatuses?: ContainerStatus[]
  containerStatuses?: ContainerStatus[]
}

export interface Pod extends KubeObject {
  spec: PodSpec
  status?: PodStatus
}

export interface NodeObject extends KubeObject {
  spec?: {podCIDR?: string; podCIDRs?: string[]; taints?: Array<{key: string; value?: string; effect: string}>}
  status?: {addresses?: Array<{type: string; address: string}>}
}

/** The node runtime's configuration, written by `lab up`. */
export interface RuntimeConfig {
  cluster: string
  node: string
  nodeIP: string
  controlPlane: boolean
  apiServer: string
  caFile: string
  certFile: string
  keyFile: string
  /** The CNI identity: a kubelet may read only its own Node, a CNI reads them all. */
  cniCertFile: string
  cniKeyFile: string
  servingCertFile: string
  servingKeyFile: string
  clusterCIDR: string
  serviceCIDR: string
  dnsIP: string
  clusterDomain: string
  /** Where this node keeps pods, logs and its records. */
  stateDir: string
  /** The agent bundle that the agent image runs. */
  agentBundle: string
  /** The CoreDNS binary that the CoreDNS image runs. */
  corednsBinary: string
  /** The lab's Go helper: the kubelet port's streaming endpoints, tty containers, pause. */
  nodeHelper: string
  /** Links to busybox, one per applet (busybox and alpine images). */
  busyboxBin: string
  /** The unix socket the runtime serves its part of the kubelet API on, for the helper. */
  runtimeSocket: string
  /** The common name of the only client the kubelet port accepts: the API server's. */
  kubeletClientCN: string
  kubeletVersion: string
  /** The resolver of pods with dnsPolicy Default: a lab address where nothing answers. */
  upstreamResolver: string
  /** A file every created mount point is appended to, so that `lab down` can remove them. */
  mountpointRecord: string
}
