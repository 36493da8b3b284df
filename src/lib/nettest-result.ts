/**
 * The results of `nettest connect`, `resolve` and `latency`, as printed on their stdout (one JSON
 * line) and read back by `verify`, `benchmark`, the lab tests and the benchmarks.
 */

export type Protocol = 'tcp' | 'udp' | 'http'

export interface Attempt {
  ok: boolean
  latencyMs?: number
  error?: string
  /** What the server said, for HTTP (who answered). */
  detail?: string
}

export interface ConnectResult {
  target: string
  protocol: Protocol
  attempts: number
  successes: number
  passed: boolean
  latencyMs: {min: number; avg: number; max: number} | null
  /** Distinct error messages, in order of first appearance. */
  errors: string[]
  /** Answers from the server (HTTP), in order. */
  answers: string[]
  /** One line for people and for the container's termination message. */
  summary: string
}

export function summarizeAttempts(
  request: {target: string; protocol: Protocol; minSuccess: number},
  attempts: Attempt[],
): ConnectResult {
  const latencies = attempts.filter((entry) => entry.ok && entry.latencyMs !== undefined).map((entry) => entry.latencyMs as number)
  const successes = attempts.filter((entry) => entry.ok).length
  const latencyMs =
    latencies.length === 0
      ? null
      : {
          avg: round(latencies.reduce((sum, value) => sum + value, 0) / latencies.length),
          max: round(Math.max(...latencies)),
          min: round(Math.min(...latencies)),
        }
  const errors = [...new Set(attempts.flatMap((entry) => (entry.error ? [entry.error] : [])))]
  const passed = successes >= Math.min(request.minSuccess, attempts.length) && successes > 0
  const timing = latencyMs ? `, latency min/avg/max ${latencyMs.min}/${latencyMs.avg}/${latencyMs.max} ms` : ''
  const failure = errors.length > 0 ? `; errors: ${errors.join('; ')}` : ''
  return {
    answers: attempts.flatMap((entry) => (entry.detail ? [entry.detail] : [])),
    attempts: attempts.length,
    errors,
    latencyMs,
    passed,
    protocol: request.protocol,
    successes,
    summary: `${successes}/${attempts.length} ${request.protocol} attempts to ${request.target} succeeded${timing}${failure}`,
    target: request.target,
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

/** The last JSON line of a pod's output that `accept` recognises. */
function lastJsonLine<T>(output: string, accept: (parsed: Record<string, unknown>) => boolean): T | undefined {
  for (const line of output.split('\n').reverse()) {
    const trimmed = line.trim()
    if (!trimmed.startsWith('{')) continue
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>
      if (accept(parsed)) return parsed as T
    } catch {
      // not a result line
    }
  }

  return undefined
}

/** Reads the JSON line `nettest connect` printed; undefined when the output holds none. */
export function parseConnectResult(output: string): ConnectResult | undefined {
  return lastJsonLine(output, (parsed) => typeof parsed.successes === 'number' && typeof parsed.target === 'string')
}

export interface ResolveResult {
  name: string
  type: string
  /** NOERROR, NXDOMAIN, NODATA, or the resolver's error code. */
  status: string
  /** Sorted: addresses for A, "priority weight port target" for SRV. */
  answers: string[]
  expect: string
  matched: boolean
  summary: string
}

/**
 * Whether answers are what `--expect` asked: `any` (at least one), `none` (no answer), or a
 * comma-separated set the answers must equal.
 */
export function resolveMatches(expect: string, answers: string[]): boolean {
  if (expect === 'any') return answers.length > 0
  if (expect === 'none') return answers.length === 0
  const wanted = [...new Set(expect.split(',').map((entry) => entry.trim()).filter(Boolean))].sort()
  const got = [...new Set(answers)].sort()
  return wanted.length === got.length && wanted.every((entry, index) => entry === got[index])
}

export function parseResolveResult(output: string): ResolveResult | undefined {
  return lastJsonLine(output, (parsed) => typeof parsed.matched === 'boolean' && Array.isArray(parsed.answers))
}

export interface LatencyResult {
  target: string
  /** What was measured, said in the output because it is not netperf. */
  method: string
  transactions: number
  /** Microseconds per transaction. */
  latencyUs: {min: number; mean: number; max: number; stddev: number} | null
  /** Transactions per second. */
  transactionRate: number
  error?: string
  summary: string
}

export const LATENCY_METHOD = 'TCP request/response, one byte each way on one connection (netperf TCP_RR equivalent)'

export function latencySummary(target: string, samples: number[]): LatencyResult {
  const total = samples.reduce((sum, value) => sum + value, 0)
  const mean = samples.length > 0 ? total / samples.length : 0
  const stddev = samples.length > 0 ? Math.sqrt(samples.reduce((sum, value) => sum + (value - mean) ** 2, 0) / samples.length) : 0
  const latencyUs = samples.length === 0 ? null : {max: round(Math.max(...samples)), mean: round(mean), min: round(Math.min(...samples)), stddev: round(stddev)}
  const transactionRate = total > 0 ? round((samples.length * 1e6) / total) : 0
  return {
    latencyUs,
    method: LATENCY_METHOD,
    summary: latencyUs
      ? `${samples.length} transactions to ${target}: latency min/mean/max/stddev ${latencyUs.min}/${latencyUs.mean}/${latencyUs.max}/${latencyUs.stddev} µs, ${transactionRate} transactions/s`
      : `no transaction with ${target} completed`,
    target,
    transactionRate,
    transactions: samples.length,
  }
}

export function parseLatencyResult(output: string): LatencyResult | undefined {
  return lastJsonLine(output, (parsed) => typeof parsed.transactions === 'number' && typeof parsed.method === 'string')
}
