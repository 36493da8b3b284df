/**
 * The node runtime's part of the kubelet API, on a unix socket behind the kubelet port (the Go
 * helper serves that port, checks the caller and proxies here):
 *   - container logs, for `kubectl logs` (follow, tailLines, timestamps, previous, limitBytes,
 *     sinceSeconds), and /healthz;
 *   - /runtime/...: where a pod's network namespace and a container's process are (exec and
 *     port-forward enter them), and a container's own stdio for attach.
 */
import {createReadStream, existsSync, readFileSync, rmSync, statSync, watch} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import type {PodRunner} from './pod.js'

/** A CRI log line is "<time> <stream> <tag> <content>"; `kubectl logs` shows the content. */
function render(line: string, timestamps: boolean): string {
  const [time = '', , , ...rest] = line.split(' ')
  const content = rest.join(' ')
  return timestamps ? `${time} ${content}` : content
}

type FindPod = (namespace: string, name: string) => PodRunner | undefined

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  response.writeHead(status, {'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json'})
  response.end(text)
}

function serveLogs(url: URL, match: RegExpExecArray, request: IncomingMessage, response: ServerResponse, findPod: FindPod): void {
  const [, namespace = '', name = '', container = ''] = match.map(decodeURIComponent)
  const runner = findPod(namespace, name)
  const file = runner?.logFile(container, url.searchParams.get('previous') === 'true')
  if (!file || !existsSync(file)) {
    reply(response, 404, `no logs for container "${container}" of pod ${namespace}/${name}`)
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
}

/** GET pods/NS/POD, GET containers/NS/POD/C, and attach/NS/POD/C/{stdout,stderr,stdin,resize}. */
function serveRuntime(parts: string[], request: IncomingMessage, response: ServerResponse, findPod: FindPod): void {
  const [kind, namespace = '', name = '', container = '', channel] = parts
  const runner = findPod(namespace, name)
  if (!runner) {
    reply(response, 404, `pod ${namespace}/${name} is not running on this node`)
    return
  }

  if (kind === 'pods' && parts.length === 3) {
    reply(response, 200, {netns: runner.netns ? `/run/netns/${runner.netns}` : '', uid: runner.uid})
    return
  }

  const spec = runner.containerSpec(container)
  if (!spec) {
    reply(response, 404, `container "${container}" not found in pod ${namespace}/${name}`)
    return
  }

  const process = runner.process(container)
  if (kind === 'containers' && parts.length === 4) {
    reply(response, 200, {pid: process?.pid ?? 0, running: process !== undefined, stdin: spec.stdin === true, stdinOnce: spec.stdinOnce === true, tty: spec.tty === true})
    return
  }

  if (kind !== 'attach' || parts.length !== 5) {
    reply(response, 404, `the node runtime does not serve /runtime/${parts.join('/')}`)
    return
  }

  if (!process) {
    reply(response, 409, `container "${container}" is not running`)
    return
  }

  if (request.method === 'GET' && (channel === 'stdout' || channel === 'stderr')) {
    response.writeHead(200, {'Content-Type': 'application/octet-stream'})
    response.flushHeaders()
    const stop = process.follow(
      (stream, chunk) => {
        if (stream === channel) response.write(chunk)
      },
      () => response.end(),
    )
    response.on('close', stop)
    return
  }

  if (request.method === 'POST' && channel === 'stdin') {
    const stdin = process.stdin
    if (!stdin) {
      reply(response, 409, `container "${container}" does not keep stdin open (spec.stdin is false, or stdinOnce closed it)`)
      return
    }

    request.on('data', (chunk: Buffer) => stdin.write(chunk))
    request.on('end', () => {
      if (spec.stdinOnce) stdin.end()
      reply(response, 200, 'ok')
    })
    return
  }

  if (request.method === 'POST' && channel === 'resize') {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    request.on('end', () => {
      try {
        const size = JSON.parse(body) as {Width: number; Height: number}
        process.resize(size.Width, size.Height)
        reply(response, 200, 'ok')
      } catch (error) {
        reply(response, 400, `bad resize message: ${(error as Error).message}`)
      }
    })
    return
  }

  reply(response, 405, `${request.method} ${channel} is not an attach channel`)
}

export function serveKubeletApi(options: {socket: string; findPod: FindPod}): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://node-runtime')
    if (url.pathname === '/healthz') {
      response.end('ok')
      return
    }

    const logs = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname)
    if (logs) {
      serveLogs(url, logs, request, response, options.findPod)
      return
    }

    if (url.pathname.startsWith('/runtime/')) {
      serveRuntime(url.pathname.slice('/runtime/'.length).split('/').map(decodeURIComponent), request, response, options.findPod)
      return
    }

    reply(response, 404, `the lab's node runtime does not serve ${url.pathname}`)
  })

  rmSync(options.socket, {force: true})
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.socket, () => resolve(server))
  })
}
