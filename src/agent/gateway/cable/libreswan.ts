/**
 * The libreswan (IPsec) cable driver (reference/dataplane.md §3.6): one IPsec connection per pair
 * of local and remote subnets, named `<remote cable>-<lsi>-<rsi>`, configured with `ipsec whack`,
 * IKE on the NAT-T port, PSK authentication. It needs pluto and kernel IPsec (XFRM); on a node
 * without them `init` fails with a message the Gateway status shows, and nothing crashes.
 */
import {writeFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'

import type {EndpointSpec} from '../../../api/submariner.js'
import {udpPort, type CableConnection, type CableDriver, type DriverContext} from './driver.js'

export type OperationMode = 'bidirectional' | 'server' | 'client'

/** Who initiates (upstream's calculateOperationMode): a preferred server waits for the other side. */
export function operationMode(local: EndpointSpec, remote: EndpointSpec): OperationMode {
  const localPreferred = local.backend_config?.['preferred-server'] === 'true'
  const remotePreferred = remote.backend_config?.['preferred-server'] === 'true'
  if (!remotePreferred && !localPreferred) return 'bidirectional'
  if (localPreferred && !remotePreferred) return 'server'
  if (remotePreferred && !localPreferred) return 'client'
  return local.cable_name > remote.cable_name ? 'server' : 'client'
}

/** Subnets for the IPsec selectors: without the legacy /32 of the gateway itself. */
export function selectorSubnets(spec: EndpointSpec): string[] {
  return spec.subnets.filter((subnet) => !subnet.startsWith(`${spec.private_ip}/`))
}

export function connectionName(remote: EndpointSpec, localIndex: number, remoteIndex: number): string {
  return `${remote.cable_name}-${localIndex}-${remoteIndex}`
}

/** The `ipsec whack` invocations connecting one pair of subnets. */
export function whackCommands(
  local: EndpointSpec,
  remote: EndpointSpec,
  pair: {useIP: string; useNAT: boolean; forceEncapsulation: boolean; localIndex: number; remoteIndex: number},
): string[][] {
  const mode = operationMode(local, remote)
  const name = connectionName(remote, pair.localIndex, pair.remoteIndex)
  const leftSubnet = selectorSubnets(local)[pair.localIndex] as string
  const rightSubnet = selectorSubnets(remote)[pair.remoteIndex] as string
  const encapsulation = pair.useNAT || pair.forceEncapsulation ? ['--forceencaps'] : []
  const ids =
    mode === 'bidirectional'
      ? {left: local.private_ip, right: remote.private_ip}
      : {left: `@${local.private_ip}-${pair.localIndex}-${pair.remoteIndex}`, right: `@${remote.private_ip}-${pair.remoteIndex}-${pair.localIndex}`}
  const left = ['--id', ids.left, '--host', local.private_ip, '--client', leftSubnet, ...(mode === 'client' ? [] : ['--ikeport', String(udpPort(local))])]
  const right =
    mode === 'server'
      ? ['--id', ids.right, '--host', '%any', '--client', rightSubnet]
      : ['--id', ids.right, '--host', pair.useIP, '--client', rightSubnet, '--ikeport', String(udpPort(remote))]
  const commands = [['whack', '--psk', '--encrypt', ...encapsulation, '--name', name, ...left, '--to', ...right, '--dpdaction=hold', '--dpddelay', '30']]
  if (mode !== 'server') commands.push(['whack', '--route', '--name', name], ['whack', '--initiate', '--asynchronous', '--name', name])
  return commands
}

/** The connections `ipsec whack --trafficstatus` lists, with their byte counts. */
export function parseTrafficStatus(output: string): Map<string, {inBytes: number; outBytes: number}> {
  const connections = new Map<string, {inBytes: number; outBytes: number}>()
  for (const line of output.split('\n')) {
    const name = /"([^"]+)"/.exec(line)?.[1]
    if (!name) continue
    const inBytes = Number(/inBytes=(\d+)/.exec(line)?.[1] ?? 0)
    const outBytes = Number(/outBytes=(\d+)/.exec(line)?.[1] ?? 0)
    connections.set(name.replace(/\[\d+\]$/, ''), {inBytes, outBytes})
  }

  return connections
}

/** The selectors of `ip xfrm policy` output: one "src A dst B [proto P]" line and a "dir D" line per policy. */
export function xfrmPolicies(output: string): Array<{src: string; dst: string; dir: string; proto?: string}> {
  const policies: Array<{src: string; dst: string; dir: string; proto?: string}> = []
  for (const match of output.matchAll(/^src (\S+) dst (\S+)(?: proto (\S+))?[^\n]*\n\s+dir (\w+)/gm)) {
    policies.push({dir: match[4] as string, dst: match[2] as string, src: match[1] as string, ...(match[3] ? {proto: match[3]} : {})})
  }

  return policies
}

export class LibreswanDriver implements CableDriver {
  readonly name = 'libreswan'
  readonly #context: DriverContext
  readonly #preferredServer: boolean
  #local: EndpointSpec | undefined
  readonly #peers = new Map<string, {endpoint: EndpointSpec; useIP: string; useNAT: boolean}>()

  constructor(context: DriverContext, preferredServer: boolean) {
    this.#context = context
    this.#preferredServer = preferredServer
  }

