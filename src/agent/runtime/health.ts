/**
 * The agent's HTTP endpoint: /healthz (liveness), /readyz (readiness) and /metrics (Prometheus,
 * prom-client's registry). Every role serves it; the port comes from --metrics-port.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {Registry} from 'prom-client'

export interface HealthState {
  /** Set false when the role can no longer do its work; /healthz then answers 503. */
  live: boolean
  /**
   * Set true once the role serves; /readyz answers 503 before that. A function is asked at each
   * probe, for a role whose readiness follows its state (the gateway's, its election and driver).
   */
  ready: boolean | (() => boolean)
}

export interface HealthServer {
  port: number
  close(): Promise<void>
}

export async function serveHealth(port: number, state: HealthState, registry: Registry, host = '0.0.0.0'): Promise<HealthServer> {
  const server: Server = createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? state.live : typeof state.ready === 'function' ? state.ready() : state.ready
      response.writeHead(ok ? 200 : 503, {'Content-Type': 'text/plain'})
      response.end(ok ? 'ok\n' : 'not ok\n')
      return
    }

    if (path === '/metrics') {
      try {
        const body = await registry.metrics()
        response.writeHead(200, {'Content-Type': registry.contentType})
        response.end(body)
      } catch (error) {
        response.writeHead(500, {'Content-Type': 'text/plain'})
        response.end(String(error))
      }

      return
    }

    response.writeHead(404, {'Content-Type': 'text/plain'})
    response.end('not found\n')
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })

  return {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    port: (server.address() as AddressInfo).port,
  }
}
