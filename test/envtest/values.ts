/** What the envtest files share: the options of deploy-broker and join, and a join's rendered values. */
import {join as joinPath} from 'node:path'

import {BROKER_NAMESPACE} from '../../src/api/submariner.js'
import type {JoinValues} from '../../src/manifests/join.js'
import type {DeployBrokerOptions} from '../../src/services/deploy-broker.js'
import type {JoinOptions} from '../../src/services/join.js'
import type {Envtest} from './control-plane.js'

/** deploy-broker on the plane named "broker", with Globalnet, writing broker-info.subm into `dir`. */
export function brokerOptions(envtest: Envtest, dir: string): DeployBrokerOptions {
  return {
    clustersetIPCidrRange: '243.0.0.0/8',
    components: ['service-discovery', 'connectivity'],
    connection: {context: 'broker', kubeconfig: envtest.kubeconfig},
    customDomains: [],
    dryRun: false,
    enableClustersetIP: false,
    file: joinPath(dir, 'broker-info.subm'),
    globalnet: true,
    globalnetCidrRange: '242.0.0.0/8',
    globalnetClusterSize: 65_536,
    namespace: BROKER_NAMESPACE,
    operatorDebug: false,
    proxy: {},
    timeoutMs: 30_000,
  }
}

/** join of the plane `context` (its node `<context>-worker` as the gateway), with CIDRs that differ per plane. */
export function joinOptions(envtest: Envtest, dir: string, context: string, overrides: Partial<JoinOptions> = {}): JoinOptions {
  const index = [...envtest.planes.keys()].indexOf(context)
  return {
    airGapped: true,
    brokerInfoFile: joinPath(dir, 'broker-info.subm'),
    cableDriver: 'vxlan',
    checkBrokerCertificate: false,
    clusterCIDR: `10.${10 + index}.0.0/16`,
    connection: {context, kubeconfig: envtest.kubeconfig},
    dryRun: false,
    enableClustersetIP: false,
    forceUdpEncaps: false,
    gatewayNodes: [`${context}-worker`],
    globalnet: false,
    globalnetClusterSize: 0,
    healthCheck: true,
    healthCheckInterval: 1,
    healthCheckMaxPacketLossCount: 5,
    ignoreRequirements: false,
    imageOverrides: [],
    ipsecDebug: false,
    labelGateway: true,
    loadBalancer: false,
    natt: true,
    nattPort: 4500,
    operatorDebug: false,
    podDebug: false,
    preferredServer: false,
    proxy: {},
    serviceCIDR: `10.${110 + index}.0.0/16`,
    timeoutMs: 30_000,
    wait: false,
    ...overrides,
  }
}

/** What join would render for `clusterId`, with the lab's CIDR style. */
export function joinValues(clusterId: string, overrides: Partial<JoinValues> = {}): JoinValues {
  return {
    airGapped: true,
    broker: {insecure: true, namespace: 'submariner-k8s-broker', tokenData: {'ca.crt': '', namespace: Buffer.from('submariner-k8s-broker').toString('base64'), token: Buffer.from('t0ken').toString('base64')}, url: 'https://127.0.0.1:6443'},
    cableDriver: 'vxlan',
    clusterId,
    clustersetIPEnabled: false,
    forceUdpEncaps: false,
    healthCheck: {enabled: true, intervalSeconds: 1, maxPacketLossCount: 5},
    imageOverrides: {},
    ipsecDebug: false,
    kubeSystemUID: 'uid-' + clusterId,
    loadBalancer: false,
    natt: true,
    nattPort: 4500,
    network: {clusterCIDR: '10.8.0.0/16', plugin: 'generic', serviceCIDR: '10.88.0.0/16'},
    podDebug: false,
    preferredServer: false,
    psk: {base64: Buffer.from('psk').toString('base64'), string: 'cHNr'},
    serviceDiscovery: true,
    ...overrides,
  }
}
