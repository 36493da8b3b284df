/**
 * `nettest connect`: dials a target COUNT times. A TCP or UDP attempt sends a payload made for that
 * attempt and succeeds only when the same bytes come back, so an answer from anything but the
 * echo server (or a truncated one) is a failure, as upstream's "listener says <uuid>" check is.
 */
import {randomBytes} from 'node:crypto'
import {createSocket} from 'node:dgram'
import {request as httpRequest} from 'node:http'
import {connect} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'

import {Histogram} from 'prom-client'

import {ArgumentError, writeTerminationMessage, type AgentContext} from '../runtime/role.js'
import {summarizeAttempts, type Attempt, type ConnectResult, type Protocol} from '../../lib/nettest-result.js'
import {hostPort, nonNegative} from './arguments.js'

export async function connectMode(args: string[], context: AgentContext): Promise<number> {
  const {values} = parseArgs({
    args,
    options: {
      count: {type: 'string'},
      'interval-ms': {type: 'string'},
      'min-success': {type: 'string'},
      'open-only': {type: 'boolean'},
      'payload-bytes': {type: 'string'},
      protocol: {type: 'string'},
      target: {type: 'string'},
      'timeout-ms': {type: 'string'},
    },
    strict: true,
  })
  const protocol = (values.protocol ?? 'tcp') as Protocol
  if (!['tcp', 'udp', 'http'].includes(protocol)) throw new ArgumentError(`--protocol must be tcp, udp or http, got "${protocol}"`)
  const target = values.target ?? ''
  const {host, port: targetPort} = hostPort(target)
  const count = Math.max(1, nonNegative(values.count, 'count', 1))
  const interval = nonNegative(values['interval-ms'], 'interval-ms', 200)
  const timeout = Math.max(1, nonNegative(values['timeout-ms'], 'timeout-ms', 2000))
  const payloadBytes = Math.max(1, nonNegative(values['payload-bytes'], 'payload-bytes', 64))
  const minSuccess = nonNegative(values['min-success'], 'min-success', count)

  const latency = new Histogram({
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    help: 'Latency of successful nettest connect attempts in seconds',
    labelNames: ['protocol'],
    name: 'nettest_connect_seconds',
    registers: [context.registry],
  })
  const attempts: Attempt[] = []
  for (let index = 0; index < count && !context.signal.aborted; index++) {
    // An abort ends the wait early; the loop then sees the signal.
    if (index > 0) await sleep(interval, undefined, {signal: context.signal}).catch(() => undefined)
    const started = process.hrtime.bigint()
    try {
      const detail = await attempt(protocol, host, targetPort, payloadFor(payloadBytes), timeout, values['open-only'] ?? false)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      latency.observe({protocol}, seconds)
      attempts.push({latencyMs: seconds * 1000, ok: true, ...(detail ? {detail} : {})})
    } catch (error) {
      attempts.push({error: (error as Error).message, ok: false})
    }
  }

  const result: ConnectResult = summarizeAttempts({minSuccess, protocol, target}, attempts)
  process.stdout.write(JSON.stringify(result) + '\n')
  writeTerminationMessage(result.summary, context.env)
  context.log.info(result.summary)
  return result.passed ? 0 : 1
}

function attempt(protocol: Protocol, host: string, targetPort: number, payload: Buffer, timeout: number, openOnly: boolean): Promise<string | undefined> {
  switch (protocol) {
    case 'tcp':
      return openOnly ? tcpOpen(host, targetPort, timeout) : tcpAttempt(host, targetPort, payload, timeout)
    case 'udp':
      return udpAttempt(host, targetPort, payload, timeout)
    case 'http':
      return httpAttempt(host, targetPort, timeout)
  }
}

/** A payload of this attempt's own: hex of random bytes, so that an echo proves this attempt's data arrived. */
function payloadFor(bytes: number): Buffer {
  return Buffer.from(randomBytes(Math.ceil(bytes / 2)).toString('hex').slice(0, bytes))
}

/** --open-only: the handshake is the answer (a Service that is not an echo server, e.g. one diagnose probes). */
function tcpOpen(host: string, targetPort: number, timeout: number): Promise<undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect({host, port: targetPort})
    socket.setTimeout(timeout, () => socket.destroy(new Error(`no connection within ${timeout} ms`)))
    socket.on('connect', () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.on('error', reject)
  })
}

function tcpAttempt(host: string, targetPort: number, payload: Buffer, timeout: number): Promise<undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    const socket = connect({host, port: targetPort})
    socket.setTimeout(timeout, () => socket.destroy(new Error(`no echo within ${timeout} ms (${received} of ${payload.length} bytes came back)`)))
    socket.on('connect', () => socket.write(payload))
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      received += chunk.length
      if (received < payload.length) return
      socket.end()
      if (Buffer.concat(chunks).subarray(0, payload.length).equals(payload)) resolve(undefined)
      else reject(new Error('the echo differs from the data sent'))
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`connection closed before the echo arrived (${received} of ${payload.length} bytes came back)`)))
  })
}

function udpAttempt(host: string, targetPort: number, payload: Buffer, timeout: number): Promise<undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    const timer = setTimeout(() => finish(new Error(`no echo within ${timeout} ms`)), timeout)
    function finish(error?: Error) {
      clearTimeout(timer)
      socket.close()
      if (error) reject(error)
      else resolve(undefined)
    }

    socket.on('message', (message) => finish(message.equals(payload) ? undefined : new Error('the echo differs from the data sent')))
    socket.on('error', (error) => finish(error))
    socket.send(payload, targetPort, host)
  })
}

function httpAttempt(host: string, targetPort: number, timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // A connection of its own per attempt (Node 20's global agent keeps them alive): each attempt
    // tests the path anew, as a load balancer or a clusterset IP sees a new client connection.
    const request = httpRequest({agent: false, host, path: '/', port: targetPort, timeout}, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => {
        if ((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) resolve(body.trim())
        else reject(new Error(`HTTP ${response.statusCode}`))
      })
    })
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeout} ms`)))
    request.on('error', reject)
    request.end()
  })
}
