/**
 * The Lighthouse DNS server: UDP and TCP on one port, authoritative for its zones only (REFUSED
 * for anything else: never an open resolver), EDNS0-aware, with the dns-packet codec. Transport →
 * decode → resolve (ServiceIndex) → encode; a malformed packet is counted and dropped, only a bind
 * failure is fatal.
 *
 * Hot path: a question asked before, at the same index version, with the same EDNS0 size, is
 * answered from a cache of encoded answers (wire.ts reads the question without decoding the
 * packet); the cache holds positive answers only, so that made-up names cannot fill it, and is
 * emptied whenever the index changes. Round-robin answers are never cached.
 *
 * RFC 1035 §4.2.1: UDP answers beyond the client's size (512, or its EDNS0 payload size, RFC 6891
 * §6.2.3) are truncated with TC set so the client retries over TCP. RFC 2308 §3: negative answers
 * carry the zone's SOA, whose minimum is the negative-caching TTL.
 */
import {createSocket, type Socket} from 'node:dgram'
import {createServer, type Server} from 'node:net'

import dnsPacket, {type Answer as PacketAnswer, type Packet} from 'dns-packet'
import type {Registry} from 'prom-client'

import type {Logger} from '../runtime/log.js'
import type {Resolution, ServiceIndex} from './resolver.js'
import {DnsStats, metricType, registerDnsMetrics, type RequestCounter} from './stats.js'
import {answerFor, QUESTION_START, readQueryHead} from './wire.js'

const RCODE = {NOERROR: 0, NOTIMP: 4, NXDOMAIN: 3, REFUSED: 5, SERVFAIL: 2} as const
const MAX_UDP = 4096
const EDNS_PAYLOAD = 1232
/** Cached answers at most (a few hundred bytes each); beyond it the cache starts again empty. */
const CACHE_ENTRIES = 20_000

/** A dgram lookup for addresses that are already IP literals. */
function literalAddress(address: string, _family: unknown, callback: (error: Error | null, address: string, family: number) => void): void {
  callback(null, address, 4)
}

export interface DnsServerOptions {
  index: ServiceIndex
  zones: string[]
  port: number
  /** The IPv4 address to bind (an address: the socket looks up no names). @default 0.0.0.0 */
  host?: string
  /** TTL of answers and of negative caching. @default 5 */
  ttl?: number
  log: Logger
  /** Where its metrics are registered; a worker leaves it out and reports `stats` to its primary. */
  registry?: Registry
  /** Share the port with the other workers of a node:cluster (the primary holds the socket). */
  shared?: boolean
}

interface Answered {
  bytes: Buffer
  /** Its count in the metrics: (transport, question type, rcode). */
  counter: RequestCounter
}

export class DnsServer {
  readonly #options: DnsServerOptions
  readonly #ttl: number
  #udp: Socket | undefined
  #tcp: Server | undefined
  readonly stats = new DnsStats()
  /** Encoded answers by transport, UDP size limit, EDNS0 presence and the question's bytes. */
  readonly #cache = new Map<string, Answered>()
  #cacheVersion = -1

  constructor(options: DnsServerOptions) {
    this.#options = options
    this.#ttl = options.ttl ?? 5
    if (options.registry) registerDnsMetrics(options.registry, () => [this.stats.snapshot()])
  }

  get port(): number {
    const address = this.#udp?.address()
    return address ? address.port : this.#options.port
  }

