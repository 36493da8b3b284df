/**
 * The workloads the operator deploys (reference/dataplane.md §7): the gateway, route agent and
 * Globalnet DaemonSets, the Lighthouse agent and DNS Deployments, their Services, and the
 * uninstall DaemonSets that clean nodes up when Submariner is removed. Pure: a function of the CRs.
 */
import {BROKER_SECRET, IPSEC_PSK_SECRET, type ServiceDiscoverySpec, type SubmarinerSpec} from '../api/submariner.js'
import type {KubeObject} from '../k8s/objects.js'
import {daemonSet, deployment} from './workloads.js'
import {imageFor, pullPolicyFor, type Component} from '../lib/images.js'
import {proxyEnv, type ProxySettings} from './operator.js'

export const GATEWAY = 'submariner-gateway'
export const ROUTE_AGENT = 'submariner-routeagent'
export const GLOBALNET = 'submariner-globalnet'
export const LIGHTHOUSE_AGENT = 'submariner-lighthouse-agent'
export const LIGHTHOUSE_DNS = 'submariner-lighthouse-coredns'

/** Health and metrics ports: hostNetwork roles need distinct ones. Gateway and Globalnet are upstream's. */
export const PORTS = {
  gateway: 32780,
  globalnet: 32781,
  lighthouseAgent: 8082,
  lighthouseDns: 9153,
  routeAgent: 32783,
} as const

export const CLUSTERSET_DOMAIN = 'clusterset.local'

type Env = Array<{name: string; value?: string; valueFrom?: unknown}>
const value = (name: string, text: string | number | boolean | undefined): Env[number] => ({name, value: String(text ?? '')})
const field = (name: string, fieldPath: string): Env[number] => ({name, valueFrom: {fieldRef: {fieldPath}}})

/** What the operator knows beyond the CR: the effective CIDRs after network discovery. */
export interface EffectiveNetwork {
  clusterCIDR: string
  serviceCIDR: string
  networkPlugin: string
}

function brokerEnv(spec: Pick<SubmarinerSpec, 'brokerK8sApiServer' | 'brokerK8sRemoteNamespace' | 'brokerK8sCA' | 'brokerK8sInsecure' | 'brokerK8sSecret'>): Env {
  const secret = spec.brokerK8sSecret || BROKER_SECRET
  return [
    value('BROKER_K8S_APISERVER', spec.brokerK8sApiServer),
    // The token comes from the broker Secret rather than from the CR as plain text.
    {name: 'BROKER_K8S_APISERVERTOKEN', valueFrom: {secretKeyRef: {key: 'token', name: secret}}},
    value('BROKER_K8S_REMOTENAMESPACE', spec.brokerK8sRemoteNamespace),
    value('BROKER_K8S_CA', spec.brokerK8sCA),
    value('BROKER_K8S_INSECURE', spec.brokerK8sInsecure ?? false),
    value('BROKER_K8S_SECRET', secret),
  ]
}

function brokerSecretVolume(spec: {brokerK8sSecret?: string}) {
  const secret = spec.brokerK8sSecret || BROKER_SECRET
  return {
    mount: {mountPath: `/run/secrets/submariner.io/${secret}`, name: 'brokersecret', readOnly: true},
    volume: {name: 'brokersecret', secret: {secretName: secret}},
  }
}

function container(component: Component, spec: {repository?: string; version?: string; imageOverrides?: Record<string, string>}, role: string, args: string[]) {
  const image = imageFor(component, {overrides: spec.imageOverrides, repository: spec.repository, version: spec.version})
  return {args: [role, ...args], image, imagePullPolicy: pullPolicyFor(image)}
}

const readiness = (port: number) => ({httpGet: {path: '/readyz', port}, periodSeconds: 2})

const TOLERATE_ALL = [{operator: 'Exists'}]
const GATEWAY_NODES = {'submariner.io/gateway': 'true'}

