/**
 * The lab's state on disk (what runs, under which pids), the checks of what is alive, and the admin
 * clients and waits that bringing it up and operating on it share.
 */
import {readFileSync, writeFileSync} from 'node:fs'

import type {KubeClient} from '../../src/k8s/client.js'
import {clientForServer} from '../../src/k8s/clients.js'
import {eventually} from '../helpers/lab.js'
import {hostApiPort, NETNS_PREFIX, paths, type ClusterConfig} from './config.js'
import {clusterPki, type ClusterPki} from './pki.js'
import {sh} from './sh.js'

export interface LabState {
  clusters: string
  binDir: string
  nodeHelper: string
  processes: LabProcess[]
  up: boolean
}

export interface LabProcess {
  name: string
  pid: number
  /** What was started, so `lab restart` can start it again. */
  command: string[]
}

export type Log = (line: string) => void

export function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as LabState
  } catch {
    return undefined
  }
}

export function writeState(state: LabState): void {
  writeFileSync(paths.state, JSON.stringify(state, null, 2))
}

/** Whether a process runs: a zombie does not (this machine's init may be slow to reap them). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Every network namespace the lab made (nodes, pods, the bridge and the host). */
export function labNamespaces(): string[] {
  return sh(['ip', 'netns', 'list'], {allowFailure: true})
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(NETNS_PREFIX))
}

/** An admin client for a cluster, through the host's loopback forwarder. */
export function adminClient(cluster: ClusterConfig, pki: ClusterPki = clusterPki(cluster)): Promise<KubeClient> {
  return clientForServer(
    {
      ca: readFileSync(pki.ca.cert),
      cert: readFileSync(pki.admin.cert),
      displayName: `lab cluster ${cluster.name}`,
      key: readFileSync(pki.admin.key),
      server: `https://127.0.0.1:${hostApiPort(cluster)}`,
    },
    'subctl-lab',
  )
}

/** Polls every 250 ms until `probe` gives a value, as the tests' eventually does. */
export function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return eventually(what, probe, timeoutMs, 250)
}
