/**
 * The one way tests, benchmarks and the lab run programs, on execa: to completion (throwing a
 * CommandError that names the command and carries its stderr, or returning the result as is),
 * in a network namespace, in the background with its output line by line, or detached as a lab
 * daemon. The lab's node runtime (test/lab/node) starts containers itself: it manages process
 * groups, terminals and exec streams as a container runtime does.
 */
import {closeSync, openSync} from 'node:fs'
import {createInterface} from 'node:readline'

import {execa, execaSync, type ResultPromise} from 'execa'

import {LAB_MARKER, STATE_DIR} from './config.js'

export class CommandError extends Error {
  readonly status: number | null
  readonly stderr: string

  constructor(command: string[], status: number | null, stderr: string) {
    super(`${command.join(' ')} failed (exit ${status}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
    this.status = status
    this.stderr = stderr
  }
}

interface ShOptions {
  input?: string
  allowFailure?: boolean
  env?: NodeJS.ProcessEnv
  cwd?: string
}

const failure = (result: {stderr?: unknown; message?: unknown}) => String(result.stderr || result.message || '')

/** Runs a command to completion; throws a CommandError unless it exits 0 (or `allowFailure`). */
export function sh(command: string[], options: ShOptions = {}): string {
  const [file, ...args] = command
  const result = execaSync(file as string, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    extendEnv: false,
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
    reject: false,
    stripFinalNewline: false,
  })
  if (result.failed && (!options.allowFailure || result.exitCode === undefined)) throw new CommandError(command, result.exitCode ?? null, failure(result))
  return String(result.stdout)
}

/** Like sh, but async (for long builds and parallel work); with `log`, the output goes to that file. */
export async function shAsync(command: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; log?: string} = {}): Promise<string> {
  const [file, ...args] = command
  const output = options.log ? {append: true, file: options.log} : 'pipe'
  const result = await execa(file as string, args, {cwd: options.cwd, env: options.env ?? process.env, extendEnv: false, reject: false, stderr: output, stdin: 'ignore', stdout: output})
  if (result.failed) throw new CommandError(command, result.exitCode ?? null, failure(result) || `see ${options.log}`)
  return String(result.stdout ?? '')
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a program to completion without a TTY (stdin gets `input`, then closes), as CI does; never throws for its exit. */
export async function run(command: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  const [file, ...args] = command
  const result = await execa(file as string, args, {
    cwd: options.cwd,
    env: {...process.env, ...options.env},
    extendEnv: false,
    input: options.input ?? '',
    killSignal: 'SIGKILL',
    reject: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 60_000,
  })
  if (result.exitCode === undefined && !result.isTerminated) throw new CommandError(command, null, failure(result))
  return {code: result.exitCode ?? null, stderr: String(result.stderr), stdout: String(result.stdout)}
}

/** Runs a command on this terminal (its output shown, or not with `quiet`); returns its exit code. */
export function shOnTerminal(command: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv; input?: string; quiet?: boolean} = {}): number {
  const [file, ...args] = command
  const output = options.quiet ? 'ignore' : 'inherit'
  const result = execaSync(file as string, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    extendEnv: false,
    reject: false,
    stderr: output,
    stdout: output,
    ...(options.input === undefined ? {stdin: 'inherit' as const} : {input: options.input}),
  })
  if (result.exitCode === undefined) throw new CommandError(command, null, failure(result))
  return result.exitCode
}

/** Runs a command inside a network namespace. */
export function inNetns(netns: string, command: string[], options: ShOptions = {}): string {
  return sh(['ip', 'netns', 'exec', netns, ...command], options)
}

/**
 * Starts a program in the background with its standard streams piped (`stderr: 'inherit'` sends
 * its stderr to ours), for a test that talks to it. Kill it when done. Do not return it from an
 * async function or await it: it is a promise of the program's end.
 */
export function startProcess(command: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv; stderr?: 'pipe' | 'inherit'} = {}): ResultPromise {
  const [file, ...args] = command
  return execa(file as string, args, {buffer: false, cwd: options.cwd, env: options.env ?? process.env, extendEnv: false, reject: false, stderr: options.stderr ?? 'pipe', stdin: 'pipe'})
}

/** Starts a program in the background; its stdout arrives line by line, its stderr goes to ours. */
export function spawnLines(command: string[], onLine: (line: string) => void = () => {}): ResultPromise {
  const child = startProcess(command, {stderr: 'inherit'})
  if (child.stdout) createInterface({input: child.stdout}).on('line', onLine)
  return child
}

/**
 * Starts a long-running process with its output appended to a log file. `detached` puts it in its
 * own session, to outlive this process (the lab's daemons). Kill it when done; do not await it.
 */
export function startLogged(command: string[], log: string, options: {env?: NodeJS.ProcessEnv; detached?: boolean} = {}): ResultPromise {
  // execa's types accept only literal descriptors; any open one works (the child inherits it).
  const fd = openSync(log, 'a') as 1
  const [file, ...args] = command
  try {
    return execa(file as string, args, {cleanup: !options.detached, detached: options.detached ?? false, env: options.env ?? process.env, extendEnv: false, reject: false, stderr: fd, stdin: 'ignore', stdout: fd})
  } finally {
    closeSync(fd)
  }
}

/**
 * Starts a lab daemon: detached from the lab CLI, in its own session, with its output in a log
 * file. Returns its pid (nsenter execs the program, so the pid is the program's).
 */
export function startDaemon(command: string[], log: string, env: NodeJS.ProcessEnv = {...process.env, [LAB_MARKER]: STATE_DIR}): number {
  const child = startLogged(command, log, {detached: true, env})
  child.unref()
  if (child.pid === undefined) throw new Error(`could not start ${command.join(' ')}`)
  return child.pid
}
