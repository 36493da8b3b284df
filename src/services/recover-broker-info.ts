/**
 * recover-broker-info (reference/subctl.md §12.2): rebuilds broker-info.subm from a joined
 * cluster: the broker's location and PSK from its Submariner CR, the admin token and components
 * from the broker (here, or reached with the cluster's own broker credentials).
 */
import {BROKER_ADMIN, BROKER_CR, OPERATOR_NAMESPACE, SUBMARINER_CR, type Broker, type Submariner} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import {openCluster} from '../k8s/connect.js'
import {openBrokerOf} from './broker-access.js'
import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import {Resources} from '../k8s/resources.js'
import {COMPONENT_SERVICE_DISCOVERY, pskSecret, type BrokerInfo} from '../lib/broker-info.js'
import {SubctlError} from '../lib/errors.js'
import type {Reporter} from '../lib/reporter.js'
import {writeBrokerInfoFile, type WrittenBrokerInfo} from './broker-info-file.js'
import {findTokenSecret} from './sa-token.js'

export interface RecoverOptions {
  connection: KubeConnectionOptions
  brokerURL?: string | undefined
  file: string
}

/** What was written, for -o json|yaml. */
export interface RecoveredBrokerInfo extends WrittenBrokerInfo {
  brokerURL: string
  components: string[]
  serviceDiscovery: boolean
}

export async function recoverBrokerInfo(options: RecoverOptions, reporter: Reporter): Promise<RecoveredBrokerInfo | undefined> {
  const {client, target} = await openCluster(options.connection)
  let remote: KubeClient | undefined
  try {
    const cr = await client.tryGet<Submariner>(Resources.Submariner, SUBMARINER_CR, OPERATOR_NAMESPACE)
    if (!cr) {
      reporter.warning('Submariner connectivity feature is not installed')
      return undefined
    }

    const namespace = cr.spec.brokerK8sRemoteNamespace
    const brokerURL = options.brokerURL ?? `https://${cr.spec.brokerK8sApiServer}`
    let source: KubeClient = client
    const broker = await reporter.step(`Checking if the Broker is installed on the Submariner cluster "${target.clusterName}" in namespace "${namespace}"`, async (step) => {
      const local = await client.tryGet<Broker>(Resources.Broker, BROKER_CR, namespace)
      if (local) return local
      step.warning('Broker not found. Trying to connect to the Broker installed on a different cluster')
      remote = await openBrokerOf(client, cr.spec, {apiServer: brokerURL})
      source = remote
      const found = await remote.tryGet<Broker>(Resources.Broker, BROKER_CR, namespace)
      if (!found) throw new SubctlError('BROKER_NOT_FOUND', `no Broker resource found in namespace "${namespace}"`, {hint: 'Check that the broker is still deployed'})
      step.success(`Found Broker installed on a different cluster in namespace ${namespace}`)
      return found
    })

    const token = await reporter.step('Retrieving data to reconstruct broker-info.subm', async () => {
      const secret = await findTokenSecret(source, namespace, BROKER_ADMIN)
      if (!secret) throw new SubctlError('BROKER_TOKEN_NOT_FOUND', `The token Secret of ${BROKER_ADMIN} is missing in namespace "${namespace}"`, {hint: 'Re-run "subctl deploy-broker" on the broker'})
      const {apiVersion: _apiVersion, kind: _kind, ...withoutTypeMeta} = secret
      return withoutTypeMeta
    })

    const info: BrokerInfo = {
      brokerURL,
      clientToken: token,
      components: broker.spec.components,
      customDomains: broker.spec.defaultCustomDomains?.length ? broker.spec.defaultCustomDomains : null,
      ipsecPSK: pskSecret(Buffer.from(cr.spec.ceIPSecPSK ?? '', 'base64')),
      serviceDiscovery: broker.spec.components.includes(COMPONENT_SERVICE_DISCOVERY),
    }
    return await reporter.step(`Saving broker info to file "${options.file}"`, async (step) => {
      const written = await writeBrokerInfoFile(options.file, info)
      if (written.backup) step.success(`Backed up previous file "${options.file}" to "${written.backup}"`)
      return {...written, brokerURL, components: info.components, serviceDiscovery: info.serviceDiscovery}
    })
  } finally {
    client.close()
    remote?.close()
  }
}
