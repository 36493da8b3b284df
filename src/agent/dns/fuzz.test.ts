/**
 * 100,000 malformed or hostile DNS packets, from a seeded generator, at the Lighthouse DNS server
 * on loopback: truncated headers, random bytes, compression-pointer loops, labels over 63 bytes,
 * oversized EDNS0, ANY queries, other zones, several questions, responses, other opcodes, and TCP
 * with bad length prefixes. The server never crashes, keeps its memory, and answers every valid
 * query sent in between; the figures are printed.
 */
import {createSocket} from 'node:dgram'
import {connect} from 'node:net'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import dnsPacket from 'dns-packet'
import {Registry} from 'prom-client'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SOURCE_CLUSTER, LABEL_SOURCE_NAMESPACE, MANAGED_BY_LIGHTHOUSE} from '../../api/mcs.js'
import {nullLogger} from '../runtime/log.js'
import {ServiceIndex} from './resolver.js'
import {DnsServer} from './server.js'
import {seededRandom} from '../../../test/helpers/seeded-random.js'

// A full collection on demand, without starting node with --expose-gc.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

const index = new ServiceIndex('c1')
const server = new DnsServer({host: '127.0.0.1', index, log: nullLogger, port: 0, registry: new Registry(), zones: ['clusterset.local']})
const PACKETS = 100_000
const OVER_UDP_EVERY = 10

const query = (name: string, type: string, extra: Partial<dnsPacket.Packet> = {}) =>
  dnsPacket.encode({flags: dnsPacket.RECURSION_DESIRED, id: 7, questions: [{class: 'IN', name, type: type as 'A'}], type: 'query', ...extra})

function hostile(next: () => number, serial: number): Buffer {
  const valid = query('echo.demo.svc.clusterset.local', 'A')
  switch (serial % 12) {
    case 0:
      return valid.subarray(0, Math.floor(next() * 12))
    case 1:
      return Buffer.from(Array.from({length: 1 + Math.floor(next() * 600)}, () => Math.floor(next() * 256)))
    case 2:
      return valid.subarray(0, 12 + Math.floor(next() * (valid.length - 12)))
    case 3: {
      // a name that is a compression pointer to itself
      const header = Buffer.from(valid.subarray(0, 12))
      return Buffer.concat([header, Buffer.from([0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01])])
    }

    case 4: {
      // two pointers that point at each other
      const header = Buffer.from(valid.subarray(0, 12))
      return Buffer.concat([header, Buffer.from([0xc0, 0x0e, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01])])
    }

    case 5: {
      // a label longer than 63 bytes, written by hand (the codec refuses to)
      const header = Buffer.from(valid.subarray(0, 12))
      return Buffer.concat([header, Buffer.from([100]), Buffer.alloc(100, 0x61), Buffer.from([0, 0, 1, 0, 1])])
    }

    case 6:
      return query('echo.demo.svc.clusterset.local', 'A', {
        additionals: [{name: '.', options: Array.from({length: 40}, () => ({code: 65_001, data: Buffer.alloc(100, 1)})), type: 'OPT', udpPayloadSize: 65_535} as never],
      })
    case 7:
      return query('echo.demo.svc.clusterset.local', 'ANY')
    case 8:
      return query(`host${serial}.example.org`, 'A')
    case 9:
      return dnsPacket.encode({
        id: 9,
        questions: [
          {name: 'a.clusterset.local', type: 'A'},
          {name: 'b.clusterset.local', type: 'AAAA'},
        ],
        type: 'query',
      })
    case 10:
      return dnsPacket.encode({answers: [{data: '10.0.0.1', name: 'x.clusterset.local', type: 'A'}], id: 10, questions: [{name: 'x.clusterset.local', type: 'A'}], type: 'response'})
    default: {
      // another opcode (NOTIFY, UPDATE) with a flipped byte
      const packet = Buffer.from(valid)
      packet[2] = ((packet[2] as number) & 0x87) | ((4 + Math.floor(next() * 2)) << 3)
      const at = 12 + Math.floor(next() * (packet.length - 12))
      packet[at] = (packet[at] as number) ^ 0xff
      return packet
    }
  }
}

