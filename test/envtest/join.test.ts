/**
 * deploy-broker and join, the services, against real API servers without nodes: what join writes
 * on the cluster and on the broker, the refusals it makes before writing anything (a taken cluster
 * ID, overlapping CIDRs), and Globalnet allocations that two joins at once never share.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join as joinPath} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BROKER_NAMESPACE, GATEWAY_LABEL, GLOBALNET_CONFIGMAP, OPERATOR_NAMESPACE, type Cluster, type Submariner} from '../../src/api/submariner.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {parseAllocationConfig, GLOBALNET_KEYS} from '../../src/lib/allocation.js'
import {silentReporter} from '../../src/lib/reporter.js'
import {deployBroker} from '../../src/services/deploy-broker.js'
import {join} from '../../src/services/join.js'
import {standInForNodes, startEnvtest, type Envtest} from './control-plane.js'
import {brokerOptions, joinOptions} from './values.js'

const CLUSTERS = ['c1', 'c2', 'c3', 'c4']

let envtest: Envtest
let dir: string
const deployments = new AbortController()
const clients = new Map<string, KubeClient>()

const client = (name: string) => clients.get(name) as KubeClient

beforeAll(async () => {
  dir = mkdtempSync(joinPath(tmpdir(), 'subctl-envtest-join-'))
  envtest = await startEnvtest(['broker', ...CLUSTERS])
  for (const plane of envtest.planes.values()) {
    void standInForNodes(plane, deployments.signal)
    clients.set(plane.name, await plane.client())
  }

  for (const cluster of CLUSTERS) await client(cluster).create({apiVersion: 'v1', kind: 'Node', metadata: {labels: {'node-role.kubernetes.io/worker': ''}, name: `${cluster}-worker`}})
  await deployBroker(brokerOptions(envtest, dir), silentReporter)
})

afterAll(async () => {
  deployments.abort()
  for (const entry of clients.values()) entry.close()
  await envtest?.stop()
  rmSync(dir, {force: true, recursive: true})
})

describe('join against API servers', () => {
  it('labels the gateway, records the cluster on the broker and writes the Submariner CR with its broker credentials', async () => {
    const result = await join(joinOptions(envtest, dir, 'c1'), silentReporter)
    expect(result).toMatchObject({clusterCIDR: '10.11.0.0/16', clusterId: 'c1', gatewayNodes: ['c1-worker'], serviceCIDR: '10.111.0.0/16'})

    const node = await client('c1').get<KubeObject>(Resources.Node, 'c1-worker')
    expect(node.metadata.labels?.[GATEWAY_LABEL]).toBe('true')
    const record = await client('broker').get<Cluster>(Resources.Cluster, 'c1', BROKER_NAMESPACE)
    expect(record.spec).toMatchObject({cluster_cidr: ['10.11.0.0/16'], cluster_id: 'c1', global_cidr: [], service_cidr: ['10.111.0.0/16']})
    const kubeSystem = await client('c1').get<KubeObject>(Resources.Namespace, 'kube-system')
    expect(record.metadata.annotations?.['submariner.io/kube-system-uid']).toBe(kubeSystem.metadata.uid)

    const cr = await client('c1').get<Submariner>(Resources.Submariner, 'submariner', OPERATOR_NAMESPACE)
    expect(cr.spec).toMatchObject({brokerK8sRemoteNamespace: BROKER_NAMESPACE, cableDriver: 'vxlan', clusterCIDR: '10.11.0.0/16', clusterID: 'c1', serviceDiscoveryEnabled: true})
    expect(cr.spec.brokerK8sApiServerToken).not.toBe('')
    // The token join put in the CR is the cluster's own account on the broker, bound to the broker cluster role.
    const binding = await client('broker').get<KubeObject & {subjects: Array<{name: string}>}>(Resources.RoleBinding, 'cluster-c1-submariner-k8s-broker-cluster', BROKER_NAMESPACE)
    expect(binding.subjects[0]?.name).toBe('cluster-c1')
    expect(await client('c1').tryGet(Resources.Secret, 'submariner-broker-secret', OPERATOR_NAMESPACE)).toBeDefined()
  })

  it('refuses a cluster ID that another cluster holds, and overlapping CIDRs, before writing anything', async () => {
    const before = (await client('c2').list(Resources.Namespace)).items.map((namespace) => namespace.metadata.name)
    await expect(join(joinOptions(envtest, dir, 'c2', {clusterId: 'c1'}), silentReporter)).rejects.toMatchObject({code: 'CLUSTER_ID_NOT_UNIQUE'})
    await expect(join(joinOptions(envtest, dir, 'c2', {clusterCIDR: '10.11.128.0/17'}), silentReporter)).rejects.toMatchObject({code: 'CIDR_OVERLAP'})
    expect((await client('c2').list(Resources.Namespace)).items.map((namespace) => namespace.metadata.name)).toEqual(before)
    expect(await client('broker').tryGet(Resources.Cluster, 'c2', BROKER_NAMESPACE)).toBeUndefined()
  })

  it('gives two clusters that join at once with Globalnet different global CIDRs', async () => {
    const results = await Promise.all(['c3', 'c4'].map((cluster) => join(joinOptions(envtest, dir, cluster, {globalnet: true}), silentReporter)))
    const cidrs = results.map((result) => result.globalCIDR)
    expect(cidrs.every((cidr) => cidr?.startsWith('242.'))).toBe(true)
    expect(new Set(cidrs).size).toBe(2)
    const configMap = await client('broker').get<KubeObject & {data: Record<string, string>}>(Resources.ConfigMap, GLOBALNET_CONFIGMAP, BROKER_NAMESPACE)
    const recorded = parseAllocationConfig(configMap.data, GLOBALNET_KEYS).clusters
    expect(recorded.map((entry) => [entry.cluster_id, entry.global_cidr[0]]).sort()).toEqual([
      ['c3', cidrs[0]],
      ['c4', cidrs[1]],
    ])
  })

  it('converges when run again, keeping the allocation', async () => {
    const first = await client('c3').get<Submariner>(Resources.Submariner, 'submariner', OPERATOR_NAMESPACE)
    const again = await join(joinOptions(envtest, dir, 'c3', {globalnet: true}), silentReporter)
    const second = await client('c3').get<Submariner>(Resources.Submariner, 'submariner', OPERATOR_NAMESPACE)
    expect(again.globalCIDR).toBe(first.spec.globalCIDR)
    expect(second.spec).toEqual(first.spec)
  })
})
