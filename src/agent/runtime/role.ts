/** What every agent role receives from main.ts, and what it returns. */
import {existsSync, writeFileSync} from 'node:fs'

import type {Registry} from 'prom-client'

import type {HealthState} from './health.js'
import type {Logger} from './log.js'

export interface AgentContext {
  log: Logger
  /** Register the role's metrics here; main serves them on /metrics. */
  registry: Registry
  health: HealthState
  /** Aborted on SIGTERM/SIGINT: stop work, clean up, and return. */
  signal: AbortSignal
  env: NodeJS.ProcessEnv
}

export interface RoleModule {
  /** The metrics/health port when --metrics-port is not given; 0 serves none. */
  defaultMetricsPort: number
  /** Runs the role until it is done or the signal aborts; resolves with the exit code. */
  run(args: string[], context: AgentContext): Promise<number>
}

/** Where Kubernetes reads a container's termination message. */
export const DEFAULT_TERMINATION_LOG = '/dev/termination-log'

/** Writes the termination message the kubelet reports in the container status, when that file exists. */
export function writeTerminationMessage(message: string, env: NodeJS.ProcessEnv = process.env): void {
  const path = env.TERMINATION_MESSAGE_PATH ?? DEFAULT_TERMINATION_LOG
  if (!existsSync(path)) return
  try {
    writeFileSync(path, message)
  } catch {
    // A read-only or missing termination log must not turn a result into a crash.
  }
}


/** Resolves when the signal aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), {once: true})
  })
}

/** A bad role argument: main.ts exits with 2 instead of 1. */
export class ArgumentError extends Error {
  override name = 'ArgumentError'
}

/** Whether an error means the role was started with bad arguments (ours, or node:util parseArgs'). */
export function isArgumentError(error: unknown): boolean {
  return error instanceof ArgumentError || String((error as {code?: unknown})?.code ?? '').startsWith('ERR_PARSE_ARGS')
}
