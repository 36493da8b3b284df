/**
 * The lab against its own promises: real control planes, nodes, kube-proxy, CoreDNS and pod
 * networking. Runs against the lab `npm test` brought up (broker, c1, c2).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {KubeClient} from '../../src/k8s/client.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {parseConnectResult} from '../../src/lib/nettest-result.js'
import {AGENT_IMAGE, clusterClient, connectEventually, eventually, kubectlOk, labExec, labState, type PodLike} from '../helpers/lab.js'
import {parseClusters} from './config.js'

const NAMESPACE = `lab-test-${Date.now().toString(36)}`
let c1: KubeClient

beforeAll(async () => {
  c1 = await clusterClient('c1')
  await c1.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
})

afterAll(async () => {
  await c1?.delete(Resources.Namespace, NAMESPACE)
  c1?.close()
})

describe('the lab', () => {
  it('has every node of every cluster Ready, with a pod CIDR from its cluster', async () => {
    for (const cluster of parseClusters(labState().clusters)) {
      const client = await clusterClient(cluster.name)
      try {
        const nodes = await client.list<KubeObject & {spec: {podCIDR?: string}; status: {conditions: Array<{type: string; status: string}>}}>(Resources.Node)
        expect(nodes.items.map((node) => node.metadata.name).sort()).toEqual(cluster.nodes.map((node) => node.name).sort())
        for (const node of nodes.items) {
          expect(node.status.conditions.find((condition) => condition.type === 'Ready')?.status).toBe('True')
          expect(node.spec.podCIDR?.startsWith(cluster.podCIDR.split('.').slice(0, 2).join('.'))).toBe(true)
        }
      } finally {
        client.close()
      }
    }
  })

  it('runs a Deployment of the agent image behind a ClusterIP Service, reachable by IP and by name, from pods on either node', async () => {
    // Given two nettest servers, one per node, behind a Service
    const labels = {app: 'echo'}
    await c1.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'echo', namespace: NAMESPACE},
      spec: {
        replicas: 2,
        selector: {matchLabels: labels},
        template: {
          metadata: {labels},
          spec: {
            affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: labels}, topologyKey: 'kubernetes.io/hostname'}]}},
            containers: [
              {
                args: ['nettest', 'serve', '--tcp-port', '8080', '--http-port', '8000'],
                image: AGENT_IMAGE,
                name: 'echo',
                ports: [{containerPort: 8080, name: 'tcp-echo'}],
                readinessProbe: {periodSeconds: 1, tcpSocket: {port: 'tcp-echo'}},
              },
            ],
            tolerations: [{effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane'}],
          },
        },
      },
    })
    await c1.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: 'echo', namespace: NAMESPACE},
      spec: {ports: [{name: 'tcp', port: 8080}, {name: 'http', port: 80, targetPort: 8000}], selector: labels},
    })

    // Then the Deployment becomes ready and the Service gets EndpointSlices with both pods
    await eventually('the echo Deployment to be ready', async () => {
      const deployment = await c1.get<KubeObject & {status?: {readyReplicas?: number}}>(Resources.Deployment, 'echo', NAMESPACE)
      return deployment.status?.readyReplicas === 2
    })
    const slices = await eventually('EndpointSlices with two ready endpoints', async () => {
      const list = await c1.list<KubeObject & {endpoints?: Array<{addresses: string[]; conditions?: {ready?: boolean}}>}>(Resources.EndpointSlice, {
        labelSelector: 'kubernetes.io/service-name=echo',
        namespace: NAMESPACE,
      })
      const ready = list.items.flatMap((slice) => slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready)
      return ready.length === 2 ? list.items : undefined
    })
    expect(slices.length).toBeGreaterThan(0)

    const pods = (await c1.list<PodLike>(Resources.Pod, {labelSelector: 'app=echo', namespace: NAMESPACE})).items
    expect(new Set(pods.map((pod) => pod.spec.nodeName)).size).toBe(2)
    const service = await c1.get<KubeObject & {spec: {clusterIP: string}}>(Resources.Service, 'echo', NAMESPACE)

    // When a pod on the worker dials the ClusterIP, the Service name, and the echo pod on the other node
    const worker = 'c1-worker'
    const remotePod = pods.find((pod) => pod.spec.nodeName !== worker) as PodLike
    const targets = [
      ['by-ip', `${service.spec.clusterIP}:8080`, 'tcp'],
      ['by-name', `echo.${NAMESPACE}.svc.cluster.local:8080`, 'tcp'],
      ['by-short-name', `echo:80`, 'http'],
      ['by-pod-ip', `${remotePod.status?.podIP}:8080`, 'tcp'],
    ] as const
    const results = await Promise.all(
      targets.map(([name, target, protocol]) => connectEventually(c1, `client-${name}`, NAMESPACE, target, {nodeName: worker, protocol})),
    )

    // Then every one answers
    for (const [index, pod] of results.entries()) {
      const message = pod.status?.containerStatuses?.[0]?.state.terminated?.message ?? ''
      expect(pod.status?.phase, `${targets[index]?.[0]}: ${message}`).toBe('Succeeded')
      expect(message).toMatch(/^3\/3 (tcp|http) attempts to .* succeeded/)
    }

    // And `kubectl logs` shows what a pod printed
    const byName = results[1] as PodLike
    const logs = await kubectlOk('c1', ['logs', '-n', NAMESPACE, byName.metadata.name as string])
    expect(parseConnectResult(logs)).toMatchObject({passed: true, successes: 3, target: `echo.${NAMESPACE}.svc.cluster.local:8080`})
  })

  it('runs a command in a pod’s network namespace and in the lab network', async () => {
    const pod = (await c1.list<PodLike>(Resources.Pod, {labelSelector: 'app=echo', namespace: NAMESPACE})).items[0] as PodLike
    const inPod = await labExec(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'], {pod: `c1/${NAMESPACE}/${pod.metadata.name}`})
    expect(inPod.code).toBe(0)
    expect(inPod.stdout).toContain(`${pod.status?.podIP}/32`)

    const inLab = await labExec(['sh', '-c', 'kubectl --context c2 get nodes -o name && subctl version'])
    expect(inLab.code, inLab.stderr).toBe(0)
    expect(inLab.stdout).toContain('node/c2-control-plane')
    expect(inLab.stdout).toContain('subctl version: 0.19.0')
  })

  it('leaves a pod whose image it cannot run Pending, with an event that says so', async () => {
    await c1.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'not-runnable', namespace: NAMESPACE},
      spec: {containers: [{image: 'docker.io/library/nginx:1.27', name: 'web'}]},
    })
    const event = await eventually('the image event', async () => {
      const events = await c1.list<KubeObject & {reason: string; message: string; involvedObject: {name: string}}>(Resources.Event, {namespace: NAMESPACE})
      return events.items.find((entry) => entry.involvedObject.name === 'not-runnable' && entry.reason === 'Failed')
    })
    expect(event.message).toMatch(/nginx:1\.27" is not runnable in the lab/)
    // The node records the event before it writes the pod's status, as a kubelet does: wait for both.
    const pod = await eventually('the waiting reason in the pod status', async () => {
      const current = await c1.get<PodLike>(Resources.Pod, 'not-runnable', NAMESPACE)
      return current.status?.containerStatuses?.[0]?.state.waiting?.reason ? current : undefined
    })
    expect(pod.status?.phase).toBe('Pending')
    expect(pod.status?.containerStatuses?.[0]?.state.waiting?.reason).toBe('ErrImagePull')
  })
})
