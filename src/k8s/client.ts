/**
 * A small typed Kubernetes client: get / list / create / update / patch / server-side apply /
 * delete / watch over HTTPS, keyed by the static resource table. Credentials and TLS come from
 * client-node's KubeConfig (clients.ts builds every client). The requests stay hand-written:
 * client-node's generated APIs are a class per group with no call for a CRD by table entry, turn
 * timestamps into Dates (our objects are the wire JSON: objects.ts's Model), and its watch gives no
 * say over a stream's errors (watch.test.ts). Here a request has a wall-clock deadline (a node cut
 * off answers nothing) and 429/503 are retried. Every failure is a KubeApiError or a
 * CLUSTER_UNREACHABLE SubctlError (see errors.ts). It is one file past 400 lines on purpose: every
 * verb goes through the one private request path, and split apart they would have to share it.
 */
import http from 'node:http'
import https from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'

import {SubctlError} from '../lib/errors.js'
import {isNetworkError, KubeApiError} from './errors.js'
import type {ExecResult} from './exec.js'
import type {KubeObject, ObjectList} from './objects.js'
import {agentFor} from './proxy.js'
import {apiVersionOf, resourcePath, Resources, resourceTypeOf, type ResourceType} from './resources.js'

export const DEFAULT_FIELD_MANAGER = 'subctl'

/** Attempts for a request the server asked to retry (429, 503). */
const RETRIES = 6

/** What the client needs to talk to one API server; built from a kubeconfig by kubeconfig.ts. */
export interface KubeEndpoint {
  /** e.g. https://10.0.0.2:6443 */
  server: string
  /** TLS material and verification for the HTTPS agent. */
  tls: Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>
  /** Authorization and impersonation headers, fetched per request so rotating tokens keep working. */
  headers: () => Promise<Record<string, string | string[]>>
  /** A name for messages: the kube context or "broker". */
  displayName: string
  /** Per-request timeout; 0 means none. @default 30000 */
  requestTimeoutMs?: number
  /** An HTTP proxy to tunnel through (--proxy-url, or the kubeconfig cluster's proxy-url). */
  proxyUrl?: string
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  timeoutMs?: number
}

export interface ListOptions {
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
}

export interface CountOptions {
  namespace?: string
  labelSelector?: string
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'
  gracePeriodSeconds?: number
  /** Only delete the object if it still has this resourceVersion / uid. */
  preconditions?: {resourceVersion?: string; uid?: string}
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'
  object: T
}

export interface ApplyOptions {
  /** Take ownership of fields another manager set. @default true */
  force?: boolean
  subresource?: 'status'
}

export class KubeClient {
  readonly endpoint: KubeEndpoint
  readonly fieldManager: string
  readonly #agent: https.Agent | http.Agent
  readonly #base: URL

  constructor(endpoint: KubeEndpoint, fieldManager = DEFAULT_FIELD_MANAGER) {
    this.endpoint = endpoint
    this.fieldManager = fieldManager
    this.#base = new URL(endpoint.server)
    this.#agent = agentFor(this.#base, endpoint.tls, endpoint.proxyUrl)
  }

  /** Releases idle connections so the process can exit. */
  close(): void {
    this.#agent.destroy()
  }

