/**
 * `subctl gather` (reference/subctl.md §10): for each cluster of the run, a directory
 * `<dir>/<cluster>/` (mode 0700) with the logs and resources of the chosen modules, a
 * summary.html, every file redacted unless --include-sensitive-data; with --archive, also the
 * directory as a .tar.gz beside it.
 */
import {appendFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {create as createTar} from 'tar'

import {IPSEC_PSK_SECRET, OPERATOR_NAMESPACE, SERVICE_DISCOVERY_CR, SUBMARINER_CR, type ServiceDiscovery, type Submariner} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import type {KubeConnectionOptions} from '../../k8s/kubeconfig.js'
import type {NodeObject, Secret} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {messageOf} from '../../lib/errors.js'
import {summaryHtml, type GatherModule, type GatherType, type Secrets} from '../../lib/gather.js'
import type {Reporter} from '../../lib/reporter.js'
import {VERSION} from '../../lib/version.js'
import {brokerSettingsOf} from '../broker-access.js'
import {onEachCluster} from '../show.js'
import {Bundle} from './bundle.js'
import {gatherBroker, gatherConnectivity, gatherOperator, gatherServiceDiscovery, type GatherContext} from './modules.js'

export interface GatherOptions extends KubeConnectionOptions {
  contexts?: string[]
  dir: string
  types: GatherType[]
  modules: GatherModule[]
  includeSensitiveData: boolean
  archive: boolean
}

export interface GatherOutcome {
  dir: string
  archive?: string
  clusters: Array<{cluster: string; files: number; error?: string}>
  warnings: string[]
}

const MODULES: Record<GatherModule, (context: GatherContext, type: GatherType, step: Parameters<Parameters<Reporter['step']>[1]>[0]) => Promise<void>> = {
  broker: gatherBroker,
  connectivity: gatherConnectivity,
  operator: gatherOperator,
  'service-discovery': gatherServiceDiscovery,
}

/** What redaction replaces: the broker's API server, token and CA, and the PSK, as the cluster stores them. */
async function secretsOf(client: KubeClient, submariner: Submariner | undefined, serviceDiscovery: ServiceDiscovery | undefined): Promise<Secrets> {
  const secrets: Secrets = {apiServer: [], ca: [], psk: [], token: []}
  for (const spec of [submariner?.spec, serviceDiscovery?.spec]) {
    if (!spec) continue
    const settings = await brokerSettingsOf(client, spec)
    secrets.apiServer.push(spec.brokerK8sApiServer)
    secrets.token.push(spec.brokerK8sApiServerToken, settings.token)
    secrets.ca.push(spec.brokerK8sCA, settings.ca, Buffer.from(settings.ca).toString('base64'))
  }

  const psk = await client.tryGet<Secret>(Resources.Secret, IPSEC_PSK_SECRET, OPERATOR_NAMESPACE)
  for (const value of Object.values(psk?.data ?? {})) secrets.psk.push(value, Buffer.from(value, 'base64').toString('utf8'))
  if (submariner?.spec.ceIPSecPSK) secrets.psk.push(submariner.spec.ceIPSecPSK, Buffer.from(submariner.spec.ceIPSecPSK, 'base64').toString('utf8'))
  return secrets
}

async function summarize(client: KubeClient, bundle: Bundle, cluster: string, submariner: Submariner | undefined): Promise<void> {
  const nodes = (await client.list<NodeObject>(Resources.Node)).items
  const version = await client.serverVersion()
  const names = (selector: (node: NodeObject) => boolean) => nodes.filter(selector).map((node) => node.metadata.name as string)
  const html = summaryHtml({
    clusterCIDRs: submariner?.status?.clusterCIDR ?? submariner?.spec.clusterCIDR ?? 'N/A',
    cluster,
    cni: submariner?.status?.networkPlugin ?? 'N/A',
    gateways: names((node) => node.metadata.labels?.['submariner.io/gateway'] === 'true'),
    globalCIDR: submariner?.spec.globalCIDR || 'N/A',
    kubernetesVersion: version.gitVersion,
    logs: bundle.logs,
    masters: names((node) => node.metadata.labels?.['node-role.kubernetes.io/master'] !== undefined || node.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined),
    nodes: nodes.map((node) => ({
      arch: node.status?.nodeInfo?.architecture ?? '',
      ips: (node.status?.addresses ?? []).filter((address) => address.type.endsWith('IP')).map((address) => address.address),
      kernel: node.status?.nodeInfo?.kernelVersion ?? '',
      name: node.metadata.name as string,
      os: node.status?.nodeInfo?.osImage ?? '',
    })),
    resources: bundle.resources,
    serviceCIDRs: submariner?.status?.serviceCIDR ?? submariner?.spec.serviceCIDR ?? 'N/A',
    submarinerVersion: submariner?.status?.version || (submariner ? submariner.spec.version ?? '' : 'Not installed'),
    subctlVersion: VERSION,
  })
  await appendFile(join(bundle.dir, 'summary.html'), html, {mode: 0o600})
}

async function gatherCluster(client: KubeClient, cluster: string, options: GatherOptions, reporter: Reporter): Promise<number> {
  const [submariner, serviceDiscovery] = await Promise.all([
    client.tryGet<Submariner>(Resources.Submariner, SUBMARINER_CR, OPERATOR_NAMESPACE),
    client.tryGet<ServiceDiscovery>(Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, OPERATOR_NAMESPACE),
  ])
  const bundle = new Bundle(join(options.dir, cluster), options.includeSensitiveData ? undefined : await secretsOf(client, submariner, serviceDiscovery))
  await bundle.open()
  const context: GatherContext = {bundle, client, ...(submariner ? {submariner} : {}), ...(serviceDiscovery ? {serviceDiscovery} : {})}
  for (const module of options.modules) {
    for (const type of options.types) {
      if (module === 'broker' && type === 'logs') continue
      await reporter.step(`Gathering ${module} ${type}`, async (step) => {
        try {
          await MODULES[module](context, type, step)
        } catch (error) {
          step.failure(`Gathering ${module} ${type} failed: ${messageOf(error)}`)
        }
      })
    }
  }

  await summarize(client, bundle, cluster, submariner)
  return bundle.logs.length + bundle.resources.length + 1
}

export async function gather(options: GatherOptions, reporter: Reporter, announce: (line: string) => void): Promise<GatherOutcome> {
  const dir = resolve(options.dir)
  const result = await onEachCluster(options, async (client, cluster) => {
    announce(`Gathering information from cluster "${cluster}"`)
    return gatherCluster(client, cluster, {...options, dir}, reporter)
  }, {sequential: true})
  const outcome: GatherOutcome = {
    clusters: result.outcomes.map((entry) => ({cluster: entry.cluster, files: entry.result ?? 0, ...(entry.error === undefined ? {} : {error: messageOf(entry.error)})})),
    dir,
    warnings: result.warnings,
  }
  if (options.archive) {
    const archive = `${dir}.tar.gz`
    await createTar({cwd: dirname(dir), file: archive, gzip: true, portable: true}, [basename(dir)])
    outcome.archive = archive
  }

  return outcome
}
