/**
 * Issue 6 on the lab: a Service exported in one cluster is found by name in the others, through
 * each cluster's own DNS (CoreDNS forwarding clusterset.local to Lighthouse) and kube-proxy.
 * It runs in both modes (CLUSTERSET_IPS): with clusterset IPs, a ClusterIP service's name answers
 * its import's clusterset IP and the nodes spread connections over the exporting clusters; without
 * them (as upstream), the name answers one exporting cluster's service IP.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {eventually, lab} from '../helpers/lab.js'
import {inNetns} from '../lab/sh.js'
import type {ServiceImport} from '../../src/api/mcs.js'
import {CLUSTERSET_IPS, deployEcho, deployWebStatefulSet, dig, ensureClusterset, probe, probeEventually, subctl, subctlOk, waitConnected, withClient} from './clusterset.js'

const NAMESPACE = 'e2e-discovery'
/** The clusterset-IP entry rules a node holds. */
const clustersetRules = (node: string) => inNetns(`lab-${node}`, ['iptables', '-t', 'nat', '-S', 'SUBMARINER-CLUSTERSET-IP']).split('\n')
const NAME = `echo.${NAMESPACE}.svc.clusterset.local`

async function serviceIP(cluster: string, name = 'echo'): Promise<string> {
  return withClient(cluster, async (client) => (await client.get<KubeObject & {spec: {clusterIP: string}}>(Resources.Service, name, NAMESPACE)).spec.clusterIP)
}

/** The clusterset IP of the service's import in c1. */
async function clustersetIP(name = 'echo'): Promise<string> {
  return eventually(`the ServiceImport ${name} in c1 to have a clusterset IP`, () =>
    withClient('c1', async (client) => (await client.tryGet<ServiceImport>(Resources.ServiceImport, name, NAMESPACE))?.spec.ips?.[0]),
  )
}

/** What c1 resolves the service's clusterset name to: its clusterset IP, or (as upstream) a cluster's service IP. */
const answerFor = async (name = 'echo', cluster = 'c2'): Promise<string> => (CLUSTERSET_IPS ? clustersetIP(name) : serviceIP(cluster, name))

/** The pods that answer `count` HTTP connections to the echo service by name from a pod on c1-control-plane. */
async function answeringPods(count: number): Promise<string[]> {
  const {message, result} = await withClient('c1', (client) => probe(client, NAMESPACE, `${NAME}:80`, {count, node: 'c1-control-plane', protocol: 'http'}))
  expect(result?.passed, message).toBe(true)
  return [...new Set((result?.answers ?? []).map((answer) => (JSON.parse(answer) as {pod?: string}).pod as string))].sort()
}

/** Until `dig` from c1 gives this status and these answers (in any order). */
async function expectResolution(name: string, status: string, answers: string[], type = 'A', withinMs = 30_000): Promise<void> {
  await eventually(`${name} ${type} to be ${status} [${answers.join(', ')}]`, async () => {
    const result = await dig('c1', 'c1-worker', name, type)
    return result.status === status && JSON.stringify([...result.answers].sort()) === JSON.stringify([...answers].sort()) ? result : undefined
  }, withinMs, 250)
}

beforeAll(async () => {
  await ensureClusterset('vxlan')
  await withClient('c2', (client) => deployEcho(client, NAMESPACE))
  // MCS "namespace sameness": a service is imported only where its namespace exists.
  await withClient('c1', async (client) => {
    if (!(await client.tryGet(Resources.Namespace, NAMESPACE))) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
  })
}, 900_000)

afterAll(async () => {
  for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
})

