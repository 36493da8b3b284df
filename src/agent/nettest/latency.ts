/**
 * `nettest latency`: what netperf's TCP_RR measures, without netperf (not packaged here). One TCP
 * connection to an echo server; a transaction is one byte out and the same byte back, sent as soon
 * as the last one returned, for --duration-ms. Latency figures are per transaction, in microseconds.
 */
import {connect, type Socket} from 'node:net'
import {parseArgs} from 'node:util'

import {writeTerminationMessage, type AgentContext} from '../runtime/role.js'
import {latencySummary, type LatencyResult} from '../../lib/nettest-result.js'
import {hostPort, nonNegative} from './arguments.js'

export async function latencyMode(args: string[], context: AgentContext): Promise<number> {
  const {values} = parseArgs({args, options: {'duration-ms': {type: 'string'}, target: {type: 'string'}, 'timeout-ms': {type: 'string'}}, strict: true})
  const {host, port} = hostPort(values.target)
  const duration = Math.max(100, nonNegative(values['duration-ms'], 'duration-ms', 5000))
  const timeout = Math.max(1, nonNegative(values['timeout-ms'], 'timeout-ms', 5000))

  let result: LatencyResult
  try {
    const socket = await open(host, port, timeout)
    try {
      result = latencySummary(`${host}:${port}`, await transact(socket, duration, timeout, context.signal))
    } finally {
      socket.destroy()
    }
  } catch (error) {
    result = {...latencySummary(`${host}:${port}`, []), error: (error as Error).message}
  }

  process.stdout.write(JSON.stringify(result) + '\n')
  writeTerminationMessage(result.summary, context.env)
  return result.error ? 1 : 0
}

function open(host: string, port: number, timeout: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({host, noDelay: true, port})
    socket.setTimeout(timeout, () => socket.destroy(new Error(`could not connect within ${timeout} ms`)))
    socket.once('connect', () => {
      socket.setTimeout(0)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** Round trips of one byte until the time is up; returns each one's duration in microseconds. */
function transact(socket: Socket, duration: number, timeout: number, signal: AbortSignal): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const samples: number[] = []
    const end = Date.now() + duration
    let sentAt = 0n
    const byte = Buffer.from('r')
    const send = () => {
      sentAt = process.hrtime.bigint()
      socket.write(byte)
    }

    socket.setTimeout(timeout, () => socket.destroy(new Error(`no answer within ${timeout} ms after ${samples.length} transactions`)))
    socket.on('data', (chunk) => {
      // An echo of one byte arrives whole; anything longer would be a second transaction's.
      for (let index = 0; index < chunk.length; index++) samples.push(Number(process.hrtime.bigint() - sentAt) / 1000)
      if (Date.now() >= end || signal.aborted) resolve(samples)
      else send()
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`the connection closed after ${samples.length} transactions`)))
    send()
  })
}
