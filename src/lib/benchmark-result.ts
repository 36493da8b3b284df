/**
 * The figures of `subctl benchmark` (reference/subctl.md §7): iperf3's JSON read back, and the
 * result document with each pass's ratio to the same-cluster baseline.
 */
import {LATENCY_METHOD, type LatencyResult} from './nettest-result.js'

export interface Throughput {
  bitsPerSecond: number
  retransmits: number
  durationSeconds: number
}

/** The received throughput of an `iperf3 -J` run; an error with iperf3's own message otherwise. */
export function parseIperfJson(output: string): Throughput {
  const start = output.indexOf('{')
  let parsed: {error?: string; end?: {sum_received?: {bits_per_second?: number; seconds?: number}; sum_sent?: {retransmits?: number}}}
  try {
    parsed = JSON.parse(start >= 0 ? output.slice(start) : output)
  } catch {
    throw new Error(`iperf3 printed no JSON result: ${output.trim().split('\n').slice(-2).join(' ') || 'no output'}`)
  }

  if (parsed.error) throw new Error(`iperf3: ${parsed.error}`)
  const received = parsed.end?.sum_received
  if (!received?.bits_per_second) throw new Error('iperf3 reported no received throughput')
  return {bitsPerSecond: received.bits_per_second, durationSeconds: received.seconds ?? 0, retransmits: parsed.end?.sum_sent?.retransmits ?? 0}
}

export function formatBits(bitsPerSecond: number): string {
  const units = ['bit/s', 'Kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s']
  let value = bitsPerSecond
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }

  return `${value.toFixed(2)} ${units[unit]}`
}

export type BenchmarkKind = 'throughput' | 'latency'

export interface PodEnd {
  cluster: string
  node: string
  /** "Gateway" or "Non-Gateway", as upstream's progress lines say. */
  role: string
}

export interface BenchmarkPass {
  /** Upstream's progress line for this pass. */
  title: string
  /** The same-cluster pass that the others are compared with. */
  baseline: boolean
  from: PodEnd
  to: PodEnd
  throughput?: Throughput
  latency?: LatencyResult
  /** This pass's figure over the baseline's: throughput (higher is better), mean latency (lower is better). */
  ratioToBaseline?: number
}

export interface BenchmarkReport {
  apiVersion: 'subctl/v1'
  kind: 'BenchmarkReport'
  benchmark: BenchmarkKind
  /** What latency measured (it is not netperf). */
  method?: string
  passes: BenchmarkPass[]
}

const figure = (kind: BenchmarkKind, pass: BenchmarkPass) => (kind === 'throughput' ? pass.throughput?.bitsPerSecond : pass.latency?.latencyUs?.mean)

/** Fills in each pass's ratio to the baseline pass. */
export function benchmarkReport(kind: BenchmarkKind, passes: BenchmarkPass[]): BenchmarkReport {
  const baseline = passes.find((pass) => pass.baseline)
  const base = baseline ? figure(kind, baseline) : undefined
  return {
    apiVersion: 'subctl/v1',
    benchmark: kind,
    kind: 'BenchmarkReport',
    ...(kind === 'latency' ? {method: LATENCY_METHOD} : {}),
    passes: passes.map((pass) => {
      const value = figure(kind, pass)
      return pass.baseline || !base || !value ? pass : {...pass, ratioToBaseline: Math.round((value / base) * 1000) / 1000}
    }),
  }
}

/** Upstream prints netperf's CSV as `Header:\tvalue` lines; these are its headers for our figures. */
export function latencyLines(result: LatencyResult): string[] {
  const latency = result.latencyUs
  if (!latency) return [`No transaction completed: ${result.error ?? result.summary}`]
  return [
    `Minimum Latency Microseconds:\t${latency.min}`,
    `Mean Latency Microseconds:\t${latency.mean}`,
    `Maximum Latency Microseconds:\t${latency.max}`,
    `Stddev Latency Microseconds:\t${latency.stddev}`,
    `Transaction Rate Tran/s:\t${result.transactionRate}`,
  ]
}

/** The table printed after the passes: one row per pass. */
export function benchmarkRows(report: BenchmarkReport): string[][] {
  const end = (pod: PodEnd) => `${pod.role} ${pod.cluster}/${pod.node}`
  const header = report.benchmark === 'throughput' ? ['from', 'to', 'throughput', 'retransmits', 'vs baseline'] : ['from', 'to', 'mean latency', 'min / max', 'transactions/s', 'vs baseline']
  const rows = report.passes.map((pass) => {
    const ratio = pass.baseline ? 'baseline' : pass.ratioToBaseline === undefined ? '-' : `${pass.ratioToBaseline}x`
    if (report.benchmark === 'throughput') {
      return [end(pass.from), end(pass.to), pass.throughput ? formatBits(pass.throughput.bitsPerSecond) : 'failed', String(pass.throughput?.retransmits ?? '-'), ratio]
    }

    const latency = pass.latency?.latencyUs
    return [end(pass.from), end(pass.to), latency ? `${latency.mean} µs` : 'failed', latency ? `${latency.min} / ${latency.max} µs` : '-', String(pass.latency?.transactionRate ?? '-'), ratio]
  })
  return [header, ...rows]
}
