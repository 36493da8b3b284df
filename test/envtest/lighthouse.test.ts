/**
 * The Lighthouse agent's import, conflict and unexport logic against real API servers without
 * nodes: a broker and two member clusters, with one agent per member running in this process.
 * Services get their ClusterIPs from the API servers; the EndpointSlices that the endpoint-slice
 * controller would write are written by the test.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startLighthouse} from '../../src/agent/lighthouse/lighthouse-agent.js'
import type {Controller} from '../../src/agent/runtime/controller.js'
import {nullLogger} from '../../src/agent/runtime/log.js'
import type {EndpointSlice, ServiceExport, ServiceImport, ServiceObject} from '../../src/api/mcs.js'
import {BROKER_NAMESPACE, OPERATOR_NAMESPACE} from '../../src/api/submariner.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {brokerCrds, memberCrds} from '../../src/manifests/crds.js'
import {eventually} from '../helpers/lab.js'
import {startEnvtest, type Envtest} from './control-plane.js'

const NAMESPACE = 'demo'
const CLUSTERS = ['c1', 'c2'] as const

let envtest: Envtest
let broker: KubeClient
const members = new Map<string, KubeClient>()
const controllers: Controller[] = []

const member = (cluster: string) => members.get(cluster) as KubeClient

async function exportService(cluster: string, name: string, spec: {headless?: boolean; port: number; portName?: string}): Promise<void> {
  const client = member(cluster)
  const service = await client.create<ServiceObject>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name, namespace: NAMESPACE},
    spec: {ports: [{name: spec.portName ?? 'http', port: spec.port, protocol: 'TCP'}], selector: {app: name}, ...(spec.headless ? {clusterIP: 'None'} : {})},
  })
  await client.create<EndpointSlice>({
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints: [{addresses: [cluster === 'c1' ? '10.8.1.5' : '10.9.1.5'], conditions: {ready: true}}],
    kind: 'EndpointSlice',
    metadata: {labels: {'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': name}, name: `${name}-abc`, namespace: NAMESPACE},
    ports: [{name: spec.portName ?? 'http', port: spec.port, protocol: 'TCP'}],
  })
  await client.create<ServiceExport>({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name, namespace: NAMESPACE}})
  expect(service.spec.clusterIP).toBeTruthy()
}

async function unexport(cluster: string, name: string): Promise<void> {
  const client = member(cluster)
  await client.delete(Resources.ServiceExport, name, NAMESPACE)
  await client.delete(Resources.Service, name, NAMESPACE)
  await client.delete(Resources.EndpointSlice, `${name}-abc`, NAMESPACE)
}

const conditionOf = async (cluster: string, name: string, type: string) =>
  (await member(cluster).tryGet<ServiceExport>(Resources.ServiceExport, name, NAMESPACE))?.status?.conditions?.find((entry) => entry.type === type)

beforeAll(async () => {
  envtest = await startEnvtest(['broker', ...CLUSTERS])
  broker = await envtest.plane('broker').client()
  for (const crd of brokerCrds()) await broker.apply(crd)
  await broker.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: BROKER_NAMESPACE}})
  for (const cluster of CLUSTERS) {
    const client = await envtest.plane(cluster).client()
    members.set(cluster, client)
    for (const crd of memberCrds()) await client.apply(crd)
    for (const name of [OPERATOR_NAMESPACE, NAMESPACE]) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
  }

  // A CRD serves its objects a moment after it is created.
  for (const client of [broker, ...members.values()]) await eventually('the CRDs to be served', () => client.list(Resources.ServiceImport).then(() => true), 30_000, 200)
  for (const cluster of CLUSTERS) {
    const settings = {brokerNamespace: BROKER_NAMESPACE, clusterId: cluster, clustersetIPCIDR: '', clustersetIPEnabled: false, globalnet: false, namespace: OPERATOR_NAMESPACE}
    controllers.push((await startLighthouse({broker, local: member(cluster), log: nullLogger, settings})).controller)
  }
})

afterAll(async () => {
  for (const controller of controllers) controller.stop()
  for (const client of [broker, ...members.values()]) client?.close()
  await envtest?.stop()
})

describe('the Lighthouse agent against API servers', () => {
  it('imports a service exported by c1 into both clusters, with c1 as its cluster and its IP in a slice', async () => {
    await exportService('c1', 'nginx', {port: 80})
    const clusterIP = (await member('c1').get<ServiceObject>(Resources.Service, 'nginx', NAMESPACE)).spec.clusterIP
    for (const cluster of CLUSTERS) {
      const imported = await eventually(`the ServiceImport in ${cluster}`, () => member(cluster).tryGet<ServiceImport>(Resources.ServiceImport, 'nginx', NAMESPACE), 30_000, 200)
      expect(imported.spec).toMatchObject({ports: [{name: 'http', port: 80, protocol: 'TCP'}], type: 'ClusterSetIP'})
      expect(imported.status?.clusters).toEqual([{cluster: 'c1'}])
    }

    const copy = await eventually('c1’s slice in c2', async () => {
      const slices = await member('c2').list<EndpointSlice>(Resources.EndpointSlice, {labelSelector: 'multicluster.kubernetes.io/source-cluster=c1', namespace: NAMESPACE})
      return slices.items[0]
    }, 30_000, 200)
    expect(copy.endpoints?.[0]?.addresses).toEqual([clusterIP])
    await eventually('c1’s export to be Ready', async () => (await conditionOf('c1', 'nginx', 'Ready'))?.status === 'True', 30_000, 200)
    expect(await conditionOf('c1', 'nginx', 'Valid')).toMatchObject({reason: 'Valid', status: 'True'})
  })

  it('refuses a second export of another type with a Conflict, and keeps the first', async () => {
    await exportService('c2', 'nginx', {headless: true, port: 80})
    await eventually('c2’s export to report the type conflict', async () => {
      const conflict = await conditionOf('c2', 'nginx', 'Conflict')
      return conflict?.status === 'True' && conflict.reason === 'ConflictingType'
    }, 30_000, 200)
    expect(await conditionOf('c2', 'nginx', 'Ready')).toMatchObject({reason: 'ExportFailed', status: 'False'})
    const imported = await member('c1').get<ServiceImport>(Resources.ServiceImport, 'nginx', NAMESPACE)
    expect(imported.spec.type).toBe('ClusterSetIP')
    expect(imported.status?.clusters).toEqual([{cluster: 'c1'}])
    // The older export is involved too: it says Conflict, and stays Ready (KEP 1645).
    await eventually('c1’s export to report the type conflict', async () => (await conditionOf('c1', 'nginx', 'Conflict'))?.reason === 'ConflictingType', 30_000, 200)
    expect(await conditionOf('c1', 'nginx', 'Ready')).toMatchObject({status: 'True'})
    await unexport('c2', 'nginx')
    await eventually('c1’s type conflict to clear', async () => (await conditionOf('c1', 'nginx', 'Conflict'))?.status === 'False', 30_000, 200)
  })

  it('merges the ports of two exporters (by name), and says so in a Conflict on each export', async () => {
    await exportService('c2', 'nginx', {port: 8080, portName: 'alt'})
    const imported = await eventually('the import to carry both clusters’ ports', async () => {
      const current = await member('c2').tryGet<ServiceImport>(Resources.ServiceImport, 'nginx', NAMESPACE)
      return current?.spec.ports.length === 2 && current.status?.clusters?.length === 2 ? current : undefined
    }, 30_000, 200)
    expect(imported.spec.ports.map((port) => port.port).sort()).toEqual([80, 8080])
    for (const cluster of CLUSTERS) {
      await eventually(`${cluster}’s export to report the ports conflict`, async () => (await conditionOf(cluster, 'nginx', 'Conflict'))?.reason === 'ConflictingPorts', 30_000, 200)
    }
  })

  it('removes the import, its slices and the broker’s aggregate once no cluster exports the service', async () => {
    await unexport('c2', 'nginx')
    await eventually('c2 to leave the aggregate', async () => (await member('c1').get<ServiceImport>(Resources.ServiceImport, 'nginx', NAMESPACE)).status?.clusters?.length === 1, 30_000, 200)
    await unexport('c1', 'nginx')
    for (const cluster of CLUSTERS) {
      await eventually(`the import to leave ${cluster}`, async () => (await member(cluster).tryGet(Resources.ServiceImport, 'nginx', NAMESPACE)) === undefined, 30_000, 200)
      const slices = await member(cluster).list<KubeObject>(Resources.EndpointSlice, {labelSelector: 'endpointslice.kubernetes.io/managed-by=lighthouse-agent.submariner.io', namespace: NAMESPACE})
      expect(slices.items, cluster).toEqual([])
    }

    await eventually('the aggregate to leave the broker', async () => (await broker.list(Resources.ServiceImport, {namespace: BROKER_NAMESPACE})).items.length === 0, 30_000, 200)
    expect((await broker.list(Resources.EndpointSlice, {namespace: BROKER_NAMESPACE})).items).toEqual([])
  })
})
