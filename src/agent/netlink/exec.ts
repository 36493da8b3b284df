/**
 * The one way the agents call networking tools (ip, bridge, iptables, ipset, wg, sysctl): logged
 * at debug level, failures turned into errors that name the command and carry its stderr.
 */
import {execFile} from 'node:child_process'

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
    run(file, args, options = {}) {
      const command = `${file} ${args.join(' ')}`
      log.debug('run', {command})
      return new Promise((resolve, reject) => {
        const child = execFile(file, args, {encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, timeout: options.timeoutMs ?? 30_000}, (error, stdout, stderr) => {
          if (error && !options.allowFailure) {
            const code = typeof error.code === 'number' ? error.code : null
            reject(new ToolError(command, code, stderr || error.message))
            return
          }

          resolve(stdout)
        })
        if (options.input !== undefined) child.stdin?.end(options.input)
      })
    },
  }
}
