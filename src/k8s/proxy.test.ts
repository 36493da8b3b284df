import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {connect, type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {sh} from '../../test/lab/sh.js'
import {clientFor} from './clients.js'
import {loadKubeconfig, resolveTarget} from './kubeconfig.js'
import {parseProxyUrl} from '../lib/proxy-url.js'
import {Resources} from './resources.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-proxy-'))
const listen = (server: http.Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))

let apiPort = 0
let proxyPort = 0
const seen: {headers: http.IncomingHttpHeaders[]; tunnels: string[]} = {headers: [], tunnels: []}
const servers: http.Server[] = []

beforeAll(async () => {
  // A stand-in API server over TLS with a self-signed certificate for 127.0.0.1.
  sh(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=api', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')])
  const api = https.createServer({cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem'))}, (request, response) => {
    seen.headers.push(request.headers)
    response.writeHead(200, {'Content-Type': 'application/json'})
    response.end(JSON.stringify({apiVersion: 'v1', kind: 'Namespace', metadata: {name: request.url?.split('/').pop()}}))
  })
  // An HTTP proxy that only tunnels (CONNECT), recording where to.
  const proxy = http.createServer((_request, response) => response.writeHead(405).end())
  proxy.on('connect', (request: http.IncomingMessage, client: import('node:stream').Duplex) => {
    seen.tunnels.push(request.url ?? '')
    const [host, port] = (request.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
  })
  servers.push(api, proxy)
  apiPort = await listen(api)
  proxyPort = await listen(proxy)
})

afterAll(() => {
  for (const server of servers) server.close()
})

function kubeconfig(extra = ''): string {
  const path = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`)
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:${apiPort}", certificate-authority: "${join(dir, 'cert.pem')}"${extra}}}]
contexts: [{name: lab, context: {cluster: lab, user: lab}}]
current-context: lab
users: [{name: lab, user: {username: admin, password: s3cret}}]
`,
  )
  return path
}

describe('the connection flags', () => {
  it('tunnel through --proxy-url, with basic authentication and impersonation of a UID and several groups', async () => {
    const options = {asGroup: ['devs', 'ops'], asUid: 'uid-42', kubeconfig: kubeconfig(), proxyUrl: `http://127.0.0.1:${proxyPort}`}
    const client = clientFor(resolveTarget(await loadKubeconfig(options), options))
    try {
      expect((await client.get(Resources.Namespace, 'demo')).metadata.name).toBe('demo')
    } finally {
      client.close()
    }

    expect(seen.tunnels).toEqual([`127.0.0.1:${apiPort}`])
    const headers = seen.headers.at(-1) ?? {}
    expect(headers.authorization).toBe(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`)
    expect(headers['impersonate-uid']).toBe('uid-42')
    // Node joins a repeated header's values with ", " when it reads them; sent, they were two headers.
    expect(headers['impersonate-group']).toBe('devs, ops')
  })

  it('use the kubeconfig cluster’s proxy-url when no flag is given', async () => {
    const options = {kubeconfig: kubeconfig(`, proxy-url: "http://127.0.0.1:${proxyPort}"`)}
    const client = clientFor(resolveTarget(await loadKubeconfig(options), options))
    try {
      await client.get(Resources.Namespace, 'other')
    } finally {
      client.close()
    }

    expect(seen.tunnels).toHaveLength(2)
  })

  it('refuse a proxy URL that is not http://', () => {
    expect(() => parseProxyUrl('socks5://127.0.0.1:1080')).toThrow('only http:// proxies are supported, not socks5://')
    expect(() => parseProxyUrl('not a url')).toThrow('is not a URL')
  })
})
