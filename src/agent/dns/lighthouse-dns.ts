/**
 * The lighthouse-dns role: the DNS server for clusterset.local and the custom domains, fed by
 * informers on the imported ServiceImports, the Lighthouse EndpointSlices and the Gateways.
 *
 *   lighthouse-dns --zones clusterset.local[,example.org] [--port 53] [--ttl 5]
 */
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

export const lighthouseDnsRole: RoleModule = {
  defaultMetricsPort: 9153,
  async run(args, context) {
    const {values} = parseArgs({args, options: {port: {type: 'string'}, ttl: {type: 'string'}, zones: {type: 'string'}}, strict: true})
    const zones = (values.zones ?? 'clusterset.local').split(',').map((zone) => zone.trim()).filter(Boolean)
    const ttl = Number(values.ttl ?? 5)
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) throw new ArgumentError('--ttl must be between 0 and 3600 seconds')
    const port = Number(values.port ?? 53)
    const {env, log} = context
    const client = await inClusterClient('lighthouse-dns')
    const index = new ServiceIndex(env.SUBMARINER_CLUSTERID ?? '')
    const imports = new Informer<ServiceImport>(client, Resources.ServiceImport, {log})
    const slices = new Informer<EndpointSlice>(client, Resources.EndpointSlice, {labelSelector: `endpointslice.kubernetes.io/managed-by=${MANAGED_BY_LIGHTHOUSE}`, log})
    const gateways = new Informer<Gateway>(client, Resources.Gateway, {log})
    const submariners = new Informer<KubeObject>(client, Resources.Submariner, {log})
    imports.onEvent((event) => (event.type === 'delete' ? index.deleteImport(event.object) : index.upsertImport(event.object)))
    slices.onEvent((event) => (event.type === 'delete' ? index.deleteSlice(event.object) : index.upsertSlice(event.object)))
    const connectivity = () => index.setGateways(gateways.list(), submariners.list().length > 0)
    gateways.onEvent(connectivity)
    submariners.onEvent(connectivity)
    for (const informer of [imports, slices, gateways, submariners] as Array<Informer<KubeObject>>) informer.start()
    await Promise.all([imports.synced, slices.synced, gateways.synced, submariners.synced])
    connectivity()

    const server = new DnsServer({index, log, port, registry: context.registry, ttl, zones})
    await server.start()
    context.health.ready = true
    log.info('serving DNS', {port: server.port, services: index.size, zones})
    await aborted(context.signal)
    await server.stop()
    for (const informer of [imports, slices, gateways, submariners] as Array<Informer<KubeObject>>) informer.stop()
    client.close()
    return 0
  },
}
