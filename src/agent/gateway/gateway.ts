/**
 * The gateway engine (reference/dataplane.md §3), on every node labelled as a gateway. All of them
 * answer NAT discovery and publish a Gateway object; the one holding the Lease is active: it runs
 * the cable driver, publishes the local Endpoint and Cluster, syncs them with the broker, builds a
 * cable to each remote cluster's newest Endpoint, and health-checks the cables.
 */
import {CLUSTER_ID_LABEL, type Cluster, type Connection, type Endpoint, type EndpointSpec, type Gateway, type GatewayStatus} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {brokerClient, brokerSettings} from '../../k8s/in-cluster.js'
import {Informer} from '../../k8s/informer.js'
import {Resources} from '../../k8s/resources.js'
import {validObjectName} from '../../lib/cluster-id.js'
import {ANNOTATION_GATEWAY_GLOBAL_IP} from '../../lib/globalnet/naming.js'
import {endpointName, newestPerCluster, sameEndpoint} from '../../lib/endpoints.js'
import {VERSION} from '../../lib/version.js'
import type {AgentEnvironment} from '../config.js'
import type {Net} from '../netlink/ip.js'
import {Controller} from '../runtime/controller.js'
import type {Logger} from '../runtime/log.js'
import type {CableConnection, CableDriver} from './cable/driver.js'
import {BrokerSync} from './broker-sync.js'
import {Cables} from './cables.js'
import {HealthChecker} from './health.js'
import {NatDiscovery} from './natdiscovery.js'
import type {GatewayMetrics} from './settings.js'

export const LEASE_NAME = 'submariner-gateway-lock'
const STALE_GATEWAY_MS = 15_000
const STATUS_LABEL = 'gateway.submariner.io/status'
const NODE_LABEL = 'gateway.submariner.io/node'

export class GatewayEngine {
  readonly #env: AgentEnvironment
  readonly #client: KubeClient
  readonly #log: Logger
  readonly #driver: CableDriver
  readonly #metrics: GatewayMetrics
  readonly #health: HealthChecker
  readonly #nat: NatDiscovery
  #spec: EndpointSpec
  #failure = ''
  #driverFailed = false
  #driverStarted = false
  readonly #publicIpProblem: string | undefined
  #active = false
  #brokerSync: BrokerSync | undefined
  #tunnels: Controller | undefined
  #endpoints: Informer<Endpoint> | undefined
  readonly #cables: Cables

