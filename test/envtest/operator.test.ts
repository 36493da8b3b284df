/**
 * The operator's reconcile of each CR against a real API server without nodes: the Submariner CR
 * becomes the gateway and route-agent DaemonSets (and globalnet's when a global CIDR is set), the
 * ServiceDiscovery CR and its status; the ServiceDiscovery CR becomes the Lighthouse workloads and
 * the CoreDNS forwarding; the Broker CR its allocation ConfigMaps. Deleting the Submariner CR runs
 * the uninstall DaemonSets to completion before the CR goes.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startOperator} from '../../src/agent/operator/operator.js'
import type {Controller} from '../../src/agent/runtime/controller.js'
import {nullLogger} from '../../src/agent/runtime/log.js'
import {CLEANUP_FINALIZER, GLOBALNET_CONFIGMAP, OPERATOR_NAMESPACE, type Submariner} from '../../src/api/submariner.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {operatorCrds} from '../../src/manifests/crds.js'
import {submarinerCr} from '../../src/manifests/join.js'
import {eventually} from '../helpers/lab.js'
import {startEnvtest, type Envtest} from './control-plane.js'
import {joinValues} from './values.js'

type Workload = KubeObject & {spec: {template: {spec: {containers: Array<{env?: Array<{name: string; value?: string}>; args?: string[]}>}}}}

const envOf = (workload: Workload | undefined, name: string) => workload?.spec.template.spec.containers[0]?.env?.find((entry) => entry.name === name)?.value

let envtest: Envtest
let client: KubeClient
let controllers: Controller[] = []

beforeAll(async () => {
  envtest = await startEnvtest(['cluster'])
  client = await envtest.plane('cluster').client()
  await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: OPERATOR_NAMESPACE}})
  await client.create({apiVersion: 'v1', data: {Corefile: '.:53 {\n    forward . /etc/resolv.conf\n}\n'}, kind: 'ConfigMap', metadata: {name: 'coredns', namespace: 'kube-system'}})
  // subctl installs the operator's own CRDs before it deploys the operator.
  for (const crd of operatorCrds()) await client.apply(crd)
  controllers = await startOperator(client, {log: nullLogger, namespace: OPERATOR_NAMESPACE, proxy: {}})
})

afterAll(async () => {
  for (const controller of controllers) controller.stop()
  client?.close()
  await envtest?.stop()
})

describe('the operator against an API server', () => {
  it('installs the member CRDs at start-up', async () => {
    for (const name of ['serviceexports.multicluster.x-k8s.io', 'serviceimports.multicluster.x-k8s.io', 'gateways.submariner.io', 'endpoints.submariner.io']) {
      expect(await client.tryGet(Resources.CustomResourceDefinition, name), name).toBeDefined()
    }
  })

  it('turns a Submariner CR into the connectivity DaemonSets, a ServiceDiscovery CR and a status', async () => {
    await client.apply(submarinerCr(joinValues('c1')))
    const gateway = await eventually('the gateway DaemonSet', () => client.tryGet<Workload>(Resources.DaemonSet, 'submariner-gateway', OPERATOR_NAMESPACE), 30_000, 200)
    expect(envOf(gateway, 'SUBMARINER_CLUSTERID')).toBe('c1')
    expect(envOf(gateway, 'SUBMARINER_CABLEDRIVER')).toBe('vxlan')
    expect(envOf(gateway, 'SUBMARINER_CLUSTERCIDR')).toBe('10.8.0.0/16')
    expect(gateway.metadata.ownerReferences?.[0]?.kind).toBe('Submariner')
    expect(await client.tryGet(Resources.DaemonSet, 'submariner-routeagent', OPERATOR_NAMESPACE)).toBeDefined()
    expect(await client.tryGet(Resources.DaemonSet, 'submariner-globalnet', OPERATOR_NAMESPACE)).toBeUndefined()

    const cr = await eventually('the CR to carry its finalizer and status', async () => {
      const current = await client.get<Submariner>(Resources.Submariner, 'submariner', OPERATOR_NAMESPACE)
      return current.metadata.finalizers?.includes(CLEANUP_FINALIZER) && current.status?.clusterID === 'c1' ? current : undefined
    }, 30_000, 200)
    expect(cr.status?.clusterCIDR).toBe('10.8.0.0/16')
    expect(cr.status?.gatewayDaemonSetStatus).toBeDefined()
    const discovery = await eventually('the ServiceDiscovery CR', () => client.tryGet<KubeObject & {spec: {clusterID: string; globalnetEnabled: boolean}}>(Resources.ServiceDiscovery, 'service-discovery', OPERATOR_NAMESPACE), 30_000, 200)
    expect(discovery.spec).toMatchObject({clusterID: 'c1', globalnetEnabled: false})
  })

  it('follows changes of the CR: another cable driver, then a global CIDR', async () => {
    await client.apply(submarinerCr(joinValues('c1', {cableDriver: 'wireguard', globalCIDR: '242.0.0.0/16'})))
    await eventually('the gateway DaemonSet to use wireguard', async () => envOf(await client.tryGet<Workload>(Resources.DaemonSet, 'submariner-gateway', OPERATOR_NAMESPACE), 'SUBMARINER_CABLEDRIVER') === 'wireguard', 30_000, 200)
    const globalnet = await eventually('the globalnet DaemonSet', () => client.tryGet<Workload>(Resources.DaemonSet, 'submariner-globalnet', OPERATOR_NAMESPACE), 30_000, 200)
    expect(globalnet.metadata.ownerReferences?.[0]?.kind).toBe('Submariner')
    await eventually('globalnet to be on in the ServiceDiscovery CR', async () => (await client.get<KubeObject & {spec: {globalnetEnabled: boolean}}>(Resources.ServiceDiscovery, 'service-discovery', OPERATOR_NAMESPACE)).spec.globalnetEnabled, 30_000, 200)
  })

  it('turns the ServiceDiscovery CR into the Lighthouse workloads and the CoreDNS forwarding', async () => {
    const agent = await eventually('the lighthouse agent Deployment', () => client.tryGet<Workload>(Resources.Deployment, 'submariner-lighthouse-agent', OPERATOR_NAMESPACE), 30_000, 200)
    expect(agent.metadata.ownerReferences?.[0]?.kind).toBe('ServiceDiscovery')
    expect(await client.tryGet(Resources.Deployment, 'submariner-lighthouse-coredns', OPERATOR_NAMESPACE)).toBeDefined()
    const dns = await eventually('the lighthouse DNS Service to have an IP', async () => (await client.tryGet<KubeObject & {spec: {clusterIP?: string}}>(Resources.Service, 'submariner-lighthouse-coredns', OPERATOR_NAMESPACE))?.spec.clusterIP, 30_000, 200)
    await eventually('the cluster DNS to forward clusterset.local to it', async () => {
      const corefile = (await client.get<KubeObject & {data: {Corefile: string}}>(Resources.ConfigMap, 'coredns', 'kube-system')).data.Corefile
      return corefile.includes('clusterset.local') && corefile.includes(dns)
    }, 30_000, 200)
  })

  it('turns a Broker CR into the allocation ConfigMaps of its namespace', async () => {
    await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'envtest-broker'}})
    await client.create({apiVersion: 'submariner.io/v1alpha1', kind: 'Broker', metadata: {name: 'submariner-broker', namespace: 'envtest-broker'}, spec: {components: ['service-discovery', 'connectivity'], globalnetEnabled: true}} as KubeObject)
    const configMap = await eventually('the Globalnet ConfigMap', () => client.tryGet<KubeObject & {data: Record<string, string>}>(Resources.ConfigMap, GLOBALNET_CONFIGMAP, 'envtest-broker'), 30_000, 200)
    expect(configMap.data.globalnetEnabled).toBe('true')
  })

  it('removes the components, runs the uninstall DaemonSets, then releases the CR when it is deleted', async () => {
    const seen = new Set<string>()
    const watching = new AbortController()
    const {resourceVersion} = await client.list(Resources.DaemonSet, {namespace: OPERATOR_NAMESPACE})
    const watch = client
      .watch<KubeObject>(Resources.DaemonSet, {namespace: OPERATOR_NAMESPACE, resourceVersion}, (event) => {
        if (event.type === 'ADDED') seen.add(event.object.metadata.name as string)
      }, watching.signal)
      .catch(() => undefined)
    await client.delete(Resources.Submariner, 'submariner', OPERATOR_NAMESPACE)
    await eventually('the Submariner CR to go', async () => (await client.tryGet(Resources.Submariner, 'submariner', OPERATOR_NAMESPACE)) === undefined, 60_000, 200)
    watching.abort()
    await watch
    expect([...seen].sort()).toEqual(['submariner-gateway-uninstall', 'submariner-globalnet-uninstall', 'submariner-routeagent-uninstall'].sort())
    expect((await client.list(Resources.DaemonSet, {namespace: OPERATOR_NAMESPACE})).items).toEqual([])
    expect(await client.tryGet(Resources.ServiceDiscovery, 'service-discovery', OPERATOR_NAMESPACE)).toBeUndefined()
  })
})
