import {join} from 'node:path'

import {run as runCommand, type RunResult} from '../lab/sh.js'

export const ROOT = join(import.meta.dirname, '..', '..')
export const SUBCTL = join(ROOT, 'bin', 'run.cjs')
export const AGENT = join(ROOT, 'dist', 'agent.js')

export type {RunResult} from '../lab/sh.js'

/** Runs a program to completion without a TTY (stdin closed), as CI does, from the checkout. */
export function run(command: string, args: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  return runCommand([command, ...args], {cwd: ROOT, ...options})
}

/** Runs the subctl CLI of this checkout. */
export function subctl(args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return run(process.execPath, [SUBCTL, ...args], options)
}