  async get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T> {
    return (await this.#request('GET', resourcePath(type, {name, namespace}))) as T
  }

  /** Like get, but a missing object (or a CRD that is not installed) is `undefined`. */
  async tryGet<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(type, name, namespace)
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return undefined
      throw error
    }
  }

  async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<ObjectList<T>> {
    const result = (await this.#request('GET', resourcePath(type, {namespace: options.namespace}), {
      query: {fieldSelector: options.fieldSelector, labelSelector: options.labelSelector},
    })) as {items?: T[]; metadata?: {resourceVersion?: string}}
    // List items come without apiVersion/kind; fill them in so they can be applied or printed as-is.
    const items = (result.items ?? []).map((item) => ({apiVersion: apiVersionOf(type), kind: type.kind, ...item}))
    return {items, resourceVersion: result.metadata?.resourceVersion ?? ''}
  }

  /** Like list, but a CRD that is not installed gives an empty list. */
  async tryList<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<T[]> {
    try {
      return (await this.list<T>(type, options)).items
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return []
      throw error
    }
  }

  async create<T extends KubeObject>(object: T): Promise<T> {
    const type = typeOf(object)
    return (await this.#request('POST', resourcePath(type, {namespace: object.metadata.namespace}), {body: object})) as T
  }

  async update<T extends KubeObject>(object: T, subresource?: 'status'): Promise<T> {
    const type = typeOf(object)
    const path = resourcePath(type, {name: object.metadata.name, namespace: object.metadata.namespace, subresource})
    return (await this.#request('PUT', path, {body: object})) as T
  }

  /** A JSON merge patch (RFC 7386), e.g. to set one label. */
  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    subresource?: 'status',
  ): Promise<T> {
    const path = resourcePath(type, {name, namespace, subresource})
    return (await this.#request('PATCH', path, {body: patch, contentType: 'application/merge-patch+json'})) as T
  }

  /** Server-side apply with this client's field manager: create or converge to exactly these fields. */
  async apply<T extends KubeObject>(object: T, options: ApplyOptions = {}): Promise<T> {
    const type = typeOf(object)
    const {name, namespace} = object.metadata
    if (!name) throw new TypeError(`cannot apply a ${type.kind} without a name`)
    const path = resourcePath(type, {name, namespace, subresource: options.subresource})
    // Server-side apply takes YAML; JSON is YAML, and we strip what the server owns.
    const body = {...object, metadata: {...object.metadata, managedFields: undefined, resourceVersion: undefined}}
    return (await this.#request('PATCH', path, {
      body,
      contentType: 'application/apply-patch+yaml',
      query: {fieldManager: this.fieldManager, force: options.force ?? true},
    })) as T
  }

  /** Deletes an object; returns false when it was already gone. */
  async delete(type: ResourceType, name: string, namespace?: string, options: DeleteOptions = {}): Promise<boolean> {
    try {
      await this.#request('DELETE', resourcePath(type, {name, namespace}), {
        body: {
          apiVersion: 'v1',
          gracePeriodSeconds: options.gracePeriodSeconds,
          kind: 'DeleteOptions',
          preconditions: options.preconditions,
          propagationPolicy: options.propagationPolicy,
        },
      })
      return true
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return false
      throw error
    }
  }

  /**
   * Streams watch events until the server closes the stream, the signal aborts, or an error
   * (including 410 Gone, which the caller answers by listing again) ends it.
   */
  async watch<T extends KubeObject>(
    type: ResourceType,
    options: ListOptions & {resourceVersion?: string; timeoutSeconds?: number},
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const query = {
      allowWatchBookmarks: true,
      fieldSelector: options.fieldSelector,
      labelSelector: options.labelSelector,
      resourceVersion: options.resourceVersion,
      timeoutSeconds: options.timeoutSeconds ?? 300,
      watch: true,
    }
    const response = await this.#send('GET', resourcePath(type, {namespace: options.namespace}), {query, timeoutMs: 0}, signal)
    if (response.statusCode !== 200) {
      throw apiError(response.statusCode ?? 0, await readBody(response))
    }

    await new Promise<void>((resolve, reject) => {
      let buffer = ''
      let failed = false
      const fail = (error: Error) => {
        if (failed) return
        failed = true
        response.destroy()
        reject(error)
      }

      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        buffer += chunk
        let newline = buffer.indexOf('\n')
        while (newline !== -1 && !failed) {
          const line = buffer.slice(0, newline).trim()
          buffer = buffer.slice(newline + 1)
          newline = buffer.indexOf('\n')
          if (line === '') continue
          // Inside a stream listener a throw would be an uncaught exception: every failure of a
          // line, the server's or the handler's, ends the watch with an error for the caller.
          let event: {type?: unknown; object?: KubeObject & {code?: number; reason?: string; message?: string}}
          try {
            event = JSON.parse(line) as typeof event
          } catch {
            fail(new Error(`the watch of ${type.plural} on ${this.endpoint.displayName} sent a line that is not JSON: ${line.slice(0, 200)}`))
            return
          }

          if (typeof event?.object !== 'object' || event.object === null || !['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'].includes(event.type as string)) {
            fail(new Error(`the watch of ${type.plural} on ${this.endpoint.displayName} sent an event that is not one: ${line.slice(0, 200)}`))
            return
          }

          if (event.type === 'ERROR') {
            fail(new KubeApiError(event.object.code ?? 500, event.object.reason ?? '', event.object.message ?? 'watch error'))
            return
          }

          const object = {apiVersion: apiVersionOf(type), kind: type.kind, ...event.object} as unknown as T
          try {
            onEvent({object, type: event.type as WatchEvent<T>['type']})
          } catch (error) {
            fail(error instanceof Error ? error : new Error(String(error)))
            return
          }
        }
      })
      response.on('end', () => {
        if (!failed) resolve()
      })
      response.on('error', (error) => {
        if (signal?.aborted) resolve()
        else fail(error)
      })
      response.on('close', () => {
        if (!failed) resolve()
      })
    })
  }

  /**
   * How many objects match, from a list of one (the server counts the rest): polling a count must
   * not load the API server it measures.
   */
  async count(type: ResourceType, options: CountOptions = {}): Promise<number> {
    const page = (await this.#request('GET', resourcePath(type, {namespace: options.namespace}), {query: {labelSelector: options.labelSelector, limit: 1}})) as {
      items?: unknown[]
      metadata?: {remainingItemCount?: number}
    }
    return (page.items?.length ?? 0) + (page.metadata?.remainingItemCount ?? 0)
  }

  /** A container's log (`previous`: of its last terminated instance); `limitBytes` keeps only its first bytes. */
  async podLog(name: string, namespace: string, options: {container?: string; limitBytes?: number; previous?: boolean} = {}): Promise<string> {
    const log = await this.#request('GET', `${resourcePath(Resources.Pod, {name, namespace})}/log`, {query: {container: options.container, limitBytes: options.limitBytes, previous: options.previous || undefined}})
    return typeof log === 'string' ? log : ''
  }

  /** Runs a command in a pod's container through pods/exec (exec.ts); no stdin, no tty. */
  async exec(name: string, namespace: string, command: string[], options: {container?: string; timeoutMs?: number} = {}): Promise<ExecResult> {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + `${resourcePath(Resources.Pod, {name, namespace})}/exec`, this.#base)
    try {
      // Loaded on first use: exec is rare, and its WebSocket library is most of the client's load time.
      const {execStream} = await import('./exec.js')
      return await execStream(url, {agent: this.#agent, command, headers: await this.endpoint.headers(), timeoutMs: options.timeoutMs ?? 60_000, ...(options.container ? {container: options.container} : {})})
    } catch (error) {
      if (isNetworkError(error)) throw this.#unreachable(error)
      throw error
    }
  }

  /** A bound ServiceAccount token (TokenRequest), as the kubelet mounts into pods. */
  async requestToken(account: string, namespace: string, spec: {audiences: string[]; expirationSeconds: number; boundObjectRef?: {apiVersion: string; kind: string; name: string; uid: string}}): Promise<string> {
    const path = `${resourcePath(Resources.ServiceAccount, {name: account, namespace})}/token`
    const response = (await this.#request('POST', path, {body: {apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec}})) as {status: {token: string}}
    return response.status.token
  }

  /** The text of one of the API server's own endpoints: /readyz, /livez or /metrics. */
  async serverEndpoint(path: '/readyz' | '/livez' | '/metrics'): Promise<string> {
    return String(await this.#request('GET', path))
  }

  /** The API server's version, e.g. {major: '1', minor: '36', gitVersion: 'v1.36.3'}. */
  async serverVersion(): Promise<{major: string; minor: string; gitVersion: string}> {
    return (await this.#request('GET', '/version')) as {major: string; minor: string; gitVersion: string}
  }

  /**
   * One request; parses JSON answers and turns error statuses into KubeApiError. 429 and 503 (the
   * server asks to come back, e.g. "storage is (re)initializing" right after a CRD is created) are
   * retried a few times: the request was not processed, so even a create is safe to repeat.
   */
  async #request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const response = await this.#send(method, path, options)
      const text = await readBody(response)
      const status = response.statusCode ?? 0
      if ((status === 429 || status === 503) && attempt < RETRIES) {
        const retryAfter = Number(response.headers['retry-after'] ?? 0)
        await sleep(Math.min(Math.max(retryAfter * 1000, 200 * attempt), 2000))
        continue
      }

      if (status < 200 || status >= 300) throw apiError(status, text)
      if (text === '') return undefined
      return (response.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text
    }
  }

  async #send(method: string, path: string, options: RequestOptions, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + path, this.#base)
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value))
    }

    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const headers: Record<string, string | string[]> = {
      Accept: 'application/json',
      'User-Agent': `subctl/${this.fieldManager}`,
      ...(await this.endpoint.headers()),
    }
    if (body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json'
      headers['Content-Length'] = String(Buffer.byteLength(body))
    }

    const timeoutMs = options.timeoutMs ?? this.endpoint.requestTimeoutMs ?? 30_000
    const transport = url.protocol === 'http:' ? http : https
    try {
      return await new Promise<http.IncomingMessage>((resolve, reject) => {
        const timedOut = () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), {code: 'ETIMEDOUT'}))
        // A wall-clock deadline up to the answer: a socket timeout is only armed once connected, and a
        // connect whose SYNs go nowhere (a node cut off the network) retries for two minutes.
        const deadline = timeoutMs > 0 ? setTimeout(timedOut, timeoutMs) : undefined
        const request = transport.request(url, {agent: this.#agent, headers, method, signal}, (response) => {
          clearTimeout(deadline)
          if (timeoutMs > 0) request.setTimeout(timeoutMs, timedOut)
          resolve(response)
        })
        request.on('error', (error) => {
          clearTimeout(deadline)
          reject(error)
        })

        request.end(body)
      })
    } catch (error) {
      if (isNetworkError(error)) throw this.#unreachable(error)
      throw error
    }
  }

  #unreachable(error: unknown): SubctlError {
    const detail = (error as NodeJS.ErrnoException).code ?? ''
    const message = error instanceof Error ? error.message : String(error)
    return new SubctlError(
      'CLUSTER_UNREACHABLE',
      `Cannot reach the Kubernetes API server of ${this.endpoint.displayName} at ${this.endpoint.server}: ${message.includes(detail) ? message : `${detail} ${message}`}`,
      {cause: error, hint: 'Check that the cluster is running and that the kubeconfig, context or URL point at it'},
    )
  }
}

function typeOf(object: KubeObject): ResourceType {
  const type = resourceTypeOf(object.apiVersion, object.kind)
  if (!type) throw new TypeError(`unknown resource type ${object.apiVersion} ${object.kind}`)
  return type
}

async function readBody(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function apiError(status: number, text: string): KubeApiError {
  try {
    const parsed = JSON.parse(text) as {reason?: string; message?: string}
    return new KubeApiError(status, parsed.reason ?? '', parsed.message ?? (text || `HTTP ${status}`))
  } catch {
    return new KubeApiError(status, '', text.trim() || `HTTP ${status}`)
  }
}
