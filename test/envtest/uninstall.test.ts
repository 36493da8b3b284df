/**
 * uninstall, the service, against real API servers without nodes, with the operator running in
 * this process to clean up behind its finalizer: the order in which things go (the cluster's
 * records on the broker and the Submariner CR, released by the operator, before the namespace and
 * the CRDs) and that nothing of Submariner is left.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join as joinPath} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startOperator} from '../../src/agent/operator/operator.js'
import type {Controller} from '../../src/agent/runtime/controller.js'
import {nullLogger} from '../../src/agent/runtime/log.js'
import {BROKER_NAMESPACE, GATEWAY_LABEL, OPERATOR_NAMESPACE} from '../../src/api/submariner.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources, type ResourceType} from '../../src/k8s/resources.js'
import {RecordingReporter, silentReporter} from '../../src/lib/reporter.js'
import {deployBroker} from '../../src/services/deploy-broker.js'
import {join} from '../../src/services/join.js'
import {uninstall} from '../../src/services/uninstall.js'
import {standInForNodes, startEnvtest, type Envtest} from './control-plane.js'
import {brokerOptions, joinOptions} from './values.js'

let envtest: Envtest
let dir: string
let cluster: KubeClient
let broker: KubeClient
let controllers: Controller[] = []
const deployments = new AbortController()

beforeAll(async () => {
  dir = mkdtempSync(joinPath(tmpdir(), 'subctl-envtest-uninstall-'))
  envtest = await startEnvtest(['broker', 'c1'])
  for (const plane of envtest.planes.values()) void standInForNodes(plane, deployments.signal)
  cluster = await envtest.plane('c1').client()
  broker = await envtest.plane('broker').client()
  await cluster.create({apiVersion: 'v1', kind: 'Node', metadata: {labels: {'node-role.kubernetes.io/worker': ''}, name: 'c1-worker'}})
  await deployBroker(brokerOptions(envtest, dir), silentReporter)
  await join(joinOptions(envtest, dir, 'c1'), silentReporter)
  controllers = await startOperator(cluster, {log: nullLogger, namespace: OPERATOR_NAMESPACE, proxy: {}})
})

afterAll(async () => {
  deployments.abort()
  for (const controller of controllers) controller.stop()
  cluster?.close()
  broker?.close()
  await envtest?.stop()
  rmSync(dir, {force: true, recursive: true})
})

/** When each watched object was deleted (or started deleting), in the order it happened. */
async function recordDeletions(client: KubeClient, types: ResourceType[], signal: AbortSignal): Promise<string[]> {
  const order: string[] = []
  for (const type of types) {
    const {resourceVersion} = await client.list(type)
    void client
      .watch<KubeObject>(type, {resourceVersion}, (event) => {
        const name = `${type.kind}/${event.object.metadata.name}`
        if ((event.type === 'DELETED' || event.object.metadata.deletionTimestamp) && !order.includes(name)) order.push(name)
      }, signal)
      .catch(() => undefined)
  }

  return order
}

describe('uninstall against API servers', () => {
  it('removes the CR through the operator before the namespace and the CRDs, and leaves nothing of Submariner', async () => {
    await cluster.get(Resources.Submariner, 'submariner', OPERATOR_NAMESPACE)
    expect(await broker.tryGet(Resources.Cluster, 'c1', BROKER_NAMESPACE)).toBeDefined()
    const watching = new AbortController()
    const order = await recordDeletions(cluster, [Resources.Submariner, Resources.Namespace, Resources.CustomResourceDefinition], watching.signal)
    const reporter = new RecordingReporter()
    const result = await uninstall({connection: {context: 'c1', kubeconfig: envtest.kubeconfig}, dryRun: false, force: false, namespace: OPERATOR_NAMESPACE, timeoutMs: 60_000, yes: true}, reporter)
    watching.abort()

    expect(result?.removed).toContain(`Submariner ${OPERATOR_NAMESPACE}/submariner`)
    const position = (name: string) => order.indexOf(name)
    expect(position('Submariner/submariner')).toBeGreaterThanOrEqual(0)
    expect(position('Submariner/submariner')).toBeLessThan(position(`Namespace/${OPERATOR_NAMESPACE}`))
    expect(position(`Namespace/${OPERATOR_NAMESPACE}`)).toBeLessThan(position('CustomResourceDefinition/submariners.submariner.io'))
    expect(reporter.steps.map((step) => step.outcome)).not.toContain('failure')

    expect(await broker.tryGet(Resources.Cluster, 'c1', BROKER_NAMESPACE)).toBeUndefined()
    expect(await cluster.tryGet(Resources.Namespace, OPERATOR_NAMESPACE)).toBeUndefined()
    const crds = (await cluster.list<KubeObject>(Resources.CustomResourceDefinition)).items.map((crd) => crd.metadata.name)
    expect(crds.filter((name) => name?.endsWith('.submariner.io') || name?.endsWith('.multicluster.x-k8s.io'))).toEqual([])
    const roles = (await cluster.list<KubeObject>(Resources.ClusterRole)).items.map((role) => role.metadata.name)
    expect(roles.filter((name) => name?.startsWith('submariner-'))).toEqual([])
    expect((await cluster.get<KubeObject>(Resources.Node, 'c1-worker')).metadata.labels?.[GATEWAY_LABEL]).toBeUndefined()
  })
})