function gatewayEnv(spec: SubmarinerSpec, network: EffectiveNetwork, proxy: ProxySettings): Env {
  const health = spec.connectionHealthCheck
  return [
    value('SUBMARINER_NAMESPACE', spec.namespace),
    value('SUBMARINER_CLUSTERCIDR', network.clusterCIDR),
    value('SUBMARINER_SERVICECIDR', network.serviceCIDR),
    value('SUBMARINER_GLOBALCIDR', spec.globalCIDR ?? ''),
    value('SUBMARINER_CLUSTERID', spec.clusterID),
    value('SUBMARINER_COLORCODES', 'blue'),
    value('SUBMARINER_DEBUG', spec.debug ?? false),
    value('SUBMARINER_NATENABLED', spec.natEnabled ?? false),
    value('AIR_GAPPED_DEPLOYMENT', spec.airGappedDeployment ?? false),
    value('SUBMARINER_BROKER', spec.broker ?? 'k8s'),
    value('SUBMARINER_CABLEDRIVER', spec.cableDriver ?? 'libreswan'),
    ...brokerEnv(spec),
    value('CE_IPSEC_PSKSECRET', spec.ceIPSecPSKSecret || IPSEC_PSK_SECRET),
    value('CE_IPSEC_DEBUG', spec.ceIPSecDebug ?? false),
    value('SUBMARINER_HEALTHCHECKENABLED', health?.enabled ?? true),
    value('SUBMARINER_HEALTHCHECKINTERVAL', health?.intervalSeconds ?? 1),
    value('SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT', health?.maxPacketLossCount ?? 5),
    value('SUBMARINER_METRICSPORT', PORTS.gateway),
    value('SUBMARINER_HALT_ON_CERT_ERROR', false),
    field('NODE_NAME', 'spec.nodeName'),
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    ...(spec.ceIPSecNATTPort ? [value('CE_IPSEC_NATTPORT', spec.ceIPSecNATTPort)] : []),
    value('CE_IPSEC_PREFERREDSERVER', (spec.ceIPSecPreferredServer ?? false) || (spec.loadBalancerEnabled ?? false)),
    value('CE_IPSEC_FORCEENCAPS', spec.ceIPSecForceUDPEncaps ?? false),
    ...(spec.loadBalancerEnabled ? [value('SUBMARINER_PUBLICIP', 'lb:submariner-gateway')] : []),
    ...proxyEnv(proxy),
  ]
}

export function gatewayDaemonSet(spec: SubmarinerSpec, network: EffectiveNetwork, proxy: ProxySettings = {}, uninstall = false): KubeObject {
  const broker = brokerSecretVolume(spec)
  const psk = spec.ceIPSecPSKSecret || IPSEC_PSK_SECRET
  const nattPort = spec.ceIPSecNATTPort || 4500
  const main = {
    ...container('submariner-gateway', spec, 'gateway', [`--metrics-port=${PORTS.gateway}`]),
    env: [...gatewayEnv(spec, network, proxy), ...(uninstall ? [value('SUBMARINER_UNINSTALL', true)] : [])],
    name: GATEWAY,
    ports: [
      {containerPort: nattPort, hostPort: nattPort, name: 'cable-encaps', protocol: 'UDP'},
      {containerPort: 4490, hostPort: 4490, name: 'natt-discovery', protocol: 'UDP'},
    ],
    readinessProbe: readiness(PORTS.gateway),
    securityContext: {allowPrivilegeEscalation: true, capabilities: {add: ['net_admin'], drop: ['all']}, privileged: true, readOnlyRootFilesystem: false, runAsNonRoot: false},
    volumeMounts: [
      {mountPath: '/etc/ipsec.d', name: 'ipsecd'},
      {mountPath: '/var/lib/ipsec/nss', name: 'ipsecnss'},
      {mountPath: '/lib/modules', name: 'libmodules', readOnly: true},
      // wireguard-go keeps its control socket here; per pod, so gateways on one host never share it.
      {mountPath: '/var/run/wireguard', name: 'wireguard'},
      broker.mount,
      {mountPath: `/var/run/secrets/submariner.io/${psk}`, name: 'ipsecpsk', readOnly: true},
    ],
  }
  return daemonSet(
    uninstall ? `${GATEWAY}-uninstall` : GATEWAY,
    spec.namespace,
    {
      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: GATEWAY}}, topologyKey: 'kubernetes.io/hostname'}]}},
      ...uninstallShape(main, uninstall),
      dnsPolicy: 'ClusterFirstWithHostNet',
      hostNetwork: true,
      nodeSelector: {...GATEWAY_NODES, ...spec.nodeSelector},
      serviceAccountName: GATEWAY,
      terminationGracePeriodSeconds: 1,
      tolerations: spec.tolerations ?? TOLERATE_ALL,
      volumes: [
        {emptyDir: {}, name: 'ipsecd'},
        {emptyDir: {}, name: 'ipsecnss'},
        {hostPath: {path: '/lib/modules'}, name: 'libmodules'},
        {emptyDir: {}, name: 'wireguard'},
        broker.volume,
        {name: 'ipsecpsk', secret: {secretName: psk}},
      ],
    },
    1,
  )
}

