/**
 * A verify spec: a named check of one --only key between two clusters. It passes by returning
 * (optionally with a note, e.g. how long an outage lasted), fails by throwing SpecFailure with the
 * probe that failed, and skips by throwing SpecSkipped with the reason. Any other error fails it
 * with that error's message.
 */
import type {Verification} from '../../lib/verify-plan.js'
import type {Probe, SpecResult} from '../../lib/verify-report.js'
import {messageOf} from '../../lib/errors.js'
import type {TestCluster} from './cluster.js'
import type {TestRun} from './test-run.js'

export class SpecFailure extends Error {
  constructor(
    message: string,
    readonly probe?: Probe,
    /** What probably caused it, when the failure says so (e.g. MTU). */
    readonly likelyCause?: string,
  ) {
    super(message)
  }
}

export class SpecSkipped extends Error {}

export interface Limits {
  connectionTimeoutSeconds: number
  connectionAttempts: number
  packetSize: number
}

export interface PairContext {
  run: TestRun
  from: TestCluster
  to: TestCluster
  /** The third cluster of --extracontext, for the specs that need one. */
  extra?: TestCluster
  limits: Limits
}

export interface Spec {
  key: Verification
  name: string
  run(context: PairContext): Promise<string | void>
}

export async function runSpec(spec: Spec, context: PairContext): Promise<SpecResult> {
  const started = Date.now()
  const base = {from: context.from.context, key: spec.key, name: spec.name, to: context.to.context}
  try {
    const note = await spec.run(context)
    return {...base, durationMs: Date.now() - started, status: 'passed', ...(note ? {message: note} : {})}
  } catch (error) {
    const durationMs = Date.now() - started
    if (error instanceof SpecSkipped) return {...base, durationMs, message: error.message, status: 'skipped'}
    if (context.run.settings.signal.aborted) return {...base, durationMs, message: 'interrupted', status: 'failed'}
    if (error instanceof SpecFailure) {
      return {...base, durationMs, message: error.message, status: 'failed', ...(error.probe ? {probe: error.probe} : {}), ...(error.likelyCause ? {cause: error.likelyCause} : {})}
    }

    return {...base, durationMs, message: messageOf(error), status: 'failed'}
  }
}

/** A placement that needs a node the cluster lacks skips the spec, saying which. */
export function needNode(cluster: TestCluster, kind: 'gateway' | 'non-gateway'): string {
  const node = kind === 'gateway' ? cluster.gatewayNode : cluster.nonGatewayNode
  if (!node) throw new SpecSkipped(`${cluster.context} has no ${kind} node`)
  return node
}
