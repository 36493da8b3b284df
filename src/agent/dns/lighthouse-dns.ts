/**
 * The lighthouse-dns role: the DNS server for clusterset.local and the custom domains, fed by
 * informers on the imported ServiceImports, the Lighthouse EndpointSlices and the Gateways.
 *
 *   lighthouse-dns --zones clusterset.local[,example.org] [--port 53] [--ttl 5] [--workers N]
 *
 * --workers: processes answering on the port (workers.ts); by default the CPUs of the pod's cgroup
 * quota. With 1, this process answers itself.
 */
import cluster from 'node:cluster'
import {parseArgs} from 'node:util'

import {MANAGED_BY_LIGHTHOUSE, type EndpointSlice, type ServiceImport} from '../../api/mcs.js'
import type {Gateway} from '../../api/submariner.js'
import {inClusterClient} from '../../k8s/clients.js'
import {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {aborted, ArgumentError, type RoleModule} from '../runtime/role.js'
import {ServiceIndex} from './resolver.js'
import {DnsServer} from './server.js'
import {registerDnsMetrics} from './stats.js'
import {applyToIndex, defaultWorkers, DnsWorkerPool, runDnsWorker, type IndexFeed, type ToWorker} from './workers.js'

export const lighthouseDnsRole: RoleModule = {
  defaultMetricsPort: 9153,
  async run(args, context) {
    const {values} = parseArgs({args, options: {port: {type: 'string'}, ttl: {type: 'string'}, workers: {type: 'string'}, zones: {type: 'string'}}, strict: true})
    const zones = (values.zones ?? 'clusterset.local').split(',').map((zone) => zone.trim()).filter(Boolean)
    const ttl = Number(values.ttl ?? 5)
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) throw new ArgumentError('--ttl must be between 0 and 3600 seconds')
    const workers = values.workers === undefined ? defaultWorkers() : Number(values.workers)
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new ArgumentError('--workers must be a whole number from 1 to 64')
    const port = Number(values.port ?? 53)
    const {env, log} = context
    const clusterId = env.SUBMARINER_CLUSTERID ?? ''
    if (cluster.isWorker) return runDnsWorker({clusterId, port, ttl, zones}, log.child({worker: cluster.worker?.id}), context.signal)

    const client = await inClusterClient('lighthouse-dns')
    const imports = new Informer<ServiceImport>(client, Resources.ServiceImport, {log})
    const slices = new Informer<EndpointSlice>(client, Resources.EndpointSlice, {labelSelector: `endpointslice.kubernetes.io/managed-by=${MANAGED_BY_LIGHTHOUSE}`, log})
    const gateways = new Informer<Gateway>(client, Resources.Gateway, {log})
    const submariners = new Informer<KubeObject>(client, Resources.Submariner, {log})
    const informers = [imports, slices, gateways, submariners] as Array<Informer<KubeObject>>
    for (const informer of informers) informer.start()
    await Promise.all(informers.map((informer) => informer.synced))

    // One process answers itself; several are fed through the pool, which replays the informers' objects to each.
    const index = workers === 1 ? new ServiceIndex(clusterId) : undefined
    const pool = index
      ? undefined
      : new DnsWorkerPool(workers, ['lighthouse-dns', '--metrics-port=0', ...args], () => replay(), log)
    const feed: IndexFeed = index ?? (pool as DnsWorkerPool)
    const replay = (): ToWorker[] => [
      ...imports.list().map((object) => ({kind: 'index', method: 'upsertImport', object}) as const),
      ...slices.list().map((object) => ({kind: 'index', method: 'upsertSlice', object}) as const),
      {gateways: gateways.list(), installed: submariners.list().length > 0, kind: 'gateways'},
    ]
    imports.onEvent((event) => (event.type === 'delete' ? feed.deleteImport(event.object) : feed.upsertImport(event.object)))
    slices.onEvent((event) => (event.type === 'delete' ? feed.deleteSlice(event.object) : feed.upsertSlice(event.object)))
    const connectivity = () => feed.setGateways(gateways.list(), submariners.list().length > 0)
    gateways.onEvent(connectivity)
    submariners.onEvent(connectivity)

    let server: DnsServer | undefined
    if (index) {
      for (const message of replay()) applyToIndex(index, message)
      server = new DnsServer({index, log, port, registry: context.registry, ttl, zones})
      await server.start()
    } else {
      registerDnsMetrics(context.registry, () => (pool as DnsWorkerPool).stats())
      await pool?.start()
    }

    context.health.ready = true
    log.info('serving DNS', {port: server?.port ?? port, serviceImports: imports.list().length, workers, zones})
    await aborted(context.signal)
    await server?.stop()
    await pool?.stop()
    for (const informer of informers) informer.stop()
    client.close()
    return 0
  },
}
