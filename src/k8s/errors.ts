/**
 * The one classifier of Kubernetes API failures. Everything the client throws is either a
 * KubeApiError (the server answered with an error status) or an unreachable-cluster SubctlError.
 */
import {SubctlError} from '../lib/errors.js'

export type KubeErrorClass =
  | 'not-found'
  | 'already-exists'
  | 'conflict'
  | 'gone'
  | 'forbidden'
  | 'unauthorized'
  | 'invalid'
  | 'unreachable'
  | 'other'

/** The server answered with a non-2xx status; `reason` and `message` come from its Status object. */
export class KubeApiError extends Error {
  readonly statusCode: number
  readonly reason: string

  constructor(statusCode: number, reason: string, message: string) {
    super(message)
    this.name = 'KubeApiError'
    this.statusCode = statusCode
    this.reason = reason
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
])

export function classify(error: unknown): KubeErrorClass {
  if (error instanceof KubeApiError) {
    switch (error.statusCode) {
      case 401:
        return 'unauthorized'
      case 403:
        return 'forbidden'
      case 404:
        // A CRD that is not installed answers 404 too, which upstream also counts as "not found".
        return 'not-found'
      case 409:
        return error.reason === 'AlreadyExists' ? 'already-exists' : 'conflict'
      case 410:
        return 'gone'
      case 422:
        return 'invalid'
      default:
        return 'other'
    }
  }

  if (error instanceof SubctlError && error.code === 'CLUSTER_UNREACHABLE') return 'unreachable'
  if (isNetworkError(error)) return 'unreachable'
  return 'other'
}

export function isNetworkError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && UNREACHABLE_CODES.has(code)
}

export const isNotFound = (error: unknown): boolean => classify(error) === 'not-found'
export const isAlreadyExists = (error: unknown): boolean => classify(error) === 'already-exists'
export const isConflict = (error: unknown): boolean => classify(error) === 'conflict'
export const isGone = (error: unknown): boolean => classify(error) === 'gone'
export const isForbidden = (error: unknown): boolean => {
  const kind = classify(error)
  return kind === 'forbidden' || kind === 'unauthorized'
}

/** Whether retrying later may succeed (the server was busy or unreachable, or we lost a race). */
export function isTransient(error: unknown): boolean {
  const kind = classify(error)
  if (kind === 'unreachable' || kind === 'conflict') return true
  return error instanceof KubeApiError && (error.statusCode === 429 || error.statusCode >= 500)
}
