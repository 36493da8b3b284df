/**
 * What `subctl verify` runs, decided before it touches a cluster (reference/subctl.md §6 and §6.2
 * steps 1 and 2): the verification keys of `--only`, the connection limits, and the gate of the
 * disruptive keys. Upstream's messages, except where upstream names a flag that does not exist.
 */
import {usageError, type SubctlError} from './errors.js'

export const VERIFICATIONS = ['connectivity', 'basic-connectivity', 'service-discovery', 'compliance', 'gateway-failover'] as const
export type Verification = (typeof VERIFICATIONS)[number]

/** The keys whose specs disturb the clusters (they kill gateways). */
export const DISRUPTIVE: readonly Verification[] = ['gateway-failover']

/** Upstream's message when verify gets one cluster: said before any prompt, and by the service for other callers. */
export function secondContextMissing(): SubctlError {
  return usageError('SECOND_CONTEXT_MISSING', 'This command requires two kube contexts corresponding to the two clusters to verify.', 'Pass --context A --tocontext B, or --contexts A,B,... for every pair')
}

/** `--only`: comma-separated keys, trimmed and case-insensitive; every key when absent. */
export function parseOnly(only: string | undefined): Verification[] {
  if (only === undefined || only.trim() === '') return [...VERIFICATIONS]
  const keys: Verification[] = []
  for (const raw of only.split(',')) {
    const key = raw.trim().toLowerCase()
    if (key === '') continue
    if (!(VERIFICATIONS as readonly string[]).includes(key)) {
      throw usageError('UNKNOWN_VERIFICATION', `unknown verification "${raw.trim()}"`, `Pass --only with some of: ${VERIFICATIONS.join(', ')}`)
    }

    if (!keys.includes(key as Verification)) keys.push(key as Verification)
  }

  return keys
}

export interface ConnectionLimits {
  operationTimeoutSeconds: number
  connectionTimeoutSeconds: number
  connectionAttempts: number
  packetSize: number
}

/** The flags' bounds, as upstream checks them. */
export function checkConnectionLimits(limits: ConnectionLimits): void {
  if (!Number.isInteger(limits.connectionTimeoutSeconds) || limits.connectionTimeoutSeconds < 20) {
    throw usageError('INVALID_CONNECTION_TIMEOUT', '--connection-timeout must be >=20', 'Pass at least 20 (seconds)')
  }

  if (!Number.isInteger(limits.connectionAttempts) || limits.connectionAttempts < 1) {
    throw usageError('INVALID_CONNECTION_ATTEMPTS', '--connection-attempts must be >=1', 'Pass at least 1')
  }

  if (!Number.isInteger(limits.operationTimeoutSeconds) || limits.operationTimeoutSeconds < 1) {
    throw usageError('INVALID_OPERATION_TIMEOUT', '--operation-timeout must be >=1', 'Pass a number of seconds')
  }

  if (!Number.isInteger(limits.packetSize) || limits.packetSize < 1) {
    throw usageError('INVALID_PACKET_SIZE', '--packet-size must be >=1', 'Pass a payload size in bytes, e.g. 3000')
  }
}

export interface GateOutcome {
  keys: Verification[]
  /** Disruptive keys left out, with the reason to print. */
  dropped: Verification[]
  message?: string
}

/**
 * The disruptive gate: with --disruptive-tests the keys stay; on a terminal the caller asks first
 * (`confirmed`); without one they are dropped with a message that names the real flag.
 */
export function gateDisruptive(keys: Verification[], options: {allowed: boolean; interactive: boolean; confirmed?: boolean}): GateOutcome {
  const disruptive = keys.filter((key) => DISRUPTIVE.includes(key))
  let outcome: GateOutcome = {dropped: [], keys}
  if (disruptive.length > 0 && !options.allowed) {
    if (!options.interactive) {
      outcome = {
        dropped: disruptive,
        keys: keys.filter((key) => !disruptive.includes(key)),
        message: `Skipping the disruptive verifications (${disruptive.join(', ')}): they kill gateway pods, and without a terminal subctl cannot ask whether that is fine. Pass --disruptive-tests to run them.`,
      }
    } else if (options.confirmed === false) {
      outcome = {dropped: disruptive, keys: keys.filter((key) => !disruptive.includes(key)), message: `Skipping the disruptive verifications (${disruptive.join(', ')})`}
    }
  }

  if (outcome.keys.length === 0) {
    const why = outcome.dropped.length > 0 ? ` (${outcome.dropped.join(', ')} ${outcome.dropped.length === 1 ? 'is' : 'are'} disruptive and ${options.interactive ? 'was declined' : 'needs --disruptive-tests without a terminal'})` : ''
    throw usageError('NO_VERIFICATION', `please specify at least one verification to be performed${why}`, 'Pass --only with a key that is not disruptive, or --disruptive-tests')
  }
  return outcome
}

/** Every ordered pair of distinct contexts, for `--contexts a,b,c`. */
export function orderedPairs(contexts: string[]): Array<[string, string]> {
  return contexts.flatMap((from) => contexts.filter((to) => to !== from).map((to): [string, string] => [from, to]))
}
