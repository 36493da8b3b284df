/**
 * The result of `nettest connect`, as printed on its stdout and read back by `verify`, `diagnose`,
 * the lab tests and the benchmarks.
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

/** Reads the JSON line `nettest connect` printed; undefined when the output holds none. */
export function parseConnectResult(output: string): ConnectResult | undefined {
  for (const line of output.split('\n').reverse()) {
    const trimmed = line.trim()
    if (!trimmed.startsWith('{')) continue
    try {
      const parsed = JSON.parse(trimmed) as Partial<ConnectResult>
      if (typeof parsed.successes === 'number' && typeof parsed.target === 'string') return parsed as ConnectResult
    } catch {
      // not the result line
    }
  }

  return undefined
}
