/**
 * What the gateway is configured with: its settings from the environment the operator gives it,
 * the IPsec PSK, the cable driver it runs, and its metrics.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Counter, Gauge} from 'prom-client'

import {flag} from '../config.js'
import type {Logger} from '../runtime/log.js'
import type {AgentContext} from '../runtime/role.js'
import type {CableDriver, DriverContext} from './cable/driver.js'
import {LibreswanDriver} from './cable/libreswan.js'
import {VxlanDriver} from './cable/vxlan.js'
import {WireguardDriver} from './cable/wireguard.js'

export interface GatewaySettings {
  cableDriver: string
  natEnabled: boolean
  airGapped: boolean
  publicIpSpec: string | undefined
  nattPort: number
  preferredServer: boolean
  forceEncapsulation: boolean
  ipsecDebug: boolean
  leaseDurationMs: number
  renewDeadlineMs: number
  retryPeriodMs: number
}

export function gatewaySettings(env: NodeJS.ProcessEnv): GatewaySettings {
  const seconds = (value: string | undefined, fallback: number) => (Number(value) > 0 ? Number(value) * 1000 : fallback)
  return {
    airGapped: flag(env.AIR_GAPPED_DEPLOYMENT),
    cableDriver: (env.SUBMARINER_CABLEDRIVER || 'libreswan').toLowerCase(),
    forceEncapsulation: flag(env.CE_IPSEC_FORCEENCAPS),
    ipsecDebug: flag(env.CE_IPSEC_DEBUG),
    // Shorter than client-go's 15/10/2 s defaults: a failover should take seconds, not a quarter minute.
    leaseDurationMs: seconds(env.LEADERSHIP_LEASEDURATION, 5000),
    natEnabled: flag(env.SUBMARINER_NATENABLED),
    nattPort: Number(env.CE_IPSEC_NATTPORT || 4500),
    preferredServer: flag(env.CE_IPSEC_PREFERREDSERVER),
    publicIpSpec: env.SUBMARINER_PUBLICIP || undefined,
    renewDeadlineMs: seconds(env.LEADERSHIP_RENEWDEADLINE, 3000),
    retryPeriodMs: seconds(env.LEADERSHIP_RETRYPERIOD, 1000),
  }
}

/** The PSK string: base64 of the Secret's bytes when mounted (CE_IPSEC_PSKSECRET), else CE_IPSEC_PSK. */
export function pskString(env: NodeJS.ProcessEnv, log: Logger): string {
  if (env.CE_IPSEC_PSKSECRET) {
    try {
      return readFileSync(join('/var/run/secrets/submariner.io', env.CE_IPSEC_PSKSECRET, 'psk')).toString('base64')
    } catch (error) {
      log.warn('could not read the mounted IPsec PSK; using CE_IPSEC_PSK', {error})
    }
  }

  return env.CE_IPSEC_PSK ?? ''
}

export function createDriver(name: string, context: DriverContext, settings: GatewaySettings): CableDriver {
  switch (name) {
    case 'vxlan':
      return new VxlanDriver(context)
    case 'wireguard':
      return new WireguardDriver(context)
    case 'libreswan':
      return new LibreswanDriver(context, settings.preferredServer)
    default:
      throw new Error(`unknown cable driver "${name}": use libreswan, wireguard or vxlan`)
  }
}

export class GatewayMetrics {
  readonly connections: Gauge
  readonly latency: Gauge
  readonly rx: Gauge
  readonly tx: Gauge
  readonly syncs: Counter

  constructor(context: AgentContext) {
    const labelNames = ['cable_driver', 'local_cluster', 'local_hostname', 'local_endpoint_ip', 'remote_cluster', 'remote_hostname', 'remote_endpoint_ip']
    const registers = [context.registry]
    this.connections = new Gauge({help: 'Connections to other clusters, by status', labelNames: [...labelNames, 'status'], name: 'submariner_connections', registers})
    this.latency = new Gauge({help: 'Latency of connections to other clusters (last RTT)', labelNames, name: 'submariner_connection_latency_seconds', registers})
    this.rx = new Gauge({help: 'Bytes received through the cable', labelNames, name: 'submariner_gateway_rx_bytes', registers})
    this.tx = new Gauge({help: 'Bytes sent through the cable', labelNames, name: 'submariner_gateway_tx_bytes', registers})
    this.syncs = new Counter({help: 'Gateway status refreshes', name: 'submariner_gateway_sync_iterations', registers})
  }
}
