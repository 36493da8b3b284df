/**
 * Clusterset-IP allocation against a real API server (c1's, standing in for both the cluster and
 * the broker): two Lighthouse agents of one cluster, each reconciling four services at once, never
 * give two services the same address, and an unexport releases its address for the next export.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {EndpointSlice, ServiceImport} from '../../src/api/mcs.js'
import {ANNOTATION_RESERVED_FOR, MANAGED_BY_CLUSTERSET_IP} from '../../src/agent/lighthouse/clusterset-ip.js'
import {startLighthouse} from '../../src/agent/lighthouse/lighthouse-agent.js'
import {nullLogger} from '../../src/agent/runtime/log.js'
import type {Controller} from '../../src/agent/runtime/controller.js'
import type {KubeClient} from '../../src/k8s/client.js'
import {Resources} from '../../src/k8s/resources.js'
import {brokerCrds, memberCrds} from '../../src/manifests/crds.js'
import {clusterClient, eventually} from '../helpers/lab.js'

const RUN = Date.now().toString(36)
const SERVICES_NS = `lab-csip-${RUN}`
const SUBMARINER_NS = `lab-csip-sm-${RUN}`
const BROKER_NS = `lab-csip-broker-${RUN}`
const CIDR = '243.7.0.0/26'
const SERVICES = 24

let admin: KubeClient
const clients: KubeClient[] = []
const controllers: Controller[] = []

const service = (name: string) => ({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: SERVICES_NS}, spec: {ports: [{name: 'http', port: 80, protocol: 'TCP'}], selector: {app: name}}})
const serviceExport = (name: string) => ({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name, namespace: SERVICES_NS}})

async function aggregateIps(): Promise<Map<string, string[]>> {
  const {items: aggregates} = await admin.list<ServiceImport>(Resources.ServiceImport, {namespace: BROKER_NS})
  return new Map(aggregates.map((aggregate) => [aggregate.metadata.name as string, aggregate.spec.ips ?? []]))
}

const reservations = async () => (await admin.list<EndpointSlice>(Resources.EndpointSlice, {labelSelector: `endpointslice.kubernetes.io/managed-by=${MANAGED_BY_CLUSTERSET_IP}`, namespace: BROKER_NS})).items

/** Waits until exactly `names` have an aggregate, each with one address; returns the addresses. */
async function settledIps(names: string[]): Promise<Map<string, string>> {
  const wanted = new Set(names.map((name) => `${name}-${SERVICES_NS}`))
  return eventually(`${names.length} aggregates with a clusterset IP`, async () => {
    const ips = await aggregateIps()
    if (ips.size !== wanted.size || ![...wanted].every((name) => ips.get(name)?.length === 1)) return undefined
    return new Map([...ips].map(([name, list]) => [name, list[0] as string]))
  })
}

beforeAll(async () => {
  admin = await clusterClient('c1')
  for (const crd of [...brokerCrds(), ...memberCrds()]) await admin.apply(crd)
  for (const name of [SERVICES_NS, SUBMARINER_NS, BROKER_NS]) await admin.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
  // Two agents of one cluster, each with clients of its own.
  for (let agent = 0; agent < 2; agent++) {
    const local = await clusterClient('c1')
    const broker = await clusterClient('c1')
    clients.push(local, broker)
    const settings = {brokerNamespace: BROKER_NS, clusterId: 'c1', clustersetIPCIDR: CIDR, clustersetIPEnabled: true, globalnet: false, namespace: SUBMARINER_NS}
    controllers.push((await startLighthouse({broker, local, log: nullLogger, settings})).controller)
  }
})

afterAll(async () => {
  for (const controller of controllers) controller.stop()
  for (const client of clients) client.close()
  for (const name of [SERVICES_NS, SUBMARINER_NS, BROKER_NS]) await admin?.delete(Resources.Namespace, name)
  admin?.close()
})

describe('clusterset-IP allocation', () => {
  it('gives every service its own address, with two agents each reconciling four services at once', async () => {
    // When 24 services are exported at once
    const names = Array.from({length: SERVICES}, (_, index) => `svc-${index}`)
    await Promise.all(names.map((name) => admin.create(service(name))))
    await Promise.all(names.map((name) => admin.create(serviceExport(name))))

    // Then each aggregate has one address of the pool, no two the same, each held by a record for its service
    const ips = await settledIps(names)
    expect(new Set(ips.values()).size).toBe(SERVICES)
    for (const ip of ips.values()) expect(ip).toMatch(/^243\.7\.0\.\d+$/)
    const records = await reservations()
    const heldBy = new Map(records.map((record) => [record.endpoints?.[0]?.addresses[0], record.metadata.annotations?.[ANNOTATION_RESERVED_FOR]]))
    for (const [aggregate, ip] of ips) expect(`${heldBy.get(ip)}`).toBe(`${SERVICES_NS}/${aggregate.replace(`-${SERVICES_NS}`, '')}`)
  })

  it('releases the addresses of unexported services and hands them out again without a clash', async () => {
    const before = await settledIps(Array.from({length: SERVICES}, (_, index) => `svc-${index}`))
    const gone = Array.from({length: SERVICES / 2}, (_, index) => `svc-${index * 2}`)
    const kept = Array.from({length: SERVICES / 2}, (_, index) => `svc-${index * 2 + 1}`)

    // When half are unexported, their records go with their aggregates
    await Promise.all(gone.map((name) => admin.delete(Resources.ServiceExport, name, SERVICES_NS)))
    await settledIps(kept)
    await eventually('the released records to go', async () => (await reservations()).length === kept.length)

    // And when as many new services are exported, they get addresses no kept service has
    const added = Array.from({length: SERVICES / 2}, (_, index) => `new-${index}`)
    await Promise.all(added.map((name) => admin.create(service(name))))
    await Promise.all(added.map((name) => admin.create(serviceExport(name))))
    const after = await settledIps([...kept, ...added])
    expect(new Set(after.values()).size).toBe(SERVICES)
    for (const name of kept) expect(after.get(`${name}-${SERVICES_NS}`)).toBe(before.get(`${name}-${SERVICES_NS}`))
  })
})
