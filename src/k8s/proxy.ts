/**
 * --proxy-url (and a kubeconfig cluster's proxy-url): the API server reached through an HTTP
 * proxy's CONNECT tunnel, as kubectl does. The agents below open each connection as a tunnel
 * (TLS inside it for https servers) and keep it alive like any other.
 */
import http from 'node:http'
import https from 'node:https'
import type {Duplex} from 'node:stream'
import tls from 'node:tls'

import {parseProxyUrl} from '../lib/proxy-url.js'

type Callback = (error: Error | null, socket: Duplex) => void

/** Opens a CONNECT tunnel to host:port through the proxy. */
function tunnel(proxy: URL, host: string, port: number, done: (error: Error | null, socket?: Duplex) => void): void {
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`
  const headers: Record<string, string> = {Host: authority}
  if (proxy.username) headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
  const request = http.request({headers, host: proxy.hostname, method: 'CONNECT', path: authority, port: proxy.port || 80})
  request.once('connect', (response, socket) => {
    if (response.statusCode !== 200) {
      socket.destroy()
      done(new Error(`the proxy ${proxy.host} refused the tunnel to ${authority}: HTTP ${response.statusCode}`))
      return
    }

    done(null, socket)
  })
  request.once('error', (error) => done(Object.assign(new Error(`cannot reach the proxy ${proxy.host}: ${error.message}`), {code: (error as NodeJS.ErrnoException).code})))
  request.end()
}

class HttpsTunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    options: https.AgentOptions,
  ) {
    super(options)
  }

  override createConnection(options: http.ClientRequestArgs, callback?: Callback): Duplex | null | undefined {
    tunnel(this.proxy, options.host ?? 'localhost', Number(options.port ?? 443), (error, socket) => {
      if (error || !socket) return callback?.(error ?? new Error('no tunnel'), undefined as never)
      const secure = tls.connect({...(options as tls.ConnectionOptions), socket})
      secure.once('secureConnect', () => callback?.(null, secure))
      secure.once('error', (tlsError) => callback?.(tlsError, undefined as never))
    })
    return undefined
  }
}

class HttpTunnelAgent extends http.Agent {
  constructor(private readonly proxy: URL) {
    super({keepAlive: true})
  }

  override createConnection(options: http.ClientRequestArgs, callback?: Callback): Duplex | null | undefined {
    tunnel(this.proxy, options.host ?? 'localhost', Number(options.port ?? 80), (error, socket) => callback?.(error, socket as Duplex))
    return undefined
  }
}

/**
 * The agent of a client: direct, or through the proxy. Its connections share one TLS context: given
 * ca/cert/key, Node builds a context per connection, parsing the key each time (most of the CPU of
 * a short `show` over three clusters, bench/startup).
 */
export function agentFor(server: URL, tlsOptions: https.AgentOptions, proxyUrl: string | undefined): http.Agent | https.Agent {
  const proxy = proxyUrl ? parseProxyUrl(proxyUrl) : undefined
  if (server.protocol === 'http:') return proxy ? new HttpTunnelAgent(proxy) : new http.Agent({keepAlive: true})
  const {ca, cert, key, ...rest} = tlsOptions
  const options = {keepAlive: true, ...rest, secureContext: tls.createSecureContext({ca, cert, key})}
  return proxy ? new HttpsTunnelAgent(proxy, options) : new https.Agent(options)
}