  async backendConfig(): Promise<Record<string, string>> {
    // A preferred server changes its endpoint on every start so that clients reconnect.
    return this.#preferredServer ? {'preferred-server': 'true', 'preferred-server-timestamp': String(Math.floor(Date.now() / 1000))} : {'preferred-server': 'false'}
  }

  async #whack(args: string[], allowFailure = false): Promise<string> {
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.#context.tools.run('ipsec', args, {allowFailure, timeoutMs: 5000})
      } catch (error) {
        lastError = error
        await sleep(1000)
      }
    }

    throw lastError
  }

  async init(local: EndpointSpec): Promise<void> {
    const {tools} = this.#context
    const missing = await this.#espProblem()
    if (missing !== undefined) {
      throw new Error(`the libreswan cable driver needs kernel IPsec (XFRM with ESP), which this node lacks (${missing}); use --cable-driver wireguard or vxlan`)
    }

    const pluto = await tools.run('sh', ['-c', 'command -v ipsec'], {allowFailure: true})
    if (!pluto.trim()) throw new Error('the libreswan cable driver needs libreswan (the ipsec command) in the gateway image')
    await writeFile('/etc/ipsec.d/submariner.secrets', `%any %any : PSK "${this.#context.psk}"\n`, {mode: 0o600})
    await tools.run('ipsec', ['start'])
    if (this.#context.debug) await this.#whack(['whack', '--debug', 'base'])
    await this.#whack(['whack', '--listen'])
    this.#local = local
  }

  /**
   * Why the kernel cannot hold an ESP security association, if it cannot: listing XFRM state works
   * on kernels without ESP, so a probe SA between documentation addresses is added and removed.
   */
  async #espProblem(): Promise<string | undefined> {
    const {tools} = this.#context
    const probe = ['src', '192.0.2.1', 'dst', '192.0.2.2', 'proto', 'esp', 'spi', '0x00000101']
    const key = `0x${'00'.repeat(16)}`
    try {
      await tools.run('ip', ['xfrm', 'state', 'add', ...probe, 'mode', 'tunnel', 'enc', 'cbc(aes)', key, 'auth', 'hmac(sha256)', `0x${'00'.repeat(32)}`])
    } catch (error) {
      return (error as Error).message
    }

    await tools.run('ip', ['xfrm', 'state', 'delete', ...probe], {allowFailure: true})
    return undefined
  }

  async connect(remote: EndpointSpec, useIP: string, useNAT: boolean): Promise<void> {
    const local = this.#local
    if (!local) throw new Error('the libreswan driver is not initialised')
    for (let localIndex = 0; localIndex < selectorSubnets(local).length; localIndex++) {
      for (let remoteIndex = 0; remoteIndex < selectorSubnets(remote).length; remoteIndex++) {
        for (const command of whackCommands(local, remote, {forceEncapsulation: this.#context.forceEncapsulation, localIndex, remoteIndex, useIP, useNAT})) {
          await this.#whack(command)
        }
      }
    }

    this.#peers.set(remote.cluster_id, {endpoint: remote, useIP, useNAT})
  }

  async disconnect(remote: EndpointSpec): Promise<void> {
    const local = this.#local
    const existing = this.#peers.get(remote.cluster_id)
    if (!local || !existing) return
    for (let localIndex = 0; localIndex < selectorSubnets(local).length; localIndex++) {
      for (let remoteIndex = 0; remoteIndex < selectorSubnets(existing.endpoint).length; remoteIndex++) {
        await this.#whack(['whack', '--delete', '--name', connectionName(existing.endpoint, localIndex, remoteIndex)], true)
      }
    }

    this.#peers.delete(remote.cluster_id)
  }

  async connections(): Promise<CableConnection[]> {
    const traffic = parseTrafficStatus(await this.#whack(['whack', '--trafficstatus'], true))
    return [...this.#peers.values()].map((peer) => {
      const mine = [...traffic.entries()].filter(([name]) => name.startsWith(`${peer.endpoint.cable_name}-`))
      return {
        endpoint: peer.endpoint,
        rxBytes: mine.reduce((sum, [, counts]) => sum + counts.inBytes, 0),
        status: mine.length > 0 ? 'connected' : 'connecting',
        statusMessage: '',
        txBytes: mine.reduce((sum, [, counts]) => sum + counts.outBytes, 0),
        usingIP: peer.useIP,
        usingNAT: peer.useNAT,
      }
    })
  }

  /** Deletes every IPv4 XFRM policy but the default ones (src and dst 0.0.0.0/0, no protocol), as upstream's cleanup does. */
  async cleanup(): Promise<void> {
    const {tools} = this.#context
    for (const policy of xfrmPolicies(await tools.run('ip', ['-4', 'xfrm', 'policy'], {allowFailure: true}))) {
      if (policy.src === '0.0.0.0/0' && policy.dst === '0.0.0.0/0' && !policy.proto) continue
      await tools.run('ip', ['xfrm', 'policy', 'delete', 'src', policy.src, 'dst', policy.dst, 'dir', policy.dir, ...(policy.proto ? ['proto', policy.proto] : [])], {allowFailure: true})
    }

    this.#peers.clear()
  }
}
