/**
 * The `service-discovery` specs (upstream's Lighthouse e2e list): a Service exported by the other
 * cluster resolves by its clusterset name and carries traffic by it, with the cluster-ID prefix,
 * the local cluster's own export preferred, an export made before its Service, a Service without
 * ready pods left out, headless Services with and without a selector, StatefulSet pod names, round
 * robin over two remote clusters and a cluster without ready pods left out (both need
 * --extracontext), the clusterset IP, and unexport. Each spec makes its own Services, so that none
 * depends on another's outcome.
 */
import {ANNOTATION_USE_CLUSTERSET_IP} from '../../api/mcs.js'
import type {KubeObject, ServiceModel} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import type {TestCluster} from './cluster.js'
import {echoCheck} from './connectivity.js'
import {resolveFrom, startListener, type Listener, LISTENER_PORT} from './nettest-pods.js'
import {needNode, SpecFailure, SpecSkipped, type PairContext, type Spec} from './spec.js'
import type {TestRun} from './test-run.js'

const KEY = 'service-discovery' as const

function clustersetName(run: TestRun, service: string, cluster?: TestCluster): string {
  return `${cluster ? `${cluster.clusterId}.` : ''}${service}.${run.namespace}.svc.clusterset.local`
}

interface ServiceOptions {
  headless?: boolean
  /** Select pods labelled app=<name> (default); false makes a Service without a selector. */
  selector?: boolean
  annotations?: Record<string, string>
}

async function createService(run: TestRun, cluster: TestCluster, name: string, options: ServiceOptions = {}): Promise<ServiceModel> {
  return run.create<ServiceModel>(cluster, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name},
    spec: {
      ...(options.headless ? {clusterIP: 'None'} : {}),
      ports: [{name: 'tcp', port: LISTENER_PORT, protocol: 'TCP', targetPort: LISTENER_PORT}],
      ...(options.selector === false ? {} : {selector: {app: name}}),
    },
  })
}

/**
 * Exports without a clusterset IP unless told otherwise: these specs check which cluster's address
 * DNS answers, as upstream's verify does; one spec checks the clusterset IP itself.
 */
async function exportService(run: TestRun, cluster: TestCluster, name: string, annotations: Record<string, string> = {[ANNOTATION_USE_CLUSTERSET_IP]: 'false'}): Promise<void> {
  await run.create(cluster, {apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {annotations, name}})
}

async function unexport(run: TestRun, cluster: TestCluster, name: string): Promise<void> {
  await cluster.client.delete(Resources.ServiceExport, name, run.namespace)
}

/** A listener labelled app=<service> behind a ClusterIP (or headless) Service, exported. */
async function exportedEcho(context: PairContext, cluster: TestCluster, service: string, options: ServiceOptions = {}): Promise<{listener: Listener; ip: string}> {
  const listener = await startListener(context.run, cluster, needNode(cluster, 'non-gateway'), {app: service})
  const created = await createService(context.run, cluster, service, options)
  await exportService(context.run, cluster, service, options.annotations)
  return {ip: options.headless ? listener.ip : (created.spec?.clusterIP as string), listener}
}

/** Resolves from a non-gateway pod of the "from" cluster and fails with what came back. */
async function expectAnswer(context: PairContext, name: string, expect: string, what: string): Promise<void> {
  const {from, run} = context
  const {result, source} = await resolveFrom(run, from, {node: needNode(from, 'non-gateway')}, name, expect, run.settings.operationTimeoutMs)
  if (!result.matched) {
    throw new SpecFailure(`${name} did not resolve to ${what}`, {address: name, observed: `${result.status}${result.answers.length > 0 ? `: ${result.answers.join(', ')}` : ''}`, protocol: 'dns', source, target: `the DNS of ${from.context}`})
  }
}

/** The consuming cluster has the ServiceImport: the export reached it. */
async function imported(context: PairContext, service: string): Promise<KubeObject & {spec?: {ips?: string[]}}> {
  const {from, run} = context
  return run.until(`the ServiceImport of ${service} on ${from.context}`, () => from.client.tryGet(Resources.ServiceImport, service, run.namespace))
}

