/**
 * The WireGuard cable driver (reference/dataplane.md §3.6): device `submariner`, the kernel's when
 * the module is there, wireguard-go's otherwise; a fresh key per process; one peer per remote
 * cluster with the PSK (SHA-256 of the PSK string), its public key, endpoint and subnets, and a
 * 10 s keepalive. Routing to the device comes from the route agent's table 150.
 */
import {createHash, generateKeyPairSync, randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {ConnectionStatus, EndpointSpec} from '../../../api/submariner.js'
import {sameContent} from '../../../lib/canonical.js'
import {startDaemon, type Daemon} from '../../netlink/exec.js'
import {udpPort, type CableConnection, type CableDriver, type DriverContext} from './driver.js'

export const WIREGUARD_DEVICE = 'submariner'
const KEEPALIVE_SECONDS = 10
const HANDSHAKE_TIMEOUT_SECONDS = 130
const KEY_FILE = '\0key-file'

/** A Curve25519 key pair, as `wg genkey | wg pubkey` would give (standard base64). */
export function wireguardKeys(): {privateKey: string; publicKey: string} {
  const {privateKey, publicKey} = generateKeyPairSync('x25519')
  // The raw 32-byte keys are the last 32 bytes of their DER encodings.
  const raw = (der: Buffer) => der.subarray(der.length - 32).toString('base64')
  return {
    privateKey: raw(privateKey.export({format: 'der', type: 'pkcs8'}) as Buffer),
    publicKey: raw(publicKey.export({format: 'der', type: 'spki'}) as Buffer),
  }
}

/** The preshared key every peer uses: SHA-256 of the PSK string. */
export function wireguardPsk(psk: string): string {
  return createHash('sha256').update(psk || 'default psk').digest('base64')
}

export interface PeerStats {
  publicKey: string
  endpoint: string
  latestHandshake: number
  rxBytes: number
  txBytes: number
}

/** Parses the peer lines of `wg show DEVICE dump`. */
export function parseDump(dump: string): PeerStats[] {
  return dump
    .trim()
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      const [publicKey = '', , endpoint = '', , handshake = '0', rx = '0', tx = '0'] = line.split('\t')
      return {endpoint, latestHandshake: Number(handshake), publicKey, rxBytes: Number(rx), txBytes: Number(tx)}
    })
}

/** A peer's connection status from its handshake and traffic (upstream's rules, simplified to what wg reports). */
export function peerStatus(stats: PeerStats | undefined, connectedAt: number, now: number): {status: ConnectionStatus; message: string} {
  if (!stats) return {message: 'The peer is not configured on the device', status: 'error'}
  const nowSeconds = Math.floor(now / 1000)
  if (stats.latestHandshake === 0) {
    const waited = Math.floor((now - connectedAt) / 1000)
    if (waited > HANDSHAKE_TIMEOUT_SECONDS) return {message: `no initial handshake for ${waited} seconds`, status: 'error'}
    return {message: 'Connection has been created but not yet started', status: 'connecting'}
  }

  const since = nowSeconds - stats.latestHandshake
  if (since > HANDSHAKE_TIMEOUT_SECONDS) return {message: `no handshake for ${since} seconds`, status: 'error'}
  return {message: `Rx=${stats.rxBytes} Bytes, Tx=${stats.txBytes} Bytes`, status: 'connected'}
}

interface Peer {
  endpoint: EndpointSpec
  publicKey: string
  useIP: string
  useNAT: boolean
  connectedAt: number
}

/** Processes named like `wireguard-go ... submariner` in this network namespace (not another node's). */
function userspaceDaemons(): number[] {
  const own = readlinkSync('/proc/self/ns/net')
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (argv[0]?.endsWith('wireguard-go') && argv.includes(WIREGUARD_DEVICE) && readlinkSync(`/proc/${entry}/ns/net`) === own) pids.push(Number(entry))
    } catch {
      // gone
    }
  }

  return pids
}

export class WireguardDriver implements CableDriver {
  readonly name = 'wireguard'
  readonly #context: DriverContext
  readonly #keys = wireguardKeys()
  readonly #peers = new Map<string, Peer>()
  #daemon: Daemon | undefined

  constructor(context: DriverContext) {
    this.#context = context
  }