  constructor(options: {env: AgentEnvironment; client: KubeClient; log: Logger; driver: CableDriver; spec: EndpointSpec; metrics: GatewayMetrics; net: Net; publicIpProblem?: string}) {
    this.#publicIpProblem = options.publicIpProblem
    this.#env = options.env
    this.#client = options.client
    this.#log = options.log
    this.#driver = options.driver
    this.#spec = options.spec
    this.#metrics = options.metrics
    this.#health = new HealthChecker({...options.env.healthCheck, log: options.log})
    this.#cables = new Cables(options.driver, options.log)
    this.#nat = new NatDiscovery({
      local: options.spec,
      log: options.log,
      // A result only changes an input of the tunnels reconcile, which alone builds cables.
      onResult: (result) => {
        if (this.#cables.record(result)) this.#tunnels?.queue.add('tunnels')
      },
      sourceFor: (ip) => options.net.sourceFor(ip),
    })
  }

  get active(): boolean {
    return this.#active
  }

  get spec(): EndpointSpec {
    return this.#spec
  }

  startNatDiscovery(): Promise<void> {
    return this.#nat.start()
  }

  /**
   * Leadership won: driver, local objects, broker sync, cables, health checks. `leadership` aborts when the lease is lost; every wait here
   * (the broker may be unreachable) is followed by a look at it, so that a start that outlived its
   * leadership builds nothing more (deactivate has removed what it built).
   */
  async activate(leadership: AbortSignal): Promise<void> {
    const {env, log} = this
    const lost = () => {
      if (leadership.aborted) log.info('leadership lost while becoming active: stopping there')
      return leadership.aborted
    }

    this.#spec = {...this.#spec, backend_config: {...this.#spec.backend_config, ...(await this.#driver.backendConfig())}}
    if (lost()) return
    this.#nat.local = this.#spec
    this.#active = true
    this.#failure = ''
    this.#publishNow()
    try {
      await this.#driver.init(this.#spec)
      this.#driverFailed = false
      this.#driverStarted = true
    } catch (error) {
      this.#failure = `Error initialising the ${this.#driver.name} cable driver: ${(error as Error).message}`
      this.#driverFailed = true
      log.error('cable driver failed', {error})
    }

    if (lost()) return
    const settings = brokerSettings()
    const broker = await brokerClient(settings, 'submariner-gateway')
    const localSubnets = [...env.clusterCIDRs, ...env.serviceCIDRs, ...env.globalCIDRs]
    this.#brokerSync = new BrokerSync({broker, brokerNamespace: settings.namespace, clusterId: env.clusterId, local: this.#client, localSubnets, log, namespace: env.namespace})
    await this.#publishLocalObjects()
    if (lost()) return
    await this.#brokerSync.start()
    if (lost()) return

    this.#endpoints = new Informer<Endpoint>(this.#client, Resources.Endpoint, {log, namespace: env.namespace})
    this.#tunnels = new Controller('tunnels', () => this.#syncTunnels(), log).watch(this.#endpoints, () => ['tunnels'])
    await this.#tunnels.start()
    if (lost()) return
    this.#tunnels.queue.add('tunnels')
    await this.#labelPod('active')
    log.info('active: the cable engine runs', {driver: this.#driver.name, endpoint: endpointName(this.#spec)})
  }

  /**
   * Leadership lost: stop building cables and remove the ones built. Left in place, they would
   * keep this node's traffic to remote clusters in a tunnel whose other end no longer answers.
   */
  async deactivate(): Promise<void> {
    this.#stopLeading()
    this.#publishNow()
    await this.#removeCables()
    await this.#labelPod('passive').catch((error: unknown) => this.#log.warn('could not label the pod passive', {error}))
  }

  /** A change of role is published at once, not at the next status interval: who leads is what users and the other gateway look at. */
  #publishNow(): void {
    void this.publishStatus().catch((error: unknown) => this.#log.warn('could not publish the Gateway status', {error}))
  }

  /** Whether the cable driver runs; an active gateway without it carries no traffic. */
  get driverStarted(): boolean {
    return this.#driverStarted
  }

  #stopLeading(): void {
    this.#active = false
    this.#driverFailed = false
    this.#driverStarted = false
    this.#tunnels?.stop()
    this.#endpoints?.stop()
    this.#brokerSync?.stop()
    this.#health.stop()
  }

  async #removeCables(): Promise<void> {
    await this.#cables.clear().catch((error: unknown) => this.#log.warn('could not remove the cables', {error}))
  }

  get env(): AgentEnvironment {
    return this.#env
  }

  get log(): Logger {
    return this.#log
  }

  /** The local Cluster and Endpoint; any other Endpoint of this cluster (a previous gateway's) goes. */
  async #publishLocalObjects(): Promise<void> {
    const {clusterCIDRs, clusterId, globalCIDRs, namespace, serviceCIDRs} = this.#env
    const cluster: Cluster = {
      apiVersion: 'submariner.io/v1',
      kind: 'Cluster',
      metadata: {name: validObjectName(clusterId), namespace},
      spec: {cluster_cidr: clusterCIDRs, cluster_id: clusterId, color_codes: ['blue'], global_cidr: globalCIDRs, service_cidr: serviceCIDRs},
    }
    await this.#client.apply(cluster)
    const name = endpointName(this.#spec)
    for (const endpoint of await this.#client.tryList<Endpoint>(Resources.Endpoint, {namespace})) {
      const local = endpoint.spec.cluster_id === clusterId && !endpoint.metadata.labels?.[CLUSTER_ID_LABEL]
      if (local && endpoint.metadata.name !== name && !sameEndpoint(endpoint.spec, this.#spec)) {
        await this.#client.delete(Resources.Endpoint, endpoint.metadata.name as string, namespace)
        this.#log.info('removed the endpoint of a previous gateway', {endpoint: endpoint.metadata.name})
      }
    }

    await this.#client.apply<Endpoint>({apiVersion: 'submariner.io/v1', kind: 'Endpoint', metadata: {name, namespace}, spec: this.#spec})
  }

  /**
   * Level-triggered: NAT-discover every remote cluster's newest Endpoint, then converge the cables
   * to the Endpoints and the results known (a new result queues this again).
   */
  async #syncTunnels(): Promise<void> {
    if (!this.#active || !this.#endpoints) return
    const remotes = [...newestPerCluster(this.#endpoints.list()).values()].filter((endpoint) => endpoint.spec.cluster_id !== this.#env.clusterId)
    for (const [cluster, cable] of this.#cables.installed) {
      if (!remotes.some((endpoint) => endpoint.spec.cluster_id === cluster)) this.#nat.forget(cable.endpoint.cable_name)
    }

    for (const remote of remotes) this.#nat.discover(remote.spec)
    await this.#cables.reconcile(remotes)
    this.#health.sync(new Map(remotes.flatMap((remote) => (remote.spec.healthCheckIP ? [[remote.spec.cable_name, remote.spec.healthCheckIP]] : []))))
  }

  /** Driver connections merged with the health checker's view (reference/dataplane.md §3.8). */
  async connections(): Promise<Connection[]> {
    if (!this.#active) return []
    let cables: CableConnection[] = []
    try {
      cables = await this.#driver.connections()
    } catch (error) {
      this.#failure = `Error retrieving driver connections: ${(error as Error).message}`
    }

    return cables.map((cable) => {
      const health = this.#health.status(cable.endpoint.cable_name)
      let status = cable.status
      let message = cable.statusMessage
      if (health && status === 'connected' && health.status === 'error') {
        status = 'error'
        message = health.message
      } else if (health && status === 'error' && health.status === 'connected') {
        status = 'connected'
      }

      const labels = this.#metricLabels(cable)
      this.#metrics.rx.set(labels, cable.rxBytes ?? 0)
      this.#metrics.tx.set(labels, cable.txBytes ?? 0)
      if (health?.lastSeconds !== undefined) this.#metrics.latency.set(labels, health.lastSeconds)
      this.#metrics.connections.set({...labels, status}, 1)
      const pinged = this.#health.pingedIp(cable.endpoint.cable_name)
      return {
        endpoint: pinged ? {...cable.endpoint, healthCheckIP: pinged} : cable.endpoint,
        status,
        statusMessage: message,
        usingIP: cable.usingIP,
        usingNAT: cable.usingNAT,
        ...(health?.rtt ? {latencyRTT: health.rtt} : {}),
      }
    })
  }

  #metricLabels(cable: CableConnection): Record<string, string> {
    return {
      cable_driver: this.#driver.name,
      local_cluster: this.#spec.cluster_id,
      local_endpoint_ip: this.#spec.public_ip,
      local_hostname: this.#spec.hostname,
      remote_cluster: cable.endpoint.cluster_id,
      remote_endpoint_ip: cable.endpoint.public_ip,
      remote_hostname: cable.endpoint.hostname,
    }
  }

  /** Writes this node's Gateway object; the active one also removes Gateways nobody refreshes. */
  async publishStatus(): Promise<void> {
    const status: GatewayStatus = {
      conditions: [
        ...(this.#active
          ? [
              this.#driverFailed
                ? {message: this.#failure, reason: 'InitFailed', status: 'False' as const, type: 'CableDriverReady'}
                : {message: `the ${this.#driver.name} cable driver runs`, reason: 'Running', status: 'True' as const, type: 'CableDriverReady'},
            ]
          : []),
        this.#publicIpProblem
          ? {message: this.#publicIpProblem, reason: 'ResolversFailed', status: 'False', type: 'PublicIPKnown'}
          : {message: this.#spec.public_ip ? `public IP ${this.#spec.public_ip}` : 'air-gapped: no public IP', reason: this.#spec.public_ip ? 'Resolved' : 'AirGapped', status: 'True', type: 'PublicIPKnown'},
      ],
      connections: await this.connections(),
      haStatus: this.#active ? 'active' : 'passive',
      localEndpoint: this.#spec,
      statusFailure: this.#failure,
      version: VERSION,
    }
    const name = validObjectName(this.#spec.hostname)
    // Before this one says active, no other may: the lease is ours, so another Gateway that still
    // says active is a dead leader's last word (its process cannot refresh it any more).
    if (this.#active) await this.#demoteOthers(name)
    const applied = await this.#client.apply<Gateway>({
      apiVersion: 'submariner.io/v1',
      kind: 'Gateway',
      metadata: {annotations: {'update-timestamp': String(Math.floor(Date.now() / 1000))}, name, namespace: this.#env.namespace},
      status,
    })
    this.#metrics.syncs.inc()
    await this.#adoptGlobalHealthCheckIp(applied)
    if (!this.#active) return
    for (const gateway of await this.#client.tryList<Gateway>(Resources.Gateway, {namespace: this.#env.namespace})) {
      const refreshed = Number(gateway.metadata.annotations?.['update-timestamp'] ?? 0) * 1000
      if (gateway.metadata.name !== name && Date.now() - refreshed >= STALE_GATEWAY_MS) {
        await this.#client.delete(Resources.Gateway, gateway.metadata.name as string, this.#env.namespace)
      }
    }
  }

  /**
   * Under Globalnet the health check IP is a global IP that globalnet gives this node's Gateway
   * (in its annotation, reference/dataplane.md §5.5): the Endpoint advertises it once it is there.
   */
  async #adoptGlobalHealthCheckIp(gateway: Gateway): Promise<void> {
    if (this.#env.globalCIDRs.length === 0 || !this.#env.healthCheck.enabled) return
    const ip = gateway.metadata.annotations?.[ANNOTATION_GATEWAY_GLOBAL_IP]
    if (!ip || ip === this.#spec.healthCheckIP) return
    this.#spec = {...this.#spec, healthCheckIP: ip}
    this.#nat.local = this.#spec
    this.#log.info('health check IP from Globalnet', {healthCheckIP: ip})
    if (this.#active) await this.#client.apply<Endpoint>({apiVersion: 'submariner.io/v1', kind: 'Endpoint', metadata: {name: endpointName(this.#spec), namespace: this.#env.namespace}, spec: this.#spec})
  }

  async #demoteOthers(name: string): Promise<void> {
    for (const gateway of await this.#client.tryList<Gateway>(Resources.Gateway, {namespace: this.#env.namespace})) {
      if (gateway.metadata.name === name || gateway.status?.haStatus !== 'active') continue
      await this.#client.mergePatch(Resources.Gateway, gateway.metadata.name as string, this.#env.namespace, {status: {connections: [], haStatus: 'passive'}})
      this.#log.info('marked the Gateway of a previous leader passive', {gateway: gateway.metadata.name})
    }
  }

  async #labelPod(status: 'active' | 'passive'): Promise<void> {
    if (!this.#env.podName) return
    await this.#client.mergePatch(Resources.Pod, this.#env.podName, this.#env.podNamespace, {metadata: {labels: {[NODE_LABEL]: this.#env.nodeName, [STATUS_LABEL]: status}}})
  }

  async labelPassive(): Promise<void> {
    await this.#labelPod('passive')
  }

  /** Stopping (the lease is already released): a node that no longer runs a gateway must not keep its cables. */
  async shutdown(): Promise<void> {
    this.#nat.stop()
    const wasActive = this.#active
    this.#stopLeading()
    if (wasActive) await this.#removeCables()
    await this.#client
      .delete(Resources.Gateway, validObjectName(this.#spec.hostname), this.#env.namespace)
      .catch((error: unknown) => this.#log.warn('could not delete the Gateway object on the way out', {error}))
  }
}
