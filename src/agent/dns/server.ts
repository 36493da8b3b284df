/**
 * The Lighthouse DNS server: UDP and TCP on one port, authoritative for its zones only (REFUSED
 * for anything else: never an open resolver), EDNS0-aware, with the dns-packet codec. Transport →
 * decode → resolve (ServiceIndex) → encode; a malformed packet is counted and dropped, only a bind
 * failure is fatal.
 *
 * RFC 1035 §4.2.1: UDP answers beyond the client's size (512, or its EDNS0 payload size, RFC 6891
 * §6.2.3) are truncated with TC set so the client retries over TCP. RFC 2308 §3: negative answers
 * carry the zone's SOA, whose minimum is the negative-caching TTL.
 */
import {createSocket, type Socket} from 'node:dgram'
import {createServer, type Server} from 'node:net'

import dnsPacket, {type Answer as PacketAnswer, type Packet} from 'dns-packet'
import {Counter, Histogram, type Registry} from 'prom-client'

import type {Logger} from '../runtime/log.js'
import type {Resolution, ServiceIndex} from './resolver.js'

const RCODE = {NOERROR: 0, NOTIMP: 4, NXDOMAIN: 3, REFUSED: 5, SERVFAIL: 2} as const
const MAX_UDP = 4096
const EDNS_PAYLOAD = 1232

export interface DnsServerOptions {
  index: ServiceIndex
  zones: string[]
  port: number
  host?: string
  /** TTL of answers and of negative caching. @default 5 */
  ttl?: number
  log: Logger
  registry: Registry
}

/**
 * The query type as a metric label: the types a client of cluster DNS asks for, else "other". A
 * label per type a packet names would let a hostile client grow the metrics without bound.
 */