describe('service discovery across clusters', () => {
  it('resolves an exported Service of c2 from a pod in c1 through the cluster DNS, and answers HTTP by that name', async () => {
    const exported = await subctlOk(['export', 'service', 'echo', '-n', NAMESPACE, '--context', 'c2', '-o', 'json'])
    expect(JSON.parse(exported.stdout)).toMatchObject({apiVersion: 'subctl/v1', kind: 'ServiceExportResult', name: 'echo', namespace: NAMESPACE, outcome: 'created'})
    expect((await subctlOk(['export', 'service', 'echo', '-n', NAMESPACE, '--context', 'c2'])).stderr).toMatch(/Service already exported/)
    await expectResolution(NAME, 'NOERROR', [await answerFor()])
    if (!CLUSTERSET_IPS) expect((await withClient('c1', (client) => client.get<ServiceImport>(Resources.ServiceImport, 'echo', NAMESPACE))).spec.ips ?? []).toEqual([])
    await withClient('c2', async (client) => {
      const serviceExport = await client.get<KubeObject & {status?: {conditions?: Array<{type: string; status: string}>}}>(Resources.ServiceExport, 'echo', NAMESPACE)
      expect(serviceExport.status?.conditions?.filter((condition) => condition.status === 'True').map((condition) => condition.type).sort()).toEqual(['Ready', 'Valid'])
    })

    // From a pod (its own resolver is the cluster DNS), by name, over HTTP through the tunnel: a c2 pod answers.
    const c2Pods = await withClient('c2', async (client) => (await client.list<KubeObject>(Resources.Pod, {labelSelector: 'app=echo', namespace: NAMESPACE})).items.map((pod) => pod.metadata.name))
    await withClient('c1', async (client) => {
      const {message, result} = await probeEventually(client, NAMESPACE, `${NAME}:80`, {node: 'c1-control-plane', protocol: 'http'})
      expect(result?.passed, message).toBe(true)
      expect(c2Pods).toContain((JSON.parse(result?.answers[0] ?? '{}') as {pod?: string}).pod)
    })
  })

  it('answers cluster-qualified names, SRV records, NXDOMAIN with an SOA for unknown names, and refuses other zones', async () => {
    const c2IP = await serviceIP('c2')
    expect(await dig('c1', 'c1-worker', `c2.${NAME}`)).toEqual({answers: [c2IP], status: 'NOERROR'})
    const srv = await dig('c1', 'c1-worker', `_http._tcp.${NAME}`, 'SRV')
    expect(srv.answers).toEqual([`0 50 80 ${NAME}.`])
    expect((await dig('c1', 'c1-worker', `nothing.${NAMESPACE}.svc.clusterset.local`)).status).toBe('NXDOMAIN')
    expect((await dig('c1', 'c1-worker', `c9.${NAME}`)).status).toBe('NXDOMAIN')
    expect(await dig('c1', 'c1-worker', NAME, 'AAAA')).toEqual({answers: [], status: 'NOERROR'})
  })

  it('prefers the local cluster’s Service when both clusters export it', async () => {
    await withClient('c1', (client) => deployEcho(client, NAMESPACE))
    await subctlOk(['export', 'service', 'echo', '-n', NAMESPACE, '--context', 'c1'])
    const [c1Pods, c2Pods] = await Promise.all(
      ['c1', 'c2'].map((cluster) => withClient(cluster, async (client) => (await client.list<KubeObject>(Resources.Pod, {labelSelector: 'app=echo', namespace: NAMESPACE})).items.map((pod) => pod.metadata.name as string))),
    )
    if (CLUSTERSET_IPS) {
      // One name, one clusterset IP, and the connections spread over both clusters' pods.
      await expectResolution(NAME, 'NOERROR', [await clustersetIP()])
      await eventually('connections to the clusterset IP to reach pods of both clusters', async () => {
        const pods = await answeringPods(20)
        return pods.some((pod) => c1Pods?.includes(pod)) && pods.some((pod) => c2Pods?.includes(pod)) ? pods : undefined
      }, 60_000, 1000)
    } else {
      const c1IP = await serviceIP('c1')
      await eventually('c1 to resolve its own export first, ten times in a row', async () => {
        for (let query = 0; query < 10; query++) {
          const result = await dig('c1', 'c1-worker', NAME)
          if (result.answers.join() !== c1IP) return undefined
        }

        return true
      }, 30_000, 500)
    }

    await subctlOk(['unexport', 'service', 'echo', '-n', NAMESPACE, '--context', 'c1'])
    await expectResolution(NAME, 'NOERROR', [await answerFor()])
    if (CLUSTERSET_IPS) {
      await eventually('connections to reach c2’s pods only, once c1 unexported', async () => {
        const pods = await answeringPods(10)
        return pods.every((pod) => c2Pods?.includes(pod)) ? pods : undefined
      }, 30_000, 1000)
    }
  })

  it('resolves a headless Service per pod and per hostname', async () => {
    await withClient('c2', (client) => deployWebStatefulSet(client, NAMESPACE))
    await subctlOk(['export', 'service', 'web', '-n', NAMESPACE, '--context', 'c2'])
    const podIPs = await withClient('c2', async (client) =>
      Object.fromEntries(
        (await client.list<KubeObject & {status?: {podIP?: string}}>(Resources.Pod, {labelSelector: 'app=web', namespace: NAMESPACE})).items.map((pod) => [pod.metadata.name, pod.status?.podIP as string]),
      ),
    )
    const web = `web.${NAMESPACE}.svc.clusterset.local`
    await expectResolution(web, 'NOERROR', Object.values(podIPs))
    await expectResolution(`c2.${web}`, 'NOERROR', Object.values(podIPs))
    await expectResolution(`web-0.c2.${web}`, 'NOERROR', [podIPs['web-0'] as string])
    await expectResolution(`web-1.c2.${web}`, 'NOERROR', [podIPs['web-1'] as string])
    const srv = await dig('c1', 'c1-worker', web, 'SRV')
    expect(srv.answers.sort()).toEqual([`0 50 8080 web-0.c2.${web}.`, `0 50 8080 web-1.c2.${web}.`])
  })

  it('drops a name within seconds of unexport', async () => {
    await subctlOk(['unexport', 'service', 'web', '-n', NAMESPACE, '--context', 'c2'])
    await expectResolution(`web.${NAMESPACE}.svc.clusterset.local`, 'NXDOMAIN', [], 'A', 10_000)
    const again = await subctl(['unexport', 'service', 'web', '-n', NAMESPACE, '--context', 'c2'])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/Error: Service e2e-discovery\/web was not previously exported/)
  })

  it('refuses to export a Service of a system namespace, in subctl and on the ServiceExport', async () => {
    const refused = await subctl(['export', 'service', 'kube-dns', '-n', 'kube-system', '--context', 'c2'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/Error: Services in namespace "kube-system" are not exported: no cluster imports into system, Submariner or broker namespaces/)

    // Made behind subctl's back, the export says why on its conditions instead of "Ready".
    await withClient('c2', async (client) => {
      await client.create({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name: 'kube-dns', namespace: 'kube-system'}})
      try {
        const valid = await eventually('the ServiceExport to be judged', async () => {
          const object = await client.get<KubeObject & {status?: {conditions?: Array<{type: string; status: string; reason: string}>}}>(Resources.ServiceExport, 'kube-dns', 'kube-system')
          return object.status?.conditions?.find((entry) => entry.type === 'Valid')
        }, 30_000)
        expect(valid).toMatchObject({reason: 'NamespaceNotExportable', status: 'False'})
      } finally {
        await client.delete(Resources.ServiceExport, 'kube-dns', 'kube-system')
      }
    })
  })

  it('leaves a cluster out of the answers while its gateway connection is down', async () => {
    // Point c1's health check at an address nobody answers: the connection goes to error, as upstream's e2e does.
    const endpointName = await withClient('c2', async (client) => {
      const endpoints = await client.list<KubeObject & {spec: {cluster_id: string; healthCheckIP?: string}}>(Resources.Endpoint, {namespace: 'submariner-operator'})
      const own = endpoints.items.find((endpoint) => endpoint.spec.cluster_id === 'c2' && !endpoint.metadata.labels?.['submariner-io/clusterID'])
      await client.mergePatch(Resources.Endpoint, own?.metadata.name as string, 'submariner-operator', {spec: {healthCheckIP: '10.9.255.254'}})
      return own?.metadata.name as string
    })
    try {
      if (CLUSTERSET_IPS) {
        // The name keeps its clusterset IP; the nodes stop sending its connections to c2.
        const ip = await clustersetIP()
        await eventually(`c1’s nodes to drop c2 from ${ip}`, async () => (clustersetRules('c1-control-plane').some((rule) => rule.includes(`-d ${ip}/32`)) ? undefined : true), 60_000, 500)
        await expectResolution(NAME, 'NOERROR', [ip])
      } else {
        await expectResolution(NAME, 'NOERROR', [], 'A', 60_000)
      }
    } finally {
      // The gateway republishes its Endpoint when it starts again.
      await withClient('c2', (client) => client.delete(Resources.Endpoint, endpointName, 'submariner-operator'))
      await withClient('c2', async (client) => {
        for (const pod of (await client.list<KubeObject>(Resources.Pod, {labelSelector: 'app=submariner-gateway', namespace: 'submariner-operator'})).items) {
          await client.delete(Resources.Pod, pod.metadata.name as string, 'submariner-operator')
        }
      })
    }

    await waitConnected()
    await expectResolution(NAME, 'NOERROR', [await answerFor()], 'A', 60_000)
    if (CLUSTERSET_IPS) expect((await answeringPods(3)).length).toBeGreaterThan(0)
  })

  it('keeps exports and propagates new ones after the broker’s API server restarts', async () => {
    const restarted = await lab(['restart', 'broker/kube-apiserver'])
    expect(restarted.code, restarted.stderr).toBe(0)
    await expectResolution(NAME, 'NOERROR', [await answerFor()])
    await withClient('c2', (client) => deployEcho(client, NAMESPACE, 'late', {replicas: 1}))
    await subctlOk(['export', 'service', 'late', '-n', NAMESPACE, '--context', 'c2'])
    await expectResolution(`late.${NAMESPACE}.svc.clusterset.local`, 'NOERROR', [await answerFor('late')], 'A', 60_000)
  })
})
