/**
 * Issue 10 on the lab: clusterset IPs are virtual IPs. Every node of every joined cluster carries
 * IMPORT-IP:PORT to the exporting clusters (the route agent's nat rules), ClientIP session affinity
 * holds a client to one backend, and the rules go within seconds of the unexport. The spread across
 * clusters, the dropping of a disconnected cluster and the per-port routing are checked by 03 and by
 * the MCS conformance suite; 04 checks that uninstall leaves no rule behind.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ServiceImport} from '../../src/api/mcs.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {eventually} from '../helpers/lab.js'
import {inNetns} from '../lab/sh.js'
import {deployEcho, ensureClusterset, probe, subctlOk, withClient} from './clusterset.js'
import {NODES} from './node-state.js'

const NAMESPACE = 'e2e-clusterset-ip'
const NAME = `sticky.${NAMESPACE}.svc.clusterset.local`

const entryRules = (node: string) => inNetns(`lab-${node}`, ['iptables', '-t', 'nat', '-S', 'SUBMARINER-CLUSTERSET-IP']).split('\n')

let ip = ''

beforeAll(async () => {
  await ensureClusterset('vxlan')
  for (const cluster of ['c1', 'c2']) {
    await withClient(cluster, (client) => deployEcho(client, NAMESPACE, 'sticky', {affinitySeconds: 60}))
    await subctlOk(['export', 'service', 'sticky', '-n', NAMESPACE, '--context', cluster])
  }

  ip = await eventually('the import of sticky in c1 to have a clusterset IP', () =>
    withClient('c1', async (client) => (await client.tryGet<ServiceImport>(Resources.ServiceImport, 'sticky', NAMESPACE))?.spec.ips?.[0]),
  )
}, 900_000)

afterAll(async () => {
  for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
})

describe('clusterset IPs', () => {
  it('are the same in both clusters, and every node carries each port of them', async () => {
    const inC2 = await withClient('c2', async (client) => (await client.get<ServiceImport>(Resources.ServiceImport, 'sticky', NAMESPACE)).spec.ips)
    expect(inC2).toEqual([ip])
    for (const node of NODES) {
      await eventually(`${node} to carry ${ip} on ports 80 and 8080`, async () => {
        const rules = entryRules(node).filter((rule) => rule.includes(`-d ${ip}/32`))
        return rules.some((rule) => rule.includes('--dport 80 ')) && rules.some((rule) => rule.includes('--dport 8080 ')) ? rules : undefined
      }, 30_000, 500)
    }
  })

  it('hold a client to one backend with ClientIP session affinity', async () => {
    const [c1Pods, c2Pods] = await Promise.all(
      ['c1', 'c2'].map((cluster) => withClient(cluster, async (client) => (await client.list<KubeObject>(Resources.Pod, {labelSelector: 'app=sticky', namespace: NAMESPACE})).items.map((pod) => pod.metadata.name as string))),
    )
    // Each probe pod is a new client (a new pod IP): every one of them sticks to one backend.
    const seen = new Set<string>()
    for (const [cluster, node] of [
      ['c1', 'c1-control-plane'],
      ['c1', 'c1-worker'],
      ['c2', 'c2-control-plane'],
    ] as const) {
      const {message, result} = await withClient(cluster, (client) => probe(client, NAMESPACE, `${NAME}:80`, {count: 10, node, protocol: 'http'}))
      expect(result?.passed, message).toBe(true)
      const pods = new Set((result?.answers ?? []).map((answer) => (JSON.parse(answer) as {pod?: string}).pod as string))
      expect(pods.size, `a client on ${node} reached ${[...pods].join(', ')}`).toBe(1)
      for (const pod of pods) seen.add(pod)
    }

    expect([...seen].every((pod) => c1Pods?.includes(pod) || c2Pods?.includes(pod))).toBe(true)
  })

  it('leave every node within seconds of the unexport', async () => {
    const started = Date.now()
    for (const cluster of ['c1', 'c2']) await subctlOk(['unexport', 'service', 'sticky', '-n', NAMESPACE, '--context', cluster])
    for (const node of NODES) {
      await eventually(`${node} to drop ${ip}`, async () => (entryRules(node).some((rule) => rule.includes(`-d ${ip}/32`)) ? undefined : true), 15_000, 200)
    }

    const seconds = (Date.now() - started) / 1000
    process.stdout.write(`clusterset IP ${ip} gone from every node ${seconds.toFixed(1)} s after the unexport\n`)
    expect(seconds).toBeLessThan(15)
  })
})
