/**
 * What the lab benchmarks share: statistics, the lab brought up when it is down (and taken down
 * again afterwards unless --keep), and programs run inside a pod's network namespace.
 */
import {readFileSync} from 'node:fs'

import {ensurePackages} from '../test/lab/build.js'
import {DEFAULT_CLUSTERS, parseClusters} from '../test/lab/config.js'
import {down, readState, up} from '../test/lab/lab.js'
import {podNamespace} from '../test/lab/operations.js'
import {shAsync, spawnLines} from '../test/lab/sh.js'

export function median(values: number[]): number {
  return percentile(values, 50)
}

/** Nearest-rank percentile. */
export function percentile(values: number[], rank: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((rank / 100) * sorted.length) - 1))] as number
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits))

/** The resident memory of a process in MB (throws if it has ended). */
export function rssMb(pid: string): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
}

/** Runs `work` over `items`, `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({length: limit}, async () => {
    while (next < items.length) await work(items[next++] as T)
  }))
}

/** Brings the lab up if it is down; the returned function takes it down again unless it was up before or `keep`. */
export async function withLab<T>(work: () => Promise<T>, options: {keep?: boolean; clusters?: string} = {}): Promise<T> {
  // The benchmarks' tools (iperf3, dnsperf) are Debian packages the lab installs with its own,
  // also when the lab is already up.
  ensurePackages((line) => console.error(`bench: ${line}`))
  const clusters = options.clusters ?? DEFAULT_CLUSTERS
  const state = readState()
  const wasUp = state?.up === true
  if (!wasUp) {
    console.error('bench: the lab is down, bringing it up')
    await up(clusters, (line) => console.error(`lab: ${line}`))
  } else {
    const missing = clusters.split(',').filter((name) => !parseClusters(state?.clusters ?? '').some((cluster) => cluster.name === name))
    if (missing.length > 0) throw new Error(`this benchmark needs the lab's ${missing.join(', ')}: npm run lab -- down, then npm run lab -- up --clusters ${clusters}`)
  }

  try {
    return await work()
  } finally {
    if (!wasUp && !options.keep) await down(() => {})
  }
}

/** The network namespace of CLUSTER/NAMESPACE/POD in the running lab. */
export async function netnsOf(reference: string): Promise<string> {
  const state = readState()
  if (!state?.up) throw new Error('the lab is not up')
  return podNamespace(parseClusters(state.clusters), reference)
}

/** Starts a program in a network namespace; its stdout arrives line by line. Kill it when done. */
export function spawnIn(netns: string, command: string[], onLine: (line: string) => void = () => {}): ReturnType<typeof spawnLines> {
  return spawnLines(['ip', 'netns', 'exec', netns, ...command], onLine)
}

/** Runs a program in a network namespace to completion and returns its stdout. */
export function runIn(netns: string, command: string[]): Promise<string> {
  return shAsync(['ip', 'netns', 'exec', netns, ...command])
}
