/** The cable driver interface (reference/dataplane.md §3.5) and what the drivers share. */
import type {ConnectionStatus, EndpointSpec} from '../../../api/submariner.js'
import type {Net} from '../../netlink/ip.js'
import type {Tools} from '../../netlink/exec.js'
import type {Logger} from '../../runtime/log.js'

export interface CableConnection {
  endpoint: EndpointSpec
  status: ConnectionStatus
  statusMessage: string
  usingIP: string
  usingNAT: boolean
  rxBytes?: number
  txBytes?: number
}

export interface DriverContext {
  tools: Tools
  net: Net
  log: Logger
  /** The PSK string (base64 of the PSK bytes), as CE_IPSEC_PSK carries it. */
  psk: string
  /** The address of the local CNI interface, the source of routed tunnel traffic. */
  cniIp: string | undefined
  forceEncapsulation: boolean
  debug: boolean
}

export interface CableDriver {
  readonly name: string
  /** Entries for the local Endpoint's backend_config (e.g. WireGuard's public key), known before it is published. */
  backendConfig(): Promise<Record<string, string>>
  /** Sets up the local side once this gateway leads; throws when the node cannot run the driver. */
  init(local: EndpointSpec): Promise<void>
  connect(remote: EndpointSpec, useIP: string, useNAT: boolean): Promise<void>
  disconnect(remote: EndpointSpec): Promise<void>
  connections(): Promise<CableConnection[]>
  /** Removes everything the driver made (leadership lost for good, or uninstall). */
  cleanup(): Promise<void>
}

/** The tunnel UDP port of an endpoint: backend_config udp-port, else 4500. */
export function udpPort(spec: EndpointSpec): number {
  return Number(spec.backend_config?.['udp-port'] ?? 4500)
}
