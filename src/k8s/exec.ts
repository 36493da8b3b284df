/**
 * pods/exec over a WebSocket, as kubectl does since Kubernetes 1.30: the API server speaks the
 * channel protocol (v5.channel.k8s.io, or v4) and relays the container's streams. Each binary
 * message starts with its channel: 1 stdout, 2 stderr, 3 the final metav1.Status, whose
 * NonZeroExitCode cause carries the exit code. No stdin and no tty: gather and diagnose only read.
 */
import type http from 'node:http'

import WebSocket from 'ws'

export interface ExecResult {
  stdout: string
  stderr: string
  /** The command's exit code; -1 when the API server gave none (the stream broke). */
  exitCode: number
}

export interface ExecRequest {
  agent: http.Agent
  headers: Record<string, string | string[]>
  command: string[]
  container?: string
  timeoutMs: number
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
const STDOUT = 1
const STDERR = 2
const STATUS = 3

interface ExecStatus {
  status?: string
  message?: string
  reason?: string
  details?: {causes?: Array<{reason?: string; message?: string}>}
}

/** The exit code a final Status says: 0 for Success, the ExitCode cause otherwise. */
export function exitCodeOf(status: ExecStatus): number {
  if (status.status === 'Success') return 0
  const cause = status.details?.causes?.find((entry) => entry.reason === 'ExitCode')
  return cause?.message !== undefined && /^\d+$/.test(cause.message) ? Number(cause.message) : -1
}

/** Runs the command at `url` (…/pods/NAME/exec) and collects its output until the stream closes. */
export function execStream(url: URL, request: ExecRequest): Promise<ExecResult> {
  const query = new URL(url)
  query.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:'
  for (const part of request.command) query.searchParams.append('command', part)
  if (request.container) query.searchParams.set('container', request.container)
  query.searchParams.set('stdout', 'true')
  query.searchParams.set('stderr', 'true')

  return new Promise<ExecResult>((resolve, reject) => {
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let status: ExecStatus | undefined
    const socket = new WebSocket(query, PROTOCOLS, {agent: request.agent, headers: request.headers as Record<string, string>, handshakeTimeout: request.timeoutMs})
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error(`exec of "${request.command.join(' ')}" gave no end within ${Math.round(request.timeoutMs / 1000)} s`))
    }, request.timeoutMs)
    socket.on('message', (data: Buffer) => {
      const channel = data[0]
      const payload = data.subarray(1)
      if (channel === STDOUT) stdout.push(payload)
      else if (channel === STDERR) stderr.push(payload)
      else if (channel === STATUS && payload.length > 0) {
        try {
          status = JSON.parse(payload.toString('utf8')) as ExecStatus
        } catch {
          status = {message: payload.toString('utf8'), status: 'Failure'}
        }
      }
    })
    socket.on('unexpected-response', (_request, response) => {
      clearTimeout(timer)
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let message = text.trim()
        try {
          message = (JSON.parse(text) as {message?: string}).message ?? message
        } catch {
          // not a Status: the text as it came
        }

        reject(Object.assign(new Error(`exec refused (HTTP ${response.statusCode}): ${message}`), {statusCode: response.statusCode}))
      })
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      const exitCode = status ? exitCodeOf(status) : -1
      const errorText = status && status.status !== 'Success' && exitCode === -1 ? `${status.message ?? ''}\n` : ''
      resolve({exitCode, stderr: Buffer.concat(stderr).toString('utf8') + errorText, stdout: Buffer.concat(stdout).toString('utf8')})
    })
  })
}