const METRIC_TYPES = new Set(['A', 'AAAA', 'ANY', 'CNAME', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'])
function metricType(type: string | undefined): string {
  if (type === undefined) return 'none'
  return METRIC_TYPES.has(type) ? type : 'other'
}

export class DnsServer {
  readonly #options: DnsServerOptions
  readonly #ttl: number
  #udp: Socket | undefined
  #tcp: Server | undefined
  readonly #requests: Counter
  readonly #latency: Histogram
  readonly #malformed: Counter

  constructor(options: DnsServerOptions) {
    this.#options = options
    this.#ttl = options.ttl ?? 5
    const registers = [options.registry]
    this.#requests = new Counter({help: 'DNS requests answered, by transport, type and rcode', labelNames: ['transport', 'type', 'rcode'], name: 'lighthouse_dns_requests_total', registers})
    this.#latency = new Histogram({buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01], help: 'Time to answer a DNS request in seconds', name: 'lighthouse_dns_request_duration_seconds', registers})
    this.#malformed = new Counter({help: 'Malformed DNS packets dropped', name: 'lighthouse_dns_malformed_total', registers})
  }

  get port(): number {
    const address = this.#udp?.address()
    return address ? address.port : this.#options.port
  }

  async start(): Promise<void> {
    const host = this.#options.host ?? '0.0.0.0'
    const udp = createSocket('udp4')
    udp.on('message', (message, remote) => {
      const reply = this.handle(message, 'udp')
      if (reply) udp.send(reply, remote.port, remote.address)
    })
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind(this.#options.port, host, () => {
        udp.off('error', reject)
        udp.on('error', (error) => this.#options.log.warn('UDP socket error', {error}))
        resolve()
      })
    })
    this.#udp = udp

    const tcp = createServer((socket) => {
      let buffer = Buffer.alloc(0)
      socket.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk])
        while (buffer.length >= 2) {
          const length = buffer.readUInt16BE(0)
          if (buffer.length < 2 + length) break
          const reply = this.handle(buffer.subarray(2, 2 + length), 'tcp')
          buffer = buffer.subarray(2 + length)
          if (reply) {
            const framed = Buffer.alloc(2 + reply.length)
            framed.writeUInt16BE(reply.length, 0)
            reply.copy(framed, 2)
            socket.write(framed)
          }
        }
      })
      socket.on('error', () => socket.destroy())
      socket.setTimeout(10_000, () => socket.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen(this.port, host, () => resolve())
    })
    this.#tcp = tcp
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#udp ? this.#udp.close(() => resolve()) : resolve()))
    await new Promise<void>((resolve) => (this.#tcp ? this.#tcp.close(() => resolve()) : resolve()))
  }

  /**
   * Decodes one query and encodes its answer; undefined for packets that deserve no answer. Never
   * throws: it runs in socket listeners, where a throw would end the server. A packet that decodes
   * but whose answer cannot be encoded (a hostile name, say) is counted as malformed and dropped.
   */
  handle(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    try {
      return this.#answer(message, transport)
    } catch (error) {
      this.#malformed.inc()
      this.#options.log.debug('dropped a packet that could not be answered', {error, transport})
      return undefined
    }
  }

  #answer(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    const started = process.hrtime.bigint()
    let query: Packet
    try {
      query = dnsPacket.decode(message)
    } catch {
      this.#malformed.inc()
      return undefined
    }

    if (query.type !== 'query') return undefined
    const question = query.questions?.[0]
    const opt = query.additionals?.find((record) => record.type === 'OPT') as {udpPayloadSize?: number} | undefined
    let rcode: number
    let answers: PacketAnswer[] = []
    let authorities: PacketAnswer[] = []
    if (!question || (query.questions?.length ?? 0) !== 1) {
      rcode = RCODE.NOTIMP
    } else if (question.class !== 'IN' && question.class !== undefined) {
      rcode = RCODE.REFUSED
    } else {
      let resolution: Resolution | undefined
      try {
        resolution = this.#options.index.resolve(question.name, question.type, this.#options.zones)
      } catch (error) {
        this.#options.log.warn('could not answer', {error, name: question.name})
      }

      rcode = resolution ? RCODE[resolution.rcode] : RCODE.SERVFAIL
      answers = (resolution?.answers ?? []).map((answer) => ({class: 'IN', data: answer.data, name: answer.name, ttl: this.#ttl, type: answer.type}) as PacketAnswer)
      if (question.type === 'SOA' && resolution?.zone && question.name.toLowerCase().replace(/\.$/, '') === resolution.zone) {
        answers = [this.#soa(resolution.zone)]
      } else if (resolution?.zone && answers.length === 0) {
        authorities = [this.#soa(resolution.zone)]
      }
    }

    const response: Packet = {
      additionals: opt ? [{name: '.', type: 'OPT', udpPayloadSize: EDNS_PAYLOAD} as PacketAnswer] : [],
      answers,
      authorities,
      // AA on everything we own; RD echoed; RA never (this is no recursive resolver).
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode,
      id: query.id ?? 0,
      questions: query.questions ?? [],
      type: 'response',
    }
    let encoded = dnsPacket.encode(response)
    const limit = transport === 'udp' ? Math.min(MAX_UDP, Math.max(512, opt?.udpPayloadSize ?? 512)) : 65_535
    if (encoded.length > limit) {
      encoded = dnsPacket.encode({...response, additionals: response.additionals, answers: [], authorities: [], flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE})
    }

    this.#requests.inc({rcode: String(rcode), transport, type: metricType(question?.type)})
    this.#latency.observe(Number(process.hrtime.bigint() - started) / 1e9)
    return encoded
  }

  #soa(zone: string): PacketAnswer {
    return {
      class: 'IN',
      data: {expire: 86_400, minimum: this.#ttl, mname: `ns.dns.${zone}`, refresh: 7200, retry: 1800, rname: `hostmaster.${zone}`, serial: Math.floor(Date.now() / 1000)},
      name: zone,
      ttl: this.#ttl,
      type: 'SOA',
    } as PacketAnswer
  }
}