function spec(name: string, body: (context: PairContext, service: string) => Promise<string | void>): Spec {
  return {key: KEY, name, run: (context) => body(context, context.run.name('sd'))}
}

function needExtra(context: PairContext): TestCluster {
  if (!context.extra) throw new SpecSkipped('needs a third cluster: pass --extracontext')
  return context.extra
}

export const SERVICE_DISCOVERY_SPECS: Spec[] = [
  spec('resolves a Service exported by the remote cluster by its clusterset name, and connects to it by that name', async (context, service) => {
    const {ip, listener} = await exportedEcho(context, context.to, service)
    const name = clustersetName(context.run, service)
    await expectAnswer(context, name, ip, `the remote ClusterIP ${ip}`)
    const {passed, probe} = await echoCheck(context, {node: needNode(context.from, 'non-gateway')}, listener, name)
    if (!passed) throw new SpecFailure(`${name} resolved, but its listener did not echo the connector's data back`, probe)
  }),
  spec('resolves the remote Service by <cluster-id>.<service>.<namespace>.svc.clusterset.local', async (context, service) => {
    const {ip} = await exportedEcho(context, context.to, service)
    await expectAnswer(context, clustersetName(context.run, service, context.to), ip, `the remote ClusterIP ${ip}`)
  }),
  spec('prefers the local cluster’s Service when both clusters export it, and the remote one once the local export goes', async (context, service) => {
    const remote = await exportedEcho(context, context.to, service)
    const local = await exportedEcho(context, context.from, service)
    const name = clustersetName(context.run, service)
    await expectAnswer(context, name, local.ip, `the local ClusterIP ${local.ip} only`)
    await unexport(context.run, context.from, service)
    await expectAnswer(context, name, remote.ip, `the remote ClusterIP ${remote.ip} after the local unexport`)
  }),
  spec('resolves a Service exported before the Service existed', async (context, service) => {
    await exportService(context.run, context.to, service)
    // The listener takes a moment to start: the export is seen before its Service is there.
    await startListener(context.run, context.to, needNode(context.to, 'non-gateway'), {app: service})
    const created = await createService(context.run, context.to, service)
    await expectAnswer(context, clustersetName(context.run, service), created.spec?.clusterIP as string, `the ClusterIP of the Service made after its export`)
  }),
  spec('leaves a Service without ready pods out of the answers, and resolves it once a pod is ready', async (context, service) => {
    const created = await createService(context.run, context.to, service)
    await exportService(context.run, context.to, service)
    await imported(context, service)
    const name = clustersetName(context.run, service)
    await expectAnswer(context, name, 'none', 'no address while no pod is ready')
    await startListener(context.run, context.to, needNode(context.to, 'non-gateway'), {app: service})
    await expectAnswer(context, name, created.spec?.clusterIP as string, 'its ClusterIP once a pod is ready')
  }),
  spec('resolves a headless Service to the addresses of its ready pods', async (context, service) => {
    const {ip} = await exportedEcho(context, context.to, service, {headless: true})
    await expectAnswer(context, clustersetName(context.run, service), ip, `the pod address ${ip}`)
  }),
  spec('resolves a headless Service without a selector to the addresses of its EndpointSlice', async (context, service) => {
    const {run, to} = context
    const listener = await startListener(run, to, needNode(to, 'non-gateway'))
    await createService(run, to, service, {headless: true, selector: false})
    await run.create(to, {
      addressType: 'IPv4',
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: [{addresses: [listener.ip], conditions: {ready: true}}],
      kind: 'EndpointSlice',
      metadata: {labels: {'endpointslice.kubernetes.io/managed-by': 'subctl-verify', 'kubernetes.io/service-name': service}, name: `${service}-manual`},
      ports: [{name: 'tcp', port: LISTENER_PORT, protocol: 'TCP'}],
    } as KubeObject)
    await exportService(run, to, service)
    await expectAnswer(context, clustersetName(run, service), listener.ip, `the address ${listener.ip} of its EndpointSlice`)
  }),
  spec('resolves the pods of a StatefulSet by <pod>.<cluster-id>.<service>.<namespace>.svc.clusterset.local', async (context, service) => {
    const {run, to} = context
    await createService(run, to, service, {headless: true})
    await run.create(to, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: {name: service},
      spec: {
        replicas: 1,
        selector: {matchLabels: {app: service}},
        serviceName: service,
        template: {
          metadata: {labels: {app: service}},
          spec: {
            containers: [{args: ['nettest', 'serve', '--tcp-port', String(LISTENER_PORT)], image: run.settings.image, name: 'nettest', readinessProbe: {periodSeconds: 1, tcpSocket: {port: LISTENER_PORT}}}],
            nodeSelector: {'kubernetes.io/hostname': needNode(to, 'non-gateway')},
            tolerations: [{operator: 'Exists'}],
          },
        },
      },
    } as KubeObject)
    const pod = await run.until(`${service}-0 to be ready on ${to.context}`, async () => {
      const current = await to.client.tryGet<KubeObject & {status?: {podIP?: string; conditions?: Array<{type: string; status: string}>}}>(Resources.Pod, `${service}-0`, run.namespace)
      return current?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') && current.status.podIP ? current : undefined
    })
    await exportService(run, to, service)
    await expectAnswer(context, `${service}-0.${clustersetName(run, service, to)}`, pod.status?.podIP as string, `the address of ${service}-0`)
  }),
  spec('answers the ClusterIPs of two remote clusters in turn (round robin)', async (context, service) => {
    const extra = needExtra(context)
    const ips = [(await exportedEcho(context, context.to, service)).ip, (await exportedEcho(context, extra, service)).ip]
    const name = clustersetName(context.run, service)
    const {result, source} = await resolveFrom(context.run, context.from, {node: needNode(context.from, 'non-gateway')}, name, ips.join(','), context.run.settings.operationTimeoutMs, 'A')
    if (!result.matched) throw new SpecFailure(`${name} did not answer both remote ClusterIPs`, {address: name, observed: `${result.status}: ${result.answers.join(', ')}`, protocol: 'dns', source, target: `the DNS of ${context.from.context}`})
  }),
  spec('leaves a remote cluster whose Service lost its ready pods out of the answers', async (context, service) => {
    const extra = needExtra(context)
    const kept = await exportedEcho(context, context.to, service)
    const lost = await exportedEcho(context, extra, service)
    const name = clustersetName(context.run, service)
    await expectAnswer(context, `${extra.clusterId}.${name}`, lost.ip, `${extra.context}'s ClusterIP first`)
    await extra.client.delete(Resources.Pod, lost.listener.name, context.run.namespace, {gracePeriodSeconds: 0})
    await expectAnswer(context, name, kept.ip, `${context.to.context}'s ClusterIP only`)
  }),
  spec('resolves a Service exported with a clusterset IP to that IP', async (context, service) => {
    await exportedEcho(context, context.to, service, {annotations: {[ANNOTATION_USE_CLUSTERSET_IP]: 'true'}})
    const ip = await context.run
      .until(`a clusterset IP on the ServiceImport of ${service} on ${context.from.context}`, async () => (await imported(context, service)).spec?.ips?.[0])
      .catch((error: Error) => {
        throw new SpecFailure(`the ServiceImport got no clusterset IP`, {address: service, observed: error.message, source: context.from.context, target: `the ServiceImport of ${service}`})
      })
    await expectAnswer(context, clustersetName(context.run, service), ip, `the clusterset IP ${ip}`)
  }),
  spec('drops the answers once the remote cluster unexports the Service', async (context, service) => {
    const {ip} = await exportedEcho(context, context.to, service)
    const name = clustersetName(context.run, service)
    await expectAnswer(context, name, ip, `the remote ClusterIP ${ip}`)
    await unexport(context.run, context.to, service)
    await expectAnswer(context, name, 'none', 'nothing after the unexport')
  }),
]
