/**
 * The pure parts of `subctl gather` (reference/subctl.md §10): the --type and --module values,
 * the file names of the bundle, the redaction of the broker credentials and the PSK, and the
 * per-cluster summary.html.
 */
import {usageError} from './errors.js'

export const GATHER_TYPES = ['logs', 'resources'] as const
export const GATHER_MODULES = ['connectivity', 'service-discovery', 'broker', 'operator'] as const
export type GatherType = (typeof GATHER_TYPES)[number]
export type GatherModule = (typeof GATHER_MODULES)[number]

function checked<T extends string>(values: string[], allowed: readonly T[], what: 'type' | 'module'): T[] {
  for (const value of values) {
    if (!allowed.includes(value as T)) throw usageError('INVALID_ARGUMENT', `Invalid argument: "${value}" is not a supported ${what}`, `Use one or more of ${allowed.join(', ')}`)
  }

  return [...new Set(values)] as T[]
}

export const parseTypes = (values: string[]): GatherType[] => checked(values, GATHER_TYPES, 'type')
export const parseModules = (values: string[]): GatherModule[] => checked(values, GATHER_MODULES, 'module')

/** Upstream's default directory: submariner-<UTC YYYYMMDDHHMMSS>. */
export function defaultDirectory(now: Date): string {
  return `submariner-${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`
}

const UNSAFE = /[<>:"/\\|?*]/g

/** `<resource>_<namespace>_<name>.yaml`; cluster-scoped objects have an empty namespace. */
export function resourceFileName(resource: string, namespace: string | undefined, name: string): string {
  return `${resource}_${namespace ?? ''}_${name}.yaml`.replace(UNSAFE, '_')
}

/** `<node>_<command name>.log`. */
export function commandFileName(node: string, commandName: string): string {
  return `${node}_${commandName}.log`.replace(UNSAFE, '_')
}

/** Each secret in every form it is stored in (the CA as base64 in the CR and as PEM in the Secret). */
export interface Secrets {
  apiServer: string[]
  token: string[]
  ca: string[]
  psk: string[]
}

const MARKERS: Record<keyof Secrets, string> = {apiServer: '##redacted-api-server##', ca: '##redacted-ca##', psk: '##redacted-ipsec-psk##', token: '##redacted-token##'}

/** The exact strings of the broker credentials and the PSK, each replaced by its marker; longest first, so a secret inside another goes with it. */
export function redact(text: string, secrets: Secrets): string {
  const pairs = (Object.keys(MARKERS) as Array<keyof Secrets>).flatMap((key) => secrets[key].filter((secret) => secret.trim().length >= 4).map((secret) => [secret, MARKERS[key]] as const))
  let result = text
  for (const [secret, marker] of pairs.sort((a, b) => b[0].length - a[0].length)) result = result.split(secret).join(marker)
  return result
}

export interface NodeSummary {
  name: string
  os: string
  kernel: string
  arch: string
  ips: string[]
}

export interface ClusterSummary {
  cluster: string
  subctlVersion: string
  submarinerVersion: string
  kubernetesVersion: string
  cni: string
  clusterCIDRs: string
  serviceCIDRs: string
  globalCIDR: string
  masters: string[]
  gateways: string[]
  nodes: NodeSummary[]
  logs: string[]
  resources: string[]
}

function html(text: string): string {
  return text.replace(/[<>&"]/g, (character) => ({'"': '&quot;', '&': '&amp;', '<': '&lt;', '>': '&gt;'})[character] as string)
}

function table(headers: string[], rows: string[][]): string {
  const head = `<tr>${headers.map((header) => `<th>${html(header)}</th>`).join('')}</tr>`
  return `<table>\n${head}\n${rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n')}\n</table>`
}

const link = (file: string) => `<a href="${encodeURI(file)}">${html(file)}</a>`

export function summaryHtml(summary: ClusterSummary): string {
  const facts: Array<[string, string]> = [
    ['subctl version', summary.subctlVersion],
    ['Submariner version', summary.submarinerVersion],
    ['Kubernetes version', summary.kubernetesVersion],
    ['CNI plugin', summary.cni],
    ['Cluster CIDRs', summary.clusterCIDRs],
    ['Service CIDRs', summary.serviceCIDRs],
    ['Global CIDR', summary.globalCIDR],
    ['Cloud provider', 'N/A'],
    ['Nodes', String(summary.nodes.length)],
    ['Masters', `${summary.masters.length}: ${summary.masters.join(', ')}`],
    ['Gateways', `${summary.gateways.length}: ${summary.gateways.join(', ')}`],
  ]
  return [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>Submariner gather: ${html(summary.cluster)}</title></head><body>`,
    `<h1>Cluster "${html(summary.cluster)}"</h1>`,
    table(['', ''], facts.map(([key, value]) => [html(key), html(value)])),
    '<h2>Nodes</h2>',
    table(['Name', 'OS', 'Kernel', 'Architecture', 'Addresses'], summary.nodes.map((node) => [node.name, node.os, node.kernel, node.arch, node.ips.join(', ')].map(html))),
    '<h2>Pod logs</h2>',
    table(['File'], summary.logs.map((file) => [link(file)])),
    '<h2>Resources and command outputs</h2>',
    table(['File'], summary.resources.map((file) => [link(file)])),
    '</body></html>',
    '',
  ].join('\n')
}
