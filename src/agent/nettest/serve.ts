/** `nettest serve`: TCP and UDP echo, and an HTTP endpoint that answers who it is (pod, node, cluster). */
import {createSocket} from 'node:dgram'
import {createServer as createHttpServer, type Server as HttpServer} from 'node:http'
import {createServer, type Server} from 'node:net'
import {hostname} from 'node:os'
import {parseArgs} from 'node:util'

import {Counter} from 'prom-client'

import {aborted, ArgumentError, type AgentContext} from '../runtime/role.js'
import {port} from './arguments.js'

export async function serve(args: string[], context: AgentContext): Promise<number> {
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
