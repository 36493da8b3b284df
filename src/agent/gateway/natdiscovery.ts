/**
 * NAT discovery (reference/dataplane.md §3.4): every gateway answers probes on UDP 4490; the active
 * one probes each remote endpoint's private and public IP from that same socket to learn which IP
 * to reach it at and whether a NAT is in the way. Falls back to "legacy settings" when the remote
 * does not answer (or does not speak the protocol).
 */
import {createSocket, type Socket} from 'node:dgram'

import type {EndpointSpec} from '../../api/submariner.js'
import type {Logger} from '../runtime/log.js'
import {decodeNatMessage, encodeNatMessage, ResponseType, type NatRequest, type NatResponse} from './natdiscovery-proto.js'
import {sameContent} from '../../lib/canonical.js'

export const NAT_DISCOVERY_PORT = 4490
const RESEND_MS = 2000
const TIMEOUT_MS = 60_000
const LOAD_BALANCER_TIMEOUT_MS = 6000
/** A private-IP answer this soon after a public one still wins (private is preferred). */
const PRIVATE_PREFERENCE_MS = 1000

export interface NatResult {
  endpoint: EndpointSpec
  useIP: string
  useNAT: boolean
}

/** The server's answer to a request (pure, so it is tested without sockets). */
export function answerRequest(request: NatRequest | undefined, local: EndpointSpec, observed: {address: string; port: number}): NatResponse {
  const base = {
    received_src: {IP: observed.address, port: observed.port},
    receiver: request?.sender,
    request_number: request?.request_number ?? 0,
    sender: {cluster_id: local.cluster_id, endpoint_id: local.cable_name},
  }
  if (!request?.receiver || !request.sender || !request.using_src || !request.using_dst) return {...base, response: ResponseType.MALFORMED}
  if (request.receiver.cluster_id !== local.cluster_id) return {...base, response: ResponseType.UNKNOWN_DST_CLUSTER}
  if (request.receiver.endpoint_id !== local.cable_name) return {...base, response: ResponseType.UNKNOWN_DST_ENDPOINT}
  const srcIp = request.using_src.IP !== '' && request.using_src.IP !== observed.address
  const srcPort = request.using_src.port !== observed.port
  const dstIp = request.using_dst.IP !== local.private_ip
  return {
    ...base,
    dst_ip_nat_detected: dstIp,
    response: srcIp || srcPort || dstIp ? ResponseType.NAT_DETECTED : ResponseType.OK,
    src_ip_nat_detected: srcIp,
    src_port_nat_detected: srcPort,
  }
}

/** What to do without an answer: a load-balanced or NATed remote is reached at its public IP. */
export function legacySettings(remote: EndpointSpec): NatResult {
  const publicIp = remote.public_ip
  if (publicIp && (remote.backend_config?.['using-loadbalancer'] === 'true' || remote.nat_enabled)) return {endpoint: remote, useIP: publicIp, useNAT: true}
  return {endpoint: remote, useIP: remote.private_ip, useNAT: false}
}

interface Probe {
  remote: EndpointSpec
  startedAt: number
  lastSentAt: number
  privateRequest?: number
  publicRequest?: number
  selected?: {result: NatResult; at: number; via: 'public' | 'private'}
  done: boolean
}

export class NatDiscovery {
  readonly #log: Logger
  readonly #port: number
  readonly #onResult: (result: NatResult) => void
  readonly #sourceFor: (ip: string) => Promise<string | undefined>
  #local: EndpointSpec
  #socket: Socket | undefined
  #timer: NodeJS.Timeout | undefined
  #requestNumber = Math.floor(Math.random() * 1_000_000)
  readonly #probes = new Map<string, Probe>()

  constructor(options: {local: EndpointSpec; port?: number; log: Logger; onResult: (result: NatResult) => void; sourceFor: (ip: string) => Promise<string | undefined>}) {
    this.#local = options.local
    this.#port = options.port ?? NAT_DISCOVERY_PORT
    this.#log = options.log
    this.#onResult = options.onResult
    this.#sourceFor = options.sourceFor
  }

  set local(spec: EndpointSpec) {
    this.#local = spec
  }

