/**
 * deploy-broker (reference/subctl.md §3): turns a cluster into the broker. Validates everything
 * offline first, then: broker RBAC, the operator, the broker CRDs and Broker CR, the Globalnet and
 * clusterset-IP ConfigMaps, and broker-info.subm. Idempotent: server-side apply converges the
 * objects, so a re-run with changed flags updates them.
 */
import {randomBytes} from 'node:crypto'

import {BROKER_ADMIN, DEFAULT_CLUSTERSET_IP_CIDR_RANGE, DEFAULT_GLOBALNET_CIDR_RANGE, type BrokerSpec} from '../api/submariner.js'
import {openCluster} from '../k8s/connect.js'
import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import {clusterSizeProblem} from '../lib/allocation.js'
import {COMPONENT_CONNECTIVITY, COMPONENT_SERVICE_DISCOVERY, pskSecret, type BrokerInfo, type SecretLike} from '../lib/broker-info.js'
import {cidrProblem, nextPowerOfTwo} from '../lib/cidr.js'
import {usageError} from '../lib/errors.js'
import type {Reporter} from '../lib/reporter.js'
import {brokerCr, brokerNamespace, clustersetIPConfigMap, globalnetConfigMap} from '../manifests/broker.js'
import {brokerCrds} from '../manifests/crds.js'
import type {ProxySettings} from '../manifests/operator.js'
import {brokerRbac} from '../manifests/rbac.js'
import {readBrokerInfoFile, writeBrokerInfoFile, type WrittenBrokerInfo} from './broker-info-file.js'
import {ensureOperator} from './operator-install.js'
import {ensureTokenSecret} from './sa-token.js'
import {Writer, type PlannedObject} from './writer.js'

export const KNOWN_COMPONENTS = [COMPONENT_SERVICE_DISCOVERY, COMPONENT_CONNECTIVITY]

export interface DeployBrokerOptions {
  connection: KubeConnectionOptions
  namespace: string
  components: string[]
  globalnet: boolean
  globalnetCidrRange: string
  globalnetClusterSize: number
  customDomains: string[]
  enableClustersetIP: boolean
  clustersetIPCidrRange: string
  ipsecPskFrom?: string | undefined
  brokerURL?: string | undefined
  repository?: string | undefined
  version?: string | undefined
  operatorDebug: boolean
  proxy: ProxySettings
  dryRun: boolean
  timeoutMs: number
  /** Where broker-info.subm goes. */
  file: string
}

export interface DeployBrokerResult {
  brokerURL: string
  namespace: string
  spec: BrokerSpec
  written?: WrittenBrokerInfo
  planned: PlannedObject[]
}

/** Everything that can be checked without a cluster; returns the Broker spec. */
export function brokerSpecFor(options: DeployBrokerOptions): BrokerSpec {
  const components = options.components.map((component) => component.trim()).filter(Boolean)
  if (components.length === 0) {
    throw usageError('INVALID_COMPONENTS', 'invalid components parameter: at least one component must be provided for deployment', 'Pass --components service-discovery,connectivity or a subset')
  }

  for (const component of components) {
    if (!KNOWN_COMPONENTS.includes(component)) {
      throw usageError('INVALID_COMPONENTS', `invalid components parameter: unknown component: ${component}`, `Valid components are ${KNOWN_COMPONENTS.join(', ')}`)
    }
  }

  let clusterSize = options.globalnetClusterSize
  if (options.globalnet) {
    const problem = cidrProblem(options.globalnetCidrRange)
    if (problem) throw usageError('INVALID_GLOBALNET_CIDR', `invalid GlobalCIDR configuration: ${problem}`, 'Pass a valid --globalnet-cidr-range, e.g. 242.0.0.0/8')
    const sizeProblem = clusterSizeProblem(clusterSize, options.globalnetCidrRange)
    if (sizeProblem) throw usageError('INVALID_GLOBALNET_CIDR', `invalid GlobalCIDR configuration: ${sizeProblem}`, 'Pass a smaller --globalnet-cluster-size')
    clusterSize = nextPowerOfTwo(clusterSize)
  }

  const clustersetProblem = cidrProblem(options.clustersetIPCidrRange)
  if (clustersetProblem) {
    throw usageError('INVALID_CLUSTERSET_IP_CIDR', `invalid ClustersetIP configuration: ${clustersetProblem}`, 'Pass a valid --clusterset-ip-cidr-range, e.g. 243.0.0.0/8')
  }

  if (options.brokerURL !== undefined) {
    let url: URL | undefined
    try {
      url = new URL(options.brokerURL)
    } catch {
      url = undefined
    }

    if (url?.protocol !== 'https:') {
      throw usageError('INVALID_BROKER_URL', `--broker-url "${options.brokerURL}" is not an https URL`, 'Pass the API server URL of the broker, e.g. https://192.168.1.10:6443')
    }
  }

  for (const domain of options.customDomains) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
      throw usageError('INVALID_CUSTOM_DOMAIN', `--custom-domains "${domain}" is not a DNS domain`, 'Pass domains such as example.org')
    }
  }

  return {
    clustersetIPCIDRRange: options.clustersetIPCidrRange || DEFAULT_CLUSTERSET_IP_CIDR_RANGE,
    clustersetIPEnabled: options.enableClustersetIP,
    components,
    defaultCustomDomains: options.customDomains.length > 0 ? options.customDomains : undefined,
    defaultGlobalnetClusterSize: clusterSize,
    globalnetCIDRRange: options.globalnetCidrRange || DEFAULT_GLOBALNET_CIDR_RANGE,
    globalnetEnabled: options.globalnet,
  }
}