export function routeAgentDaemonSet(spec: SubmarinerSpec, network: EffectiveNetwork, uninstall = false): KubeObject {
  const health = spec.connectionHealthCheck
  const main = {
    ...container('submariner-routeagent', spec, 'route-agent', [`--metrics-port=${PORTS.routeAgent}`]),
    env: [
      value('SUBMARINER_NAMESPACE', spec.namespace),
      value('SUBMARINER_CLUSTERID', spec.clusterID),
      value('SUBMARINER_DEBUG', spec.debug ?? false),
      value('SUBMARINER_CLUSTERCIDR', network.clusterCIDR),
      value('SUBMARINER_SERVICECIDR', network.serviceCIDR),
      value('SUBMARINER_GLOBALCIDR', spec.globalCIDR ?? ''),
      value('SUBMARINER_NETWORKPLUGIN', network.networkPlugin),
      field('NODE_NAME', 'spec.nodeName'),
      value('SUBMARINER_HEALTHCHECKENABLED', health?.enabled ?? true),
      value('SUBMARINER_HEALTHCHECKINTERVAL', health?.intervalSeconds ?? 1),
      value('SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT', health?.maxPacketLossCount ?? 5),
      ...(uninstall ? [value('SUBMARINER_UNINSTALL', true)] : []),
    ],
    name: ROUTE_AGENT,
    readinessProbe: readiness(PORTS.routeAgent),
    securityContext: {allowPrivilegeEscalation: true, capabilities: {add: ['ALL']}, privileged: true, readOnlyRootFilesystem: false, runAsNonRoot: false},
    volumeMounts: [{mountPath: '/host/sys', name: 'host-sys', readOnly: true}],
  }
  return daemonSet(
    uninstall ? `${ROUTE_AGENT}-uninstall` : ROUTE_AGENT,
    spec.namespace,
    {
      ...uninstallShape(main, uninstall),
      dnsPolicy: 'ClusterFirstWithHostNet',
      hostNetwork: true,
      serviceAccountName: ROUTE_AGENT,
      terminationGracePeriodSeconds: 1,
      tolerations: spec.tolerations ?? TOLERATE_ALL,
      volumes: [{hostPath: {path: '/sys'}, name: 'host-sys'}],
    },
    '100%',
  )
}

