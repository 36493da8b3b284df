/** Readiness, liveness and startup probes, run the way the kubelet runs them. */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {request} from 'node:http'
import {connect} from 'node:net'

import type {Container, Probe} from './types.js'

export interface ProbeTarget {
  container: Container
  /** The pod IP (the node IP for hostNetwork pods). */
  ip: string
  /** The container's process, whose namespaces exec probes enter. */
  pid: number
}

function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port
  if (/^\d+$/.test(port)) return Number(port)
  const named = container.ports?.find((candidate) => candidate.name === port)
  if (!named) throw new Error(`probe port "${port}" is not a named port of the container`)
  return named.containerPort
}

/** The environment of a running container's process. */
function containerEnvironment(pid: number): NodeJS.ProcessEnv {
  try {
    const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)
    return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]))
  } catch {
    return process.env
  }
}

/** Runs one probe; resolves true on success. */
export function runProbe(probe: Probe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000
  if (probe.exec) {
    return new Promise((resolve) => {
      // As the kubelet does, the probe's command runs with the container's environment.
      const child = spawn('nsenter', ['-t', String(target.pid), '-n', '-m', '-u', '--', ...probe.exec!.command], {env: containerEnvironment(target.pid), stdio: 'ignore'})
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.on('error', () => resolve(false))
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve(code === 0)
      })
    })
  }

  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.container)
    return new Promise((resolve) => {
      const socket = connect({host: probe.tcpSocket!.host ?? target.ip, port, timeout: timeoutMs})
      socket.on('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('timeout', () => {
        socket.destroy()
        resolve(false)
      })
      socket.on('error', () => resolve(false))
    })
  }

  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, target.container)
    return new Promise((resolve) => {
      const call = request({host: probe.httpGet!.host ?? target.ip, path: probe.httpGet!.path ?? '/', port, timeout: timeoutMs}, (response) => {
        response.resume()
        const status = response.statusCode ?? 0
        resolve(status >= 200 && status < 400)
      })
      call.on('timeout', () => call.destroy())
      call.on('error', () => resolve(false))
      call.end()
    })
  }

  return Promise.resolve(true)
}