beforeAll(async () => {
  index.upsertImport({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceImport', metadata: {name: 'echo', namespace: 'demo'}, spec: {ports: [{port: 80, protocol: 'TCP'}], type: 'ClusterSetIP'}})
  index.upsertSlice({
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints: [{addresses: ['10.99.1.5'], conditions: {ready: true}}],
    kind: 'EndpointSlice',
    metadata: {
      annotations: {},
      labels: {[LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE, [LABEL_SERVICE_NAME]: 'echo', [LABEL_SOURCE_CLUSTER]: 'c2', [LABEL_SOURCE_NAMESPACE]: 'demo'},
      name: 'echo-c2',
      namespace: 'demo',
    },
    ports: [{port: 80, protocol: 'TCP'}],
  } as never)
  await server.start()
})

afterAll(() => server.stop())

/** The heap still in use after a full collection. */
function retainedHeap(): number {
  collectGarbage()
  return process.memoryUsage().heapUsed
}

describe('the Lighthouse DNS server under hostile packets', () => {
  it('survives 100,000 of them, keeps its memory, and answers the valid queries in between', async () => {
    const next = seededRandom(1_645)
    const socket = createSocket('udp4')
    const answers = new Map<number, (reply: Buffer) => void>()
    socket.on('message', (reply) => answers.get(reply.readUInt16BE(0))?.(reply))
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    const ask = (id: number) =>
      new Promise<{reply: dnsPacket.Packet & {rcode?: string}; ms: number}>((resolve, reject) => {
        const sent = process.hrtime.bigint()
        const timer = setTimeout(() => reject(new Error(`no answer to valid query ${id}`)), 2000)
        answers.set(id, (reply) => {
          clearTimeout(timer)
          answers.delete(id)
          resolve({ms: Number(process.hrtime.bigint() - sent) / 1e6, reply: dnsPacket.decode(reply) as dnsPacket.Packet & {rcode?: string}})
        })
        socket.send(query('echo.demo.svc.clusterset.local', 'A', {id}), server.port, '127.0.0.1')
      })

    const baseline = await ask(65_000)
    expect(baseline.reply.rcode).toBe('NOERROR')
    // Retained memory is compared between a fifth of the run and its end, each after a full
    // collection: a leak grows with the packets, garbage does not count (RSS alone swings by
    // ±30 MiB with the collector's timing).
    let heapBefore = retainedHeap()
    const latencies: number[] = []
    for (let serial = 0; serial < PACKETS; serial++) {
      const packet = hostile(next, serial)
      // Most go straight to the handler; every tenth crosses the socket, as a client's would.
      if (serial % OVER_UDP_EVERY === 0) {
        socket.send(packet, server.port, '127.0.0.1')
        // Let the server (in this process) read it: a burst would overflow the socket's buffer,
        // and the kernel would drop the valid query that follows.
        await new Promise((resolve) => setImmediate(resolve))
      } else {
        server.handle(packet, 'udp')
      }
      if (serial === PACKETS / 5) heapBefore = retainedHeap()
      if (serial % 1000 === 999) {
        const {ms, reply} = await ask(1 + (serial % 60_000))
        latencies.push(ms)
        expect((reply.answers?.[0] as {data?: string} | undefined)?.data).toBe('10.99.1.5')
      }
    }

    // TCP: a length prefix that promises more than comes, one of zero, and one of garbage.
    for (const framed of [Buffer.from([0xff, 0xff, 1, 2, 3]), Buffer.from([0, 0]), Buffer.from([0, 5, 0, 0, 0, 0, 0])]) {
      await new Promise<void>((resolve) => {
        const connection = connect(server.port, '127.0.0.1', () => connection.end(framed))
        connection.on('close', () => resolve())
        connection.on('error', () => resolve())
      })
    }

    const {reply} = await ask(60_001)
    expect(reply.rcode).toBe('NOERROR')
    socket.close()
    const heapAfter = retainedHeap()
    const sorted = [...latencies].sort((a, b) => a - b)
    const p99 = sorted[Math.ceil(sorted.length * 0.99) - 1] as number
    process.stdout.write(
      `dns fuzz: ${PACKETS} hostile packets (${PACKETS / OVER_UDP_EVERY} over UDP), ${latencies.length + 1} valid queries all answered, p99 ${p99.toFixed(2)} ms, retained heap ${(heapBefore / 2 ** 20).toFixed(1)} -> ${(heapAfter / 2 ** 20).toFixed(1)} MiB\n`,
    )
    expect(heapAfter - heapBefore).toBeLessThan(4 * 2 ** 20)
  }, 120_000)

  it('keeps its metrics bounded when queries name thousands of query types', async () => {
    const registry = new Registry()
    const counted = new DnsServer({host: '127.0.0.1', index, log: nullLogger, port: 0, registry, zones: ['clusterset.local']})
    const template = query('echo.demo.svc.clusterset.local', 'A')
    for (let type = 256; type < 2256; type++) {
      const packet = Buffer.from(template)
      packet.writeUInt16BE(type, packet.length - 4)
      counted.handle(packet, 'udp')
    }

    const series = (await registry.getSingleMetric('lighthouse_dns_requests_total')?.get())?.values ?? []
    expect(series.map((entry) => entry.labels.type)).toEqual(['other'])
  })
})