  /** Binds the UDP socket (every gateway, active or passive, answers) and starts the 1 s loop. */
  async start(): Promise<void> {
    const socket = createSocket({reuseAddr: true, type: 'udp4'})
    socket.on('message', (bytes, remote) => this.#onMessage(bytes, remote))
    socket.on('error', (error) => this.#log.warn('NAT discovery socket error', {error}))
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(this.#port, '0.0.0.0', () => resolve())
    })
    this.#socket = socket
    this.#timer = setInterval(() => void this.#tick(), 1000)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#socket?.close()
    this.#socket = undefined
  }

  /** Starts (or keeps) discovering a remote endpoint; an unchanged, finished one re-reports its result. */
  discover(remote: EndpointSpec): void {
    const existing = this.#probes.get(remote.cable_name)
    if (existing && sameContent(existing.remote, remote)) {
      if (existing.done && existing.selected) this.#onResult(existing.selected.result)
      return
    }

    const probe: Probe = {done: false, lastSentAt: 0, remote, startedAt: Date.now()}
    this.#probes.set(remote.cable_name, probe)
    if (!remote.backend_config?.['natt-discovery-port'] || this.#port === 0) {
      this.#finish(probe, legacySettings(remote), 'private')
      return
    }

    void this.#send(probe)
  }

  forget(cableName: string): void {
    this.#probes.delete(cableName)
  }

  async #tick(): Promise<void> {
    const now = Date.now()
    for (const probe of this.#probes.values()) {
      if (probe.done) continue
      if (probe.selected && now - probe.selected.at >= PRIVATE_PREFERENCE_MS) {
        probe.done = true
        this.#onResult(probe.selected.result)
        continue
      }

      const timeout = probe.remote.backend_config?.['using-loadbalancer'] === 'true' ? LOAD_BALANCER_TIMEOUT_MS : TIMEOUT_MS
      if (now - probe.startedAt > timeout) {
        this.#log.warn('NAT discovery got no answer, using legacy settings', {cable: probe.remote.cable_name})
        this.#finish(probe, legacySettings(probe.remote), 'private')
      } else if (now - probe.lastSentAt >= RESEND_MS) {
        await this.#send(probe)
      }
    }
  }

  async #send(probe: Probe): Promise<void> {
    probe.lastSentAt = Date.now()
    const port = Number(probe.remote.backend_config?.['natt-discovery-port'])
    const targets: Array<['private' | 'public', string]> = [['private', probe.remote.private_ip]]
    if (probe.remote.public_ip && probe.remote.public_ip !== probe.remote.private_ip) targets.push(['public', probe.remote.public_ip])
    for (const [kind, ip] of targets) {
      const number = ++this.#requestNumber
      if (kind === 'private') probe.privateRequest = number
      else probe.publicRequest = number
      const bytes = encodeNatMessage({
        request: {
          receiver: {cluster_id: probe.remote.cluster_id, endpoint_id: probe.remote.cable_name},
          request_number: number,
          sender: {cluster_id: this.#local.cluster_id, endpoint_id: this.#local.cable_name},
          using_dst: {IP: ip, port},
          using_src: {IP: (await this.#sourceFor(ip)) ?? '', port: this.#port},
        },
        version: 1,
      })
      this.#socket?.send(bytes, port, ip)
    }
  }

  #onMessage(bytes: Buffer, remote: {address: string; port: number}): void {
    let message
    try {
      message = decodeNatMessage(bytes)
    } catch {
      this.#log.debug('dropped a malformed NAT discovery packet', {from: remote.address})
      return
    }

    if (message.request) {
      const answer = answerRequest(message.request, this.#local, remote)
      this.#socket?.send(encodeNatMessage({response: answer}), remote.port, remote.address)
      return
    }

    if (message.response) this.#onResponse(message.response, remote.address)
  }

  #onResponse(response: NatResponse, from: string): void {
    if (response.response !== ResponseType.OK && response.response !== ResponseType.NAT_DETECTED) return
    if (!response.sender || !response.receiver || !response.received_src) return
    const probe = this.#probes.get(response.sender.endpoint_id)
    if (!probe || probe.done) return
    const useNAT = response.response === ResponseType.NAT_DETECTED
    if (response.request_number === probe.privateRequest) {
      if (from !== probe.remote.private_ip) return
      if (!probe.selected || probe.selected.via === 'public') {
        // Private is preferred: take it, unless the public answer came more than a second ago.
        if (probe.selected && Date.now() - probe.selected.at > PRIVATE_PREFERENCE_MS) return
        this.#finish(probe, {endpoint: probe.remote, useIP: probe.remote.private_ip, useNAT}, 'private')
      }
    } else if (response.request_number === probe.publicRequest && !probe.selected) {
      probe.selected = {at: Date.now(), result: {endpoint: probe.remote, useIP: probe.remote.public_ip, useNAT}, via: 'public'}
    }
  }

  #finish(probe: Probe, result: NatResult, via: 'public' | 'private'): void {
    probe.selected = {at: Date.now(), result, via}
    probe.done = true
    this.#onResult(result)
  }
}
