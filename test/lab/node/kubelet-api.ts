/**
 * The part of the kubelet's HTTPS API the API server proxies to: container logs (for `kubectl
 * logs`, with follow, tailLines, timestamps, previous, limitBytes and sinceSeconds) and /healthz.
 */
import {createReadStream, existsSync, readFileSync, statSync, watch} from 'node:fs'
import {createServer, type Server} from 'node:https'

import type {PodRunner} from './pod.js'

/** A CRI log line is "<time> <stream> <tag> <content>"; `kubectl logs` shows the content. */
function render(line: string, timestamps: boolean): string {
  const [time = '', , , ...rest] = line.split(' ')
  const content = rest.join(' ')
  return timestamps ? `${time} ${content}` : content
}

export function serveKubeletApi(options: {
  host: string
  port: number
  cert: string
  key: string
  findPod: (namespace: string, name: string) => PodRunner | undefined
}): Promise<Server> {
  const server = createServer({cert: readFileSync(options.cert), key: readFileSync(options.key)}, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://kubelet')
    if (url.pathname === '/healthz') {
      response.end('ok')
      return
    }

    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname)
    if (!match) {
      response.writeHead(404)
      response.end(`the lab's node runtime does not serve ${url.pathname}`)
      return
    }

    const [, namespace = '', name = '', container = ''] = match.map(decodeURIComponent)
    const runner = options.findPod(namespace, name)
    const file = runner?.logFile(container, url.searchParams.get('previous') === 'true')
    if (!file || !existsSync(file)) {
      response.writeHead(404)
      response.end(`no logs for container "${container}" of pod ${namespace}/${name}`)
      return
    }

    const timestamps = url.searchParams.get('timestamps') === 'true'
    const tail = url.searchParams.get('tailLines')
    const since = url.searchParams.get('sinceSeconds')
    const limit = Number(url.searchParams.get('limitBytes') ?? Number.POSITIVE_INFINITY)
    const sinceTime = since ? Date.now() - Number(since) * 1000 : 0
    let lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
    if (sinceTime) lines = lines.filter((line) => Date.parse(line.split(' ')[0] ?? '') >= sinceTime)
    if (tail !== null) lines = lines.slice(-Number(tail))
    let text = lines.map((line) => render(line, timestamps) + '\n').join('')
    if (Number.isFinite(limit)) text = text.slice(0, limit)
    response.writeHead(200, {'Content-Type': 'text/plain'})
    response.write(text)
    if (url.searchParams.get('follow') !== 'true') {
      response.end()
      return
    }

    // Follow: stream what is appended until the client goes away.
    let offset = statSync(file).size
    let partial = ''
    const watcher = watch(file, () => {
      const size = statSync(file).size
      if (size <= offset) return
      const stream = createReadStream(file, {encoding: 'utf8', end: size - 1, start: offset})
      offset = size
      stream.on('data', (chunk) => {
        const parts = (partial + String(chunk)).split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) if (line) response.write(render(line, timestamps) + '\n')
      })
    })
    request.on('close', () => watcher.close())
  })

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve(server))
  })
}