export function globalnetDaemonSet(spec: SubmarinerSpec, network: EffectiveNetwork, uninstall = false): KubeObject {
  const main = {
    ...container('submariner-globalnet', spec, 'globalnet', [`--metrics-port=${PORTS.globalnet}`]),
    env: [
      value('SUBMARINER_NAMESPACE', spec.namespace),
      value('SUBMARINER_CLUSTERID', spec.clusterID),
      value('SUBMARINER_CLUSTERCIDR', network.clusterCIDR),
      value('SUBMARINER_SERVICECIDR', network.serviceCIDR),
      value('SUBMARINER_GLOBALCIDR', spec.globalCIDR ?? ''),
      value('SUBMARINER_METRICSPORT', PORTS.globalnet),
      field('NODE_NAME', 'spec.nodeName'),
      ...(uninstall ? [value('SUBMARINER_UNINSTALL', true)] : []),
    ],
    name: GLOBALNET,
    readinessProbe: readiness(PORTS.globalnet),
    securityContext: {allowPrivilegeEscalation: true, capabilities: {add: ['ALL']}, privileged: true, readOnlyRootFilesystem: false, runAsNonRoot: false},
  }
  return daemonSet(
    uninstall ? `${GLOBALNET}-uninstall` : GLOBALNET,
    spec.namespace,
    {
      ...uninstallShape(main, uninstall),
      hostNetwork: true,
      nodeSelector: {...GATEWAY_NODES, ...spec.nodeSelector},
      serviceAccountName: GLOBALNET,
      terminationGracePeriodSeconds: 2,
      tolerations: spec.tolerations ?? TOLERATE_ALL,
    },
    1,
  )
}

/**
 * An uninstall DaemonSet runs the role's cleanup once per node as an init container (a DaemonSet
 * pod restarts whatever exits), then idles, so "all pods ready" means "every node cleaned up".
 */
function uninstallShape(main: Record<string, unknown> & {image: string; args: string[]}, uninstall: boolean): Record<string, unknown> {
  if (!uninstall) return {containers: [main]}
  const {readinessProbe: _readiness, ports: _ports, ...cleanup} = main as Record<string, unknown>
  return {
    containers: [{args: ['pause'], image: main.image, imagePullPolicy: pullPolicyFor(main.image), name: 'pause'}],
    initContainers: [{...cleanup, name: `${main.name as string}-uninstall`}],
  }
}

/** Metrics Services: the hostNetwork pods' node addresses are their endpoints. */
export function metricsServices(namespace: string, globalnet: boolean): KubeObject[] {
  const service = (name: string, app: string, port: number, targetPort: number): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {labels: {app}, name, namespace},
    spec: {ports: [{name: 'metrics', port, protocol: 'TCP', targetPort}], selector: {app}},
  })
  return [
    service('submariner-gateway-metrics', GATEWAY, 8080, PORTS.gateway),
    ...(globalnet ? [service('submariner-globalnet-metrics', GLOBALNET, 8081, PORTS.globalnet)] : []),
  ]
}

export function lighthouseAgentDeployment(spec: ServiceDiscoverySpec, proxy: ProxySettings = {}, uninstall = false): KubeObject {
  const broker = brokerSecretVolume(spec)
  const labels = {app: LIGHTHOUSE_AGENT, component: 'submariner-lighthouse'}
  return deployment(LIGHTHOUSE_AGENT, spec.namespace, {
    labels,
    podSpec: {
      containers: [
        {
          ...container('submariner-lighthouse-agent', spec, 'lighthouse-agent', [`--metrics-port=${PORTS.lighthouseAgent}`]),
          env: [
            value('SUBMARINER_NAMESPACE', spec.namespace),
            value('SUBMARINER_CLUSTERID', spec.clusterID),
            value('SUBMARINER_CLUSTERSET_IP_CIDR', spec.clustersetIPCIDR ?? ''),
            value('SUBMARINER_CLUSTERSET_IP_ENABLED', spec.clustersetIPEnabled ?? false),
            value('SUBMARINER_DEBUG', spec.debug ?? false),
            value('SUBMARINER_GLOBALNET_ENABLED', spec.globalnetEnabled ?? false),
            value('SUBMARINER_HALT_ON_CERT_ERROR', false),
            ...(uninstall ? [value('SUBMARINER_UNINSTALL', true)] : []),
            ...brokerEnv(spec),
            ...proxyEnv(proxy),
          ],
          name: LIGHTHOUSE_AGENT,
          readinessProbe: readiness(PORTS.lighthouseAgent),
          volumeMounts: [broker.mount],
        },
      ],
      ...(spec.nodeSelector ? {nodeSelector: spec.nodeSelector} : {}),
      serviceAccountName: LIGHTHOUSE_AGENT,
      terminationGracePeriodSeconds: 0,
      ...(spec.tolerations ? {tolerations: spec.tolerations} : {}),
      volumes: [broker.volume],
    },
    replicas: 1,
    selector: {app: LIGHTHOUSE_AGENT},
  })
}

