/** Argument checks shared by the nettest modes: bad values exit 2 with a line that names the flag. */
import {ArgumentError} from '../runtime/role.js'

export function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new ArgumentError(`--${name} must be a port number, got "${value}"`)
  return parsed
}

export function nonNegative(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new ArgumentError(`--${name} must be a non-negative integer, got "${value}"`)
  return parsed
}

/** HOST:PORT, with [v6]:PORT. */
export function hostPort(target: string | undefined): {host: string; port: number} {
  const match = /^(.+):(\d+)$/.exec(target ?? '')
  if (!match) throw new ArgumentError(`--target must be HOST:PORT, got "${target ?? ''}"`)
  return {host: (match[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port: Number(match[2])}
}
