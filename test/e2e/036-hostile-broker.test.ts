/**
 * Issue 14: objects with hostile contents on the broker (names no Service can have, namespaces that
 * are not labels, wrong types, unknown fields) are refused with a log line by every agent that
 * reads them, never imported, and crash nothing. Our CRDs' schemas would refuse most of them at the
 * API server, so the test first gives the broker open schemas, as a broker whose CRDs were
 * installed by another tool may have, and puts ours back afterwards.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LABEL_SERVICE_NAME, LABEL_SOURCE_NAMESPACE} from '../../src/api/mcs.js'
import {CLUSTER_ID_LABEL} from '../../src/api/submariner.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {brokerCrds} from '../../src/manifests/crds.js'
import {eventually} from '../helpers/lab.js'
import {ensureClusterset, waitConnected, withClient} from './clusterset.js'

const NAMESPACE = 'e2e-hostile'
const BROKER_NS = 'submariner-k8s-broker'
const OPERATOR_NS = 'submariner-operator'

interface HostileImport {
  annotations: Record<string, string>
  name: string
  spec: unknown
  status?: unknown
}

const hostileImportSpecs: HostileImport[] = [
  {annotations: {[LABEL_SERVICE_NAME]: 'x'.repeat(300), [LABEL_SOURCE_NAMESPACE]: NAMESPACE}, name: 'hostile-long-name', spec: {ports: [], type: 'ClusterSetIP'}},
  {annotations: {[LABEL_SERVICE_NAME]: 'evil', [LABEL_SOURCE_NAMESPACE]: 'Not_A_Label'}, name: 'hostile-namespace', spec: {ports: [], type: 'ClusterSetIP'}},
  {annotations: {[LABEL_SERVICE_NAME]: 'typed', [LABEL_SOURCE_NAMESPACE]: NAMESPACE, 'timestamp.submariner.io/c9': 'yesterday'}, name: 'typed-e2e-hostile', spec: {extra: {unknown: true}, ports: '80', type: 'ClusterSetIP'}},
  {annotations: {[LABEL_SERVICE_NAME]: 'status', [LABEL_SOURCE_NAMESPACE]: NAMESPACE}, name: 'status-e2e-hostile', spec: {ports: [{port: 80}], type: 'ClusterSetIP'}, status: {clusters: 'c9'}},
]
const hostileImports = hostileImportSpecs.map(
  ({annotations, name, spec, status}) => ({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceImport', metadata: {annotations, name, namespace: BROKER_NS}, spec, ...(status ? {status} : {})}) as KubeObject,
)

const hostileEndpoint: KubeObject = {
  apiVersion: 'submariner.io/v1',
  kind: 'Endpoint',
  metadata: {labels: {[CLUSTER_ID_LABEL]: 'c9'}, name: 'c9-hostile', namespace: BROKER_NS},
  spec: {backend: 'vxlan', cable_name: 'submariner-cable-c9', cluster_id: 'c9', hostname: 'c9', private_ip: 17, subnets: 'everything'},
} as KubeObject
const hostileCluster: KubeObject = {
  apiVersion: 'submariner.io/v1',
  kind: 'Cluster',
  metadata: {labels: {[CLUSTER_ID_LABEL]: 'c9'}, name: 'c9', namespace: BROKER_NS},
  spec: {cluster_cidr: 'everything', cluster_id: 'c9'},
} as KubeObject

async function restarts(client: KubeClient): Promise<Map<string, number>> {
  const pods = await client.list<KubeObject & {status?: {containerStatuses?: Array<{restartCount: number}>}}>(Resources.Pod, {namespace: OPERATOR_NS})
  return new Map(pods.items.map((pod) => [pod.metadata.name as string, pod.status?.containerStatuses?.reduce((sum, status) => sum + status.restartCount, 0) ?? 0]))
}

async function logsOf(client: KubeClient, labelSelector: string): Promise<string> {
  const pods = await client.list(Resources.Pod, {labelSelector, namespace: OPERATOR_NS})
  const logs = await Promise.all(pods.items.map((pod) => client.podLog(pod.metadata.name as string, OPERATOR_NS)))
  return logs.map(String).join('\n')
}

let before: Map<string, number>

const LOOSENED = ['serviceimports.multicluster.x-k8s.io', 'endpoints.submariner.io', 'clusters.submariner.io']

/** The broker's CRDs of the hostile objects, with schemas that accept anything, or ours. */
function brokerSchemas(open: boolean): KubeObject[] {
  return brokerCrds()
    .filter((crd) => LOOSENED.includes(crd.metadata.name as string))
    .map((crd) => {
      if (!open) return crd
      const spec = (crd as KubeObject & {spec: {versions: Array<Record<string, unknown>>}}).spec
      const versions = spec.versions.map((version) => ({...version, schema: {openAPIV3Schema: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}}}))
      return {...crd, spec: {...spec, versions}} as KubeObject
    })
}

