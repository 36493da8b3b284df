/**
 * The one way the agents run programs, on execa: the networking tools (ip, bridge, iptables,
 * ipset, wg, sysctl), logged at debug level, whose failures become errors that name the command and
 * carry its stderr; and the daemons the gateway keeps running (ping, wireguard-go).
 */
import {createInterface} from 'node:readline'

import {execa, type ResultPromise} from 'execa'

import type {Logger} from '../runtime/log.js'

export class ToolError extends Error {
  readonly command: string
  readonly stderr: string
  readonly exitCode: number | null

  constructor(command: string, exitCode: number | null, stderr: string) {
    super(`${command} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-2).join(' | ')}`)
    this.name = 'ToolError'
    this.command = command
    this.stderr = stderr
    this.exitCode = exitCode
  }
}

export interface RunOptions {
  input?: string
  /** Resolve with the output even when the tool fails (e.g. "delete what may not exist"). */
  allowFailure?: boolean
  timeoutMs?: number
}

export interface Tools {
  run(file: string, args: string[], options?: RunOptions): Promise<string>
}

export function createTools(log: Logger): Tools {
  return {
    async run(file, args, options = {}) {
      const command = `${file} ${args.join(' ')}`
      log.debug('run', {command})
      const result = await execa(file, args, {
        maxBuffer: 32 * 1024 * 1024,
        reject: false,
        stripFinalNewline: false,
        timeout: options.timeoutMs ?? 30_000,
        ...(options.input === undefined ? {} : {input: options.input}),
      })
      if (result.failed && !options.allowFailure) throw new ToolError(command, result.exitCode ?? null, result.stderr || ('message' in result ? String(result.message) : ''))
      return result.stdout
    },
  }
}

export interface Daemon {
  readonly pid: number | undefined
  stop(): void
}

/**
 * A long-running program: `onLine` gets each line of its output, `onExit` its end (not called
 * after stop). A program that cannot start ends like one that exits, with the reason logged.
 */
export function startDaemon(
  file: string,
  args: string[],
  options: {log: Logger; env?: Record<string, string>; onLine?: (line: string) => void; onExit?: (exitCode: number | undefined) => void},
): Daemon {
  let stopped = false
  const child: ResultPromise = execa(file, args, {
    buffer: false,
    env: options.env ?? {},
    reject: false,
    stderr: 'ignore',
    stdin: 'ignore',
    stdout: options.onLine ? 'pipe' : 'ignore',
  })
  if (options.onLine && child.stdout) createInterface({input: child.stdout}).on('line', options.onLine)
  void child.then((result) => {
    if (result.failed && result.exitCode === undefined && !result.isTerminated) options.log.warn(`cannot run ${file}`, {error: 'message' in result ? String(result.message) : ''})
    if (!stopped) options.onExit?.(result.exitCode)
  })
  return {
    pid: child.pid,
    stop() {
      stopped = true
      child.kill()
    },
  }
}
