/** Upstream's `show` tables (reference/subctl.md §5), column for column. */
import {type BrokerRow, type ConnectionRow, type EndpointRow, type GatewayRow, rttText, type VersionRow} from '../lib/show.js'
import type {Column} from './output.js'

export const CONNECTION_COLUMNS: Array<Column<ConnectionRow>> = [
  {header: 'GATEWAY', maxWidth: 30, value: (row) => row.gateway},
  {header: 'CLUSTER', maxWidth: 24, value: (row) => row.cluster},
  {header: 'REMOTE IP', value: (row) => row.remoteIP},
  {header: 'NAT', value: (row) => row.nat},
  {header: 'CABLE DRIVER', value: (row) => row.cableDriver},
  {header: 'SUBNETS', maxWidth: 40, value: (row) => row.subnets},
  {header: 'STATUS', value: (row) => row.status},
  {header: 'RTT avg.', value: (row) => rttText(row.rttAverageMs)},
]

export const ENDPOINT_COLUMNS: Array<Column<EndpointRow>> = [
  {header: 'CLUSTER', maxWidth: 24, value: (row) => row.cluster},
  {header: 'ENDPOINT IP', value: (row) => row.endpointIP},
  {header: 'PUBLIC IP', value: (row) => row.publicIP},
  {header: 'CABLE DRIVER', value: (row) => row.cableDriver},
  {header: 'TYPE', value: (row) => row.type},
]

export const GATEWAY_COLUMNS: Array<Column<GatewayRow>> = [
  {header: 'NODE', maxWidth: 30, value: (row) => row.node},
  {header: 'HA STATUS', value: (row) => row.haStatus},
  {header: 'SUMMARY', value: (row) => row.summary},
]

export const BROKER_COLUMNS: Array<Column<BrokerRow>> = [
  {header: 'NAMESPACE', maxWidth: 24, value: (row) => row.namespace},
  {header: 'NAME', maxWidth: 24, value: (row) => row.name},
  {header: 'COMPONENTS', value: (row) => row.components},
  {header: 'GLOBALNET', value: (row) => row.globalnet},
  {header: 'GLOBALNET CIDR', value: (row) => row.globalnetCIDR},
  {header: 'DEFAULT GLOBALNET SIZE', value: (row) => row.defaultGlobalnetSize},
  {header: 'DEFAULT DOMAINS', maxWidth: 40, value: (row) => row.defaultDomains},
]

export const VERSION_COLUMNS: Array<Column<VersionRow>> = [
  {header: 'COMPONENT', value: (row) => row.component},
  {header: 'REPOSITORY', value: (row) => row.repository},
  {header: 'CONFIGURED', value: (row) => row.configured},
  {header: 'RUNNING', value: (row) => row.running},
  {header: 'ARCH', value: (row) => row.arch},
]
