/** Running the lab's commands: failures name the command and carry its stderr. */
import {spawn, spawnSync} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'

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

/** Runs a command to completion; throws a CommandError unless it exits 0 (or `allowFailure`). */
export function sh(command: string[], options: {input?: string; allowFailure?: boolean; env?: NodeJS.ProcessEnv; cwd?: string} = {}): string {
  const [file, ...args] = command
  const result = spawnSync(file as string, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    env: options.env ?? process.env,
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error) throw new CommandError(command, null, result.error.message)
  if (result.status !== 0 && !options.allowFailure) throw new CommandError(command, result.status, result.stderr)
  return result.stdout
}

/** Like sh, but async (for long builds and parallel work). */
export function shAsync(command: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; log?: string} = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command
    const logFd = options.log ? openSync(options.log, 'a') : undefined
    const child = spawn(file as string, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk) => (stdout += chunk))
    child.stderr?.on('data', (chunk) => (stderr += chunk))
    child.on('error', (error) => reject(new CommandError(command, null, error.message)))
    child.on('close', (status) => {
      if (logFd !== undefined) closeSync(logFd)
      if (status === 0) resolve(stdout)
      else reject(new CommandError(command, status, stderr || `see ${options.log}`))
    })
  })
}

/** Runs a command inside a network namespace. */
export function inNetns(netns: string, command: string[], options: Parameters<typeof sh>[1] = {}): string {
  return sh(['ip', 'netns', 'exec', netns, ...command], options)
}

/**
 * Starts a long-running process in its own session, detached from the lab CLI, with its output in
 * a log file. Returns its pid (nsenter execs the program, so the pid is the program's).
 */
export function startDaemon(command: string[], log: string, env: NodeJS.ProcessEnv = {...process.env, [LAB_MARKER]: STATE_DIR}): number {
  const fd = openSync(log, 'a')
  const [file, ...args] = command
  const child = spawn(file as string, args, {detached: true, env, stdio: ['ignore', fd, fd]})
  closeSync(fd)
  child.unref()
  if (child.pid === undefined) throw new Error(`could not start ${command.join(' ')}`)
  return child.pid
}