  async backendConfig(): Promise<Record<string, string>> {
    return {'interface-name': WIREGUARD_DEVICE, publicKey: this.#keys.publicKey}
  }

  /**
   * Runs `wg` with a key in a 0600 file it reads (KEY_FILE in args): wg wants a path, and a child's
   * /dev/stdin is a socket under Node, which wg cannot open.
   */
  async #wg(args: string[], key?: string): Promise<string> {
    if (key === undefined) return this.#context.tools.run('wg', args)
    const file = join(tmpdir(), `wg-${randomBytes(8).toString('hex')}`)
    await writeFile(file, key + '\n', {mode: 0o600})
    try {
      return await this.#context.tools.run('wg', args.map((arg) => (arg === KEY_FILE ? file : arg)))
    } finally {
      await rm(file, {force: true})
    }
  }

  async init(local: EndpointSpec): Promise<void> {
    const {log, net, tools} = this.#context
    await this.cleanup()
    const kernel = await tools.run('ip', ['link', 'add', WIREGUARD_DEVICE, 'type', 'wireguard'], {allowFailure: true}).then(async () => Boolean(await net.link(WIREGUARD_DEVICE)))
    if (!kernel) {
      // No kernel module: the userspace implementation makes a TUN device of the same name.
      log.info('no kernel WireGuard: starting wireguard-go')
      this.#daemon = startDaemon('wireguard-go', ['-f', WIREGUARD_DEVICE], {env: {LOG_LEVEL: 'error'}, log, onExit: (code) => log.warn('wireguard-go exited', {code})})
      for (let attempt = 0; attempt < 50 && !(await net.link(WIREGUARD_DEVICE)); attempt++) await sleep(100)
      if (!(await net.link(WIREGUARD_DEVICE))) throw new Error('wireguard-go did not create the submariner device')
    }

    await this.#wg(['set', WIREGUARD_DEVICE, 'private-key', KEY_FILE, 'listen-port', String(udpPort(local))], this.#keys.privateKey)
    await net.ip(['link', 'set', WIREGUARD_DEVICE, 'up'])
  }

  async connect(remote: EndpointSpec, useIP: string, useNAT: boolean): Promise<void> {
    const publicKey = remote.backend_config?.publicKey
    if (!publicKey) throw new Error(`the endpoint of cluster ${remote.cluster_id} publishes no WireGuard public key`)
    const existing = this.#peers.get(remote.cluster_id)
    if (existing?.publicKey === publicKey && existing.useIP === useIP && sameContent(existing.endpoint.subnets, remote.subnets)) return
    if (existing) await this.#wg(['set', WIREGUARD_DEVICE, 'peer', existing.publicKey, 'remove'])
    await this.#wg(
      [
        'set',
        WIREGUARD_DEVICE,
        'peer',
        publicKey,
        'preshared-key',
        KEY_FILE,
        'endpoint',
        `${useIP}:${udpPort(remote)}`,
        'persistent-keepalive',
        String(KEEPALIVE_SECONDS),
        'allowed-ips',
        remote.subnets.join(','),
      ],
      wireguardPsk(this.#context.psk),
    )
    this.#peers.set(remote.cluster_id, {connectedAt: Date.now(), endpoint: remote, publicKey, useIP, useNAT})
  }

  async disconnect(remote: EndpointSpec): Promise<void> {
    const existing = this.#peers.get(remote.cluster_id)
    if (!existing) return
    await this.#wg(['set', WIREGUARD_DEVICE, 'peer', existing.publicKey, 'remove'])
    this.#peers.delete(remote.cluster_id)
  }

  async connections(): Promise<CableConnection[]> {
    const stats = parseDump(await this.#context.tools.run('wg', ['show', WIREGUARD_DEVICE, 'dump'], {allowFailure: true}))
    const now = Date.now()
    return [...this.#peers.values()].map((peer) => {
      const peerStats = stats.find((entry) => entry.publicKey === peer.publicKey)
      const {message, status} = peerStatus(peerStats, peer.connectedAt, now)
      return {
        endpoint: peer.endpoint,
        rxBytes: peerStats?.rxBytes ?? 0,
        status,
        statusMessage: message,
        txBytes: peerStats?.txBytes ?? 0,
        usingIP: peer.useIP,
        usingNAT: peer.useNAT,
      }
    })
  }

  async cleanup(): Promise<void> {
    this.#daemon?.stop()
    this.#daemon = undefined
    for (const pid of userspaceDaemons()) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // gone
      }
    }

    await this.#context.net.deleteLink(WIREGUARD_DEVICE)
    this.#peers.clear()
  }
}
