import {createSocket} from 'node:dgram'
import {connect} from 'node:net'

import dnsPacket, {type Packet} from 'dns-packet'
import {Registry} from 'prom-client'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SOURCE_CLUSTER, LABEL_SOURCE_NAMESPACE, MANAGED_BY_LIGHTHOUSE} from '../../api/mcs.js'
import {nullLogger} from '../runtime/log.js'
import {ServiceIndex} from './resolver.js'
import {DnsServer} from './server.js'

const index = new ServiceIndex('c1')
const server = new DnsServer({host: '127.0.0.1', index, log: nullLogger, port: 0, registry: new Registry(), ttl: 5, zones: ['clusterset.local']})

function query(name: string, type: string, options: {edns?: number; id?: number} = {}): Buffer {
  return dnsPacket.encode({
    additionals: options.edns ? [{name: '.', type: 'OPT', udpPayloadSize: options.edns} as never] : [],
    flags: dnsPacket.RECURSION_DESIRED,
    id: options.id ?? 4242,
    questions: [{class: 'IN', name, type: type as 'A'}],
    type: 'query',
  })
}

function overUdp(message: Buffer): Promise<Packet & {rcode?: string; flag_tc?: boolean; flag_aa?: boolean}> {
  const socket = createSocket('udp4')
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP answer')), 2000)
    socket.once('message', (reply) => {
      clearTimeout(timer)
      socket.close()
      resolve(dnsPacket.decode(reply) as never)
    })
    socket.send(message, server.port, '127.0.0.1')
  })
}

function overTcp(message: Buffer): Promise<Packet & {rcode?: string; flag_tc?: boolean}> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1')
    let buffer = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      if (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        socket.end()
        resolve(dnsPacket.decode(buffer.subarray(2, 2 + buffer.readUInt16BE(0))) as never)
      }
    })
    socket.on('error', reject)
    const framed = Buffer.alloc(2 + message.length)
    framed.writeUInt16BE(message.length, 0)
    message.copy(framed, 2)
    socket.write(framed)
  })
}

beforeAll(async () => {
  index.upsertImport({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceImport', metadata: {name: 'big', namespace: 'default'}, spec: {ports: [], type: 'Headless'}})
  index.upsertSlice({
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    // 60 endpoints: 60 × 16-byte A records do not fit in 512 bytes.
    endpoints: Array.from({length: 60}, (_, n) => ({addresses: [`10.9.2.${n + 1}`], conditions: {ready: true}})),
    kind: 'EndpointSlice',
    metadata: {
      labels: {[LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE, [LABEL_SERVICE_NAME]: 'big', [LABEL_SOURCE_CLUSTER]: 'c2', [LABEL_SOURCE_NAMESPACE]: 'default'},
      name: 'big-c2',
      namespace: 'default',
    },
    ports: [],
  })
  await server.start()
})

afterAll(() => server.stop())

describe('DnsServer on loopback', () => {
  it('answers authoritatively over UDP, echoing the id and RD and never setting RA', async () => {
    const reply = await overUdp(query('dns-version.clusterset.local', 'TXT', {id: 777}))
    expect(reply.id).toBe(777)
    expect(reply.rcode).toBe('NOERROR')
    expect(reply.flag_aa).toBe(true)
    expect((reply.flags ?? 0) & dnsPacket.RECURSION_DESIRED).toBeTruthy()
    expect((reply.flags ?? 0) & dnsPacket.RECURSION_AVAILABLE).toBe(0)
    expect(reply.answers?.[0]).toMatchObject({name: 'dns-version.clusterset.local', ttl: 5, type: 'TXT'})
  })

  it('says NXDOMAIN with the zone SOA for unknown services, and REFUSED outside its zones', async () => {
    const missing = await overUdp(query('nope.default.svc.clusterset.local', 'A'))
    expect(missing.rcode).toBe('NXDOMAIN')
    expect(missing.answers).toEqual([])
    expect(missing.authorities?.[0]).toMatchObject({name: 'clusterset.local', type: 'SOA'})
    expect((missing.authorities?.[0] as {data?: {minimum: number}} | undefined)?.data?.minimum).toBe(5)

    const outside = await overUdp(query('example.com', 'A'))
    expect(outside.rcode).toBe('REFUSED')
    expect(outside.flag_aa).toBe(false)
    expect(outside.authorities).toEqual([])
  })

  it('answers the SOA of its zone apex', async () => {
    const reply = await overUdp(query('clusterset.local', 'SOA'))
    expect(reply.rcode).toBe('NOERROR')
    expect(reply.answers?.[0]).toMatchObject({name: 'clusterset.local', type: 'SOA'})
  })

  it('truncates UDP answers beyond 512 bytes, fits them with EDNS0, and sends them whole over TCP', async () => {
    const plain = await overUdp(query('big.default.svc.clusterset.local', 'A'))
    expect(plain.flag_tc).toBe(true)
    expect(plain.answers).toEqual([])

    const edns = await overUdp(query('big.default.svc.clusterset.local', 'A', {edns: 4096}))
    expect(edns.flag_tc).toBe(false)
    expect(edns.answers).toHaveLength(60)
    expect(edns.additionals?.some((record) => record.type === 'OPT')).toBe(true)

    const tcp = await overTcp(query('big.default.svc.clusterset.local', 'A'))
    expect(tcp.flag_tc).toBe(false)
    expect(tcp.answers).toHaveLength(60)
  })

  it('answers a repeated question from its cache with the new id, and afresh once the index changes', () => {
    const ask = (id: number) => dnsPacket.decode(server.handle(query('big.default.svc.clusterset.local', 'A', {edns: 4096, id}), 'udp') as Buffer)
    expect(ask(1).answers).toHaveLength(60)
    const again = ask(2)
    expect(again.id).toBe(2)
    expect(again.answers).toHaveLength(60)

    index.upsertSlice({
      addressType: 'IPv4',
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: [{addresses: ['10.9.2.200'], conditions: {ready: true}}],
      kind: 'EndpointSlice',
      metadata: {
        labels: {[LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE, [LABEL_SERVICE_NAME]: 'big', [LABEL_SOURCE_CLUSTER]: 'c3', [LABEL_SOURCE_NAMESPACE]: 'default'},
        name: 'big-c3',
        namespace: 'default',
      },
      ports: [],
    })
    expect(ask(3).answers).toHaveLength(61)
  })

  it('drops malformed packets without an answer and keeps serving', async () => {
    expect(server.handle(Buffer.from([1, 2, 3]), 'udp')).toBeUndefined()
    const reply = await overUdp(query('dns-version.clusterset.local', 'TXT'))
    expect(reply.rcode).toBe('NOERROR')
  })
})
