/** Durations as users type them: 90s, 5m, 1h30m, 500ms, or plain seconds. */
import {usageError} from './errors.js'

const UNITS: Record<string, number> = {h: 3_600_000, m: 60_000, ms: 1, s: 1000}

export function parseDuration(text: string, flag = '--timeout'): number {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)]
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) {
    throw usageError('INVALID_DURATION', `${flag} "${text}" is not a duration`, `Use a duration such as 90s, 5m or 1h`)
  }

  return parts.reduce((total, part) => total + Number(part[1]) * (UNITS[part[2] as string] ?? 1000), 0)
}