beforeAll(async () => {
  await ensureClusterset('vxlan')
  await withClient('c1', async (client) => {
    if (!(await client.tryGet(Resources.Namespace, NAMESPACE))) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
    before = await restarts(client)
  })
  await withClient('broker', async (broker) => {
    for (const crd of brokerSchemas(true)) await broker.apply(crd)
    // The API server validates with the new schema once its watch cache has it.
    await eventually('the open schemas to take effect', async () => {
      const probe = {...hostileEndpoint, metadata: {...hostileEndpoint.metadata, name: 'c9-probe'}}
      const created = await broker.create(probe).then(() => true, () => false)
      if (created) await broker.delete(Resources.Endpoint, 'c9-probe', BROKER_NS)
      return created
    }, 30_000, 500)
    for (const object of hostileImports) {
      const {status, ...rest} = object as KubeObject & {status?: unknown}
      const created = await broker.create<KubeObject>(rest)
      if (status) await broker.update({...created, status}, 'status')
    }

    await broker.create(hostileEndpoint)
    await broker.create(hostileCluster)
  })
}, 900_000)

afterAll(async () => {
  await withClient('broker', async (broker) => {
    for (const object of hostileImports) await broker.delete(Resources.ServiceImport, object.metadata.name as string, BROKER_NS)
    await broker.delete(Resources.Endpoint, 'c9-hostile', BROKER_NS)
    await broker.delete(Resources.Cluster, 'c9', BROKER_NS)
    for (const crd of brokerSchemas(false)) await broker.apply(crd)
  })
  await withClient('c1', (client) => client.delete(Resources.Namespace, NAMESPACE))
})

describe('hostile objects on the broker', () => {
  it('are refused with a log line, never imported, and crash no agent', async () => {
    await withClient('c1', async (client) => {
      await eventually('the Lighthouse agent to log its refusals', async () => /refusing a malformed aggregated ServiceImport/.test(await logsOf(client, 'app=submariner-lighthouse-agent')), 60_000, 1000)
      await eventually('the gateway to log its refusals', async () => {
        const logs = await logsOf(client, 'gateway.submariner.io/status=active')
        return /refusing a malformed object from the broker.*Endpoint\/c9-hostile/.test(logs) && /refusing a malformed object from the broker.*Cluster\/c9/.test(logs)
      }, 60_000, 1000)

      expect((await client.list(Resources.ServiceImport, {namespace: NAMESPACE})).items).toEqual([])
      expect(await client.tryGet(Resources.Endpoint, 'c9-hostile', OPERATOR_NS)).toBeUndefined()
      expect(await client.tryGet(Resources.Cluster, 'c9', OPERATOR_NS)).toBeUndefined()
      const after = await restarts(client)
      for (const [pod, count] of before) if (after.has(pod)) expect(after.get(pod), pod).toBe(count)
    })
    await waitConnected('vxlan')
  })
})
