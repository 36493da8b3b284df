/**
 * The nettest role: the workload of the lab, `verify`, `diagnose` and `benchmark`.
 *
 *   nettest serve [--tcp-port N] [--udp-port N] [--http-port N]
 *       TCP and UDP echo, and an HTTP endpoint that answers who it is (pod, node, cluster).
 *   nettest connect --target HOST:PORT [--protocol tcp|udp|http] [--count N] [--interval-ms N]
 *                   [--timeout-ms N] [--payload-bytes N] [--min-success N]
 *       Dials the target COUNT times; prints the result as one JSON line, writes a one-line summary
 *       as the termination message, and exits 0 when at least MIN-SUCCESS attempts succeeded.
 */
import {createSocket} from 'node:dgram'
import {createServer as createHttpServer, request as httpRequest, type Server as HttpServer} from 'node:http'
import {createServer, connect, type Server} from 'node:net'
import {hostname} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'

import {Counter, Histogram} from 'prom-client'

import {aborted, ArgumentError, writeTerminationMessage, type AgentContext, type RoleModule} from '../runtime/role.js'
import {summarizeAttempts, type Attempt, type ConnectResult, type Protocol} from '../../lib/nettest-result.js'

export const nettestRole: RoleModule = {
  defaultMetricsPort: 0,
  async run(args, context) {
    const [mode, ...rest] = args
    if (mode === 'serve') return serve(rest, context)
    if (mode === 'connect') return connectMode(rest, context)
    throw new ArgumentError(`nettest needs a mode, serve or connect, got "${mode ?? ''}"`)
  },
}

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new ArgumentError(`--${name} must be a port number, got "${value}"`)
  return parsed
}

async function serve(args: string[], context: AgentContext): Promise<number> {
  const {values} = parseArgs({
    args,
    options: {'http-port': {type: 'string'}, 'tcp-port': {type: 'string'}, 'udp-port': {type: 'string'}},
    strict: true,
  })
  const tcpPort = port(values['tcp-port'], 'tcp-port')
  const udpPort = port(values['udp-port'], 'udp-port')
  const httpPort = port(values['http-port'], 'http-port')
  if (tcpPort === undefined && udpPort === undefined && httpPort === undefined) {
    throw new ArgumentError('nettest serve needs at least one of --tcp-port, --udp-port, --http-port')
  }

  const served = new Counter({
    help: 'Requests answered by nettest serve',
    labelNames: ['protocol'],
    name: 'nettest_requests_total',
    registers: [context.registry],
  })
  const identity = {
    cluster: context.env.CLUSTER_ID ?? context.env.SUBMARINER_CLUSTERID ?? '',
    hostname: hostname(),
    node: context.env.NODE_NAME ?? '',
    pod: context.env.POD_NAME ?? hostname(),
  }
  const closers: Array<() => Promise<void>> = []

  if (tcpPort !== undefined) {
    const server = createServer((socket) => {
      served.inc({protocol: 'tcp'})
      socket.on('error', () => socket.destroy())
      socket.pipe(socket)
    })
    await listen(server, tcpPort)
    closers.push(() => close(server))
    context.log.info('serving TCP echo', {port: tcpPort})
  }

  if (udpPort !== undefined) {
    const socket = createSocket('udp4')
    socket.on('message', (message, remote) => {
      served.inc({protocol: 'udp'})
      socket.send(message, remote.port, remote.address)
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(udpPort, () => resolve())
    })
    closers.push(() => new Promise((resolve) => socket.close(() => resolve())))
    context.log.info('serving UDP echo', {port: udpPort})
  }

  if (httpPort !== undefined) {
    const server = createHttpServer((request, response) => {
      served.inc({protocol: 'http'})
      const body = JSON.stringify({...identity, method: request.method, path: request.url, remote: request.socket.remoteAddress}) + '\n'
      response.writeHead(200, {'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json'})
      response.end(body)
    })
    await listen(server, httpPort)
    closers.push(() => close(server))
    context.log.info('serving HTTP', {port: httpPort})
  }

  context.health.ready = true
  await aborted(context.signal)
  await Promise.all(closers.map((closeOne) => closeOne()))
  return 0
}

function listen(server: Server | HttpServer, portNumber: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(portNumber, () => resolve())
  })
}

function close(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new ArgumentError(`--${name} must be a non-negative integer, got "${value}"`)
  return parsed
}

async function connectMode(args: string[], context: AgentContext): Promise<number> {
  const {values} = parseArgs({
    args,
    options: {
      count: {type: 'string'},
      'interval-ms': {type: 'string'},
      'min-success': {type: 'string'},
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
  const match = /^(.+):(\d+)$/.exec(target)
  if (!match) throw new ArgumentError(`--target must be HOST:PORT, got "${target}"`)
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1')
  const targetPort = Number(match[2])
  const count = Math.max(1, positive(values.count, 'count', 1))
  const interval = positive(values['interval-ms'], 'interval-ms', 200)
  const timeout = Math.max(1, positive(values['timeout-ms'], 'timeout-ms', 2000))
  const payload = Buffer.alloc(Math.max(1, positive(values['payload-bytes'], 'payload-bytes', 64)), 'x')
  const minSuccess = positive(values['min-success'], 'min-success', count)

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
      const detail = await attempt(protocol, host, targetPort, payload, timeout)
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

function attempt(protocol: Protocol, host: string, targetPort: number, payload: Buffer, timeout: number): Promise<string | undefined> {
  switch (protocol) {
    case 'tcp':
      return tcpAttempt(host, targetPort, payload, timeout)
    case 'udp':
      return udpAttempt(host, targetPort, payload, timeout)
    case 'http':
      return httpAttempt(host, targetPort, timeout)
  }
}

function tcpAttempt(host: string, targetPort: number, payload: Buffer, timeout: number): Promise<undefined> {
  return new Promise((resolve, reject) => {
    let received = 0
    const socket = connect({host, port: targetPort})
    socket.setTimeout(timeout, () => socket.destroy(new Error(`no echo within ${timeout} ms`)))
    socket.on('connect', () => socket.write(payload))
    socket.on('data', (chunk) => {
      received += chunk.length
      if (received >= payload.length) {
        socket.end()
        resolve(undefined)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error('connection closed before the echo arrived')))
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

    socket.on('message', () => finish())
    socket.on('error', (error) => finish(error))
    socket.send(payload, targetPort, host)
  })
}

function httpAttempt(host: string, targetPort: number, timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({host, path: '/', port: targetPort, timeout}, (response) => {
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