  async start(): Promise<void> {
    const host = this.#options.host ?? '0.0.0.0'
    const exclusive = !this.#options.shared
    // Replies go to the IP address the query came from: no name to look up, and dgram's default
    // (dns.lookup) would defer every send by a tick for nothing.
    const udp = createSocket({lookup: literalAddress, type: 'udp4'})
    // Replies wait for the end of the event loop's poll phase (setImmediate), then go out
    // together: the client wakes once for a burst of answers instead of once per answer, which
    // on a busy node is worth more than the microseconds they wait (bench/dns).
    const replies: Array<{bytes: Buffer; port: number; address: string}> = []
    const sendReplies = () => {
      if (this.#udp === udp) for (const {address, bytes, port} of replies) udp.send(bytes, port, address)
      replies.length = 0
    }
    udp.on('message', (message, remote) => {
      const bytes = this.handle(message, 'udp')
      if (bytes && replies.push({address: remote.address, bytes, port: remote.port}) === 1) setImmediate(sendReplies)
    })
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind({address: host, exclusive, port: this.#options.port}, () => {
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
      tcp.listen({exclusive, host, port: this.port}, () => resolve())
    })
    this.#tcp = tcp
  }

  async stop(): Promise<void> {
    const udp = this.#udp
    this.#udp = undefined
    await new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve()))
    await new Promise<void>((resolve) => (this.#tcp ? this.#tcp.close(() => resolve()) : resolve()))
  }

  /**
   * The answer to one query; undefined for packets that deserve no answer. Never throws: it runs
   * in socket listeners, where a throw would end the server. A packet that decodes but whose
   * answer cannot be encoded (a hostile name, say) is counted as malformed and dropped.
   */
  handle(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    const started = performance.now()
    const head = readQueryHead(message)
    const limit = transport === 'udp' ? Math.min(MAX_UDP, Math.max(512, head?.ednsPayload ?? 512)) : 65_535
    let key: string | undefined
    if (head) {
      if (this.#cacheVersion !== this.#options.index.version) {
        this.#cache.clear()
        this.#cacheVersion = this.#options.index.version
      }

      key = `${transport}${limit}${head.ednsPayload === undefined ? '' : '+'} ${message.toString('latin1', QUESTION_START, head.questionEnd)}`
      const cached = this.#cache.get(key)
      if (cached) {
        this.stats.answered(cached.counter, (performance.now() - started) / 1000)
        return answerFor(message, cached.bytes)
      }
    }

    try {
      const answer = this.#answer(message, transport, limit)
      if (!answer) return undefined
      if (key !== undefined && answer.cacheable) {
        if (this.#cache.size >= CACHE_ENTRIES) this.#cache.clear()
        this.#cache.set(key, answer)
      }

      this.stats.answered(answer.counter, (performance.now() - started) / 1000)
      return answer.bytes
    } catch (error) {
      this.stats.malformed()
      this.#options.log.debug('dropped a packet that could not be answered', {error, transport})
      return undefined
    }
  }

  /** The general path: dns-packet decodes the query, the index resolves it, dns-packet encodes the answer. */
  #answer(message: Buffer, transport: 'udp' | 'tcp', limit: number): (Answered & {cacheable: boolean}) | undefined {
    let query: Packet
    try {
      query = dnsPacket.decode(message)
    } catch {
      this.stats.malformed()
      return undefined
    }

    if (query.type !== 'query') return undefined
    const question = query.questions?.[0]
    const opt = query.additionals?.find((record) => record.type === 'OPT') as {udpPayloadSize?: number} | undefined
    let rcode: number
    let resolution: Resolution | undefined
    let answers: PacketAnswer[] = []
    let authorities: PacketAnswer[] = []
    if (!question || (query.questions?.length ?? 0) !== 1) {
      rcode = RCODE.NOTIMP
    } else if (question.class !== 'IN' && question.class !== undefined) {
      rcode = RCODE.REFUSED
    } else {
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
      // AA on the names of its zones only (not on a REFUSED elsewhere); RD echoed; RA never (this is no recursive resolver).
      flags: (resolution?.zone ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode,
      id: query.id ?? 0,
      questions: query.questions ?? [],
      type: 'response',
    }
    let bytes = dnsPacket.encode(response)
    const truncated = bytes.length > limit
    if (truncated) bytes = dnsPacket.encode({...response, answers: [], authorities: [], flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE})
    // Only what every later asker of this question would get again: positive, whole and not round robin.
    const cacheable = rcode === RCODE.NOERROR && answers.length > 0 && !truncated && !resolution?.varies
    return {bytes, cacheable, counter: this.stats.counter(transport, metricType(question?.type), rcode)}
  }

  #soa(zone: string): PacketAnswer {
    return {
      class: 'IN',
      data: {expire: 86_400, minimum: this.#ttl, mname: `ns.dns.${zone}`, refresh: 7200, retry: 1800, rname: `hostmaster.${zone}`, serial: this.#options.index.changedAt},
      name: zone,
      ttl: this.#ttl,
      type: 'SOA',
    } as PacketAnswer
  }
}