async function pskFor(options: DeployBrokerOptions): Promise<Buffer> {
  if (!options.ipsecPskFrom) return randomBytes(48)
  try {
    const previous = await readBrokerInfoFile(options.ipsecPskFrom)
    const psk = Buffer.from(previous.ipsecPSK.data?.psk ?? '', 'base64')
    return psk.length > 0 ? psk : randomBytes(48)
  } catch (error) {
    throw usageError('IPSEC_PSK_IMPORT', `error importing IPsec PSK from file "${options.ipsecPskFrom}": ${(error as Error).message}`, 'Pass an existing broker-info.subm to --ipsec-psk-from')
  }
}

/** The Secret as a List call returns it: no apiVersion or kind, as in upstream's files. */
function withoutTypeMeta(secret: SecretLike): SecretLike {
  const {apiVersion: _apiVersion, kind: _kind, ...rest} = secret
  return rest
}

export async function deployBroker(options: DeployBrokerOptions, reporter: Reporter): Promise<DeployBrokerResult> {
  const spec = brokerSpecFor(options)
  const psk = await pskFor(options)
  const {client, target} = await openCluster(options.connection)
  const writer = new Writer(options.dryRun)
  const namespace = options.namespace
  const cluster = target.clusterName
  try {
    await reporter.step('Setting up broker RBAC', async () => {
      await writer.apply(cluster, client, brokerNamespace(namespace))
      for (const object of brokerRbac(namespace)) await writer.apply(cluster, client, object)
    })

    await reporter.step('Deploying the Submariner operator', (step) =>
      ensureOperator(cluster, client, writer, step, {
        debug: options.operatorDebug,
        images: {repository: options.repository, version: options.version},
        proxy: options.proxy,
        timeoutMs: options.timeoutMs,
      }),
    )

    await reporter.step('Deploying the broker', async () => {
      for (const crd of brokerCrds()) await writer.apply(cluster, client, crd)
      await writer.apply(cluster, client, brokerCr(namespace, spec))
    })

    await reporter.step('Creating the Globalnet and ClustersetIP ConfigMaps', async () => {
      await writer.apply(cluster, client, globalnetConfigMap(namespace, spec))
      await writer.apply(cluster, client, clustersetIPConfigMap(namespace, spec))
    })

    const token = await reporter.step('Retrieving the broker admin token', () =>
      ensureTokenSecret(cluster, client, writer, namespace, BROKER_ADMIN, options.timeoutMs),
    )
    const brokerURL = options.brokerURL ?? target.server
    const result: DeployBrokerResult = {brokerURL, namespace, planned: writer.planned, spec}
    if (options.dryRun) return result

    const info: BrokerInfo = {
      brokerURL,
      clientToken: withoutTypeMeta(token),
      components: spec.components,
      customDomains: options.customDomains.length > 0 ? options.customDomains : null,
      ipsecPSK: pskSecret(psk),
      serviceDiscovery: spec.components.includes(COMPONENT_SERVICE_DISCOVERY),
    }
    result.written = await reporter.step(`Saving broker info to file "${options.file}"`, async (step) => {
      const written = await writeBrokerInfoFile(options.file, info)
      if (written.backup) step.success(`Backed up previous file "${options.file}" to "${written.backup}"`)
      return written
    })
    return result
  } finally {
    client.close()
  }
}
