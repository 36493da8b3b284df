/** Go's time.Duration.String(), which upstream's latencyRTT fields and `show` output use ("1.234567ms"). */
export function goDuration(nanoseconds: number): string {
  const ns = Math.round(nanoseconds)
  if (ns === 0) return '0s'
  const trim = (value: number, decimals: number) => value.toFixed(decimals).replace(/\.?0+$/, '')
  if (ns < 1000) return `${ns}ns`
  if (ns < 1_000_000) return `${trim(ns / 1000, 3)}µs`
  if (ns < 1_000_000_000) return `${trim(ns / 1_000_000, 6)}ms`
  const seconds = ns / 1e9
  if (seconds < 60) return `${trim(seconds, 9)}s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes}m${trim(seconds - minutes * 60, 9)}s`
}

/** Parses what goDuration writes back to nanoseconds (for tables and averages). */
export function parseGoDuration(text: string): number | undefined {
  // \u00b5 is µ: esbuild leaves a regular expression's characters as they are, and the CLI bundle
  // must be ASCII (scripts/build.mjs).
  const match = /^(?:(\d+)m)?([\d.]+)(ns|\u00b5s|us|ms|s)$/.exec(text.trim())
  if (!match) return undefined
  const unit = {ms: 1e6, ns: 1, s: 1e9, us: 1e3, µs: 1e3}[match[3] as 'ns' | 'µs' | 'us' | 'ms' | 's']
  return Number(match[1] ?? 0) * 60e9 + Number(match[2]) * unit
}
