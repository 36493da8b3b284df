/**
 * uninstall on the lab: the broker is kept while clusters use it, then every cluster goes back to
 * what it was before the first join: no namespaces, CRDs, labels or DNS stanza of Submariner, and
 * no route, rule, chain, ipset or interface the agents made.
 */
import {describe, expect, it} from 'vitest'

import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {eventually} from '../helpers/lab.js'
import {ensureClusterset, subctl, subctlOk, withClient} from './clusterset.js'
import {nodeState, NODES, stateBeforeJoin} from './node-state.js'

describe('uninstall', () => {
  it('refuses to remove a broker that still has joined clusters, and --dry-run removes nothing', async () => {
    await ensureClusterset('vxlan')
    const refused = await subctl(['uninstall', '--context', 'broker', '--yes'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/Error: The broker in namespace "submariner-k8s-broker" still has joined clusters: c1, c2\. .*--force/)
    const dryRun = await subctlOk(['uninstall', '--context', 'c1', '--dry-run'])
    expect(dryRun.stdout).toMatch(/Would remove from cluster "c1":\n {2}- Submariner submariner-operator\/submariner/)
    await withClient('c1', async (client) => expect(await client.tryGet(Resources.Submariner, 'submariner', 'submariner-operator')).toBeDefined())
  })

  it('removes Submariner from the joined clusters and the broker, leaving the nodes as they were', async () => {
    for (const cluster of ['c1', 'c2']) await subctlOk(['uninstall', '--context', cluster, '--yes'])
    await subctlOk(['uninstall', '--context', 'broker', '--yes'])

    for (const cluster of ['broker', 'c1', 'c2']) {
      await withClient(cluster, async (client) => {
        for (const namespace of ['submariner-operator', 'submariner-k8s-broker']) expect(await client.tryGet(Resources.Namespace, namespace), `${namespace} on ${cluster}`).toBeUndefined()
        const crds = (await client.list<KubeObject>(Resources.CustomResourceDefinition)).items.map((crd) => crd.metadata.name)
        expect(crds.filter((name) => name?.endsWith('.submariner.io') || name?.endsWith('.multicluster.x-k8s.io'))).toEqual([])
        expect((await client.list<KubeObject>(Resources.Node, {labelSelector: 'submariner.io/gateway'})).items).toEqual([])
        expect((await client.list<KubeObject>(Resources.ClusterRole)).items.filter((role) => role.metadata.name?.startsWith('submariner-'))).toEqual([])
        const corefile = (await client.get<KubeObject & {data: Record<string, string>}>(Resources.ConfigMap, 'coredns', 'kube-system')).data.Corefile
        expect(corefile).not.toMatch(/lighthouse/)
      })
    }

    const before = stateBeforeJoin()
    expect(before, 'the node state recorded before the first join').toBeDefined()
    for (const node of NODES) {
      // kube-proxy removes the rules of the deleted Services on its next sync.
      await eventually(`${node} to be as before the join`, async () => JSON.stringify(nodeState(node)) === JSON.stringify(before?.[node]), 30_000, 1000).catch(() => undefined)
      expect(nodeState(node), node).toEqual(before?.[node])
    }
  })
})