/** The DNS zones Lighthouse answers: clusterset.local and the custom domains. */
export function dnsZones(spec: Pick<ServiceDiscoverySpec, 'customDomains'>): string[] {
  return [CLUSTERSET_DOMAIN, ...(spec.customDomains ?? [])]
}

/**
 * What bench/dns shows the DNS pod needs: about 180 MB resident for its primary and two workers
 * with 200 or 2,000 imported services, under 0.1 CPU for a cluster's ordinary lookups and one CPU
 * at 70,000 queries per second. No CPU limit: a quota would throttle DNS in the very bursts it
 * exists for (and the worker count follows the quota when a cluster sets one).
 */
const LIGHTHOUSE_DNS_RESOURCES = {limits: {memory: '512Mi'}, requests: {cpu: '100m', memory: '256Mi'}}

export function lighthouseDnsObjects(spec: ServiceDiscoverySpec): KubeObject[] {
  const labels = {app: LIGHTHOUSE_DNS, component: 'submariner-lighthouse'}
  return [
    deployment(LIGHTHOUSE_DNS, spec.namespace, {
      labels,
      podSpec: {
        containers: [
          {
            ...container('submariner-lighthouse-coredns', spec, 'lighthouse-dns', [
              `--metrics-port=${PORTS.lighthouseDns}`,
              `--zones=${dnsZones(spec).join(',')}`,
            ]),
            env: [value('SUBMARINER_CLUSTERID', spec.clusterID), value('SUBMARINER_NAMESPACE', spec.namespace)],
            name: LIGHTHOUSE_DNS,
            ports: [
              {containerPort: 53, name: 'udp', protocol: 'UDP'},
              {containerPort: 53, name: 'tcp', protocol: 'TCP'},
              {containerPort: PORTS.lighthouseDns, name: 'metrics', protocol: 'TCP'},
            ],
            readinessProbe: readiness(PORTS.lighthouseDns),
            resources: LIGHTHOUSE_DNS_RESOURCES,
            securityContext: {allowPrivilegeEscalation: false, capabilities: {add: ['net_bind_service'], drop: ['all']}, readOnlyRootFilesystem: true},
          },
        ],
        ...(spec.nodeSelector ? {nodeSelector: spec.nodeSelector} : {}),
        serviceAccountName: LIGHTHOUSE_DNS,
        ...(spec.tolerations ? {tolerations: spec.tolerations} : {}),
      },
      replicas: 2,
      selector: {app: LIGHTHOUSE_DNS},
    }),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {labels, name: LIGHTHOUSE_DNS, namespace: spec.namespace},
      spec: {
        ports: [
          {name: 'udp', port: 53, protocol: 'UDP', targetPort: 53},
          {name: 'tcp', port: 53, protocol: 'TCP', targetPort: 53},
        ],
        selector: {app: LIGHTHOUSE_DNS},
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {labels, name: `${LIGHTHOUSE_DNS}-metrics`, namespace: spec.namespace},
      spec: {ports: [{name: 'metrics', port: PORTS.lighthouseDns, protocol: 'TCP', targetPort: PORTS.lighthouseDns}], selector: {app: LIGHTHOUSE_DNS}},
    },
  ]
}
