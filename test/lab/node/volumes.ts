/**
 * Pod volumes on disk: configMap, secret, downwardAPI, projected (with ServiceAccount tokens from
 * the TokenRequest API, as the kubelet gets them), emptyDir and hostPath. Files are replaced
 * atomically, so a refresh (ConfigMap changes reach running pods, as with a kubelet) never exposes
 * a half-written file.
 */
import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import type {KubeClient} from '../../../src/k8s/client.js'
import type {KubeObject} from '../../../src/k8s/objects.js'
import {Resources} from '../../../src/k8s/resources.js'
import type {KeyToPath, Pod, Volume} from './types.js'

interface DataSource {
  data?: Record<string, string>
  binaryData?: Record<string, string>
}

/** Resolves fieldRef paths the downward API and env vars support. */
export function fieldValue(pod: Pod, fieldPath: string, hostIP: string, podIP: string): string {
  const metadata = pod.metadata
  const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath)
  if (labelMatch) return (metadata[labelMatch[1] as 'labels' | 'annotations'] as Record<string, string> | undefined)?.[labelMatch[2] ?? ''] ?? ''
  switch (fieldPath) {
    case 'metadata.name':
      return metadata.name ?? ''
    case 'metadata.namespace':
      return metadata.namespace ?? ''
    case 'metadata.uid':
      return metadata.uid ?? ''
    case 'metadata.labels':
    case 'metadata.annotations':
      // key="value" lines in key order, as the kubelet writes them.
      return Object.entries((fieldPath === 'metadata.labels' ? metadata.labels : metadata.annotations) ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => `${key}="${value}"`)
        .join('\n')
    case 'spec.nodeName':
      return pod.spec.nodeName ?? ''
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default'
    case 'status.hostIP':
      return hostIP
    // The kubelet joins one address per family with commas; the lab's pods and nodes are IPv4 only.
    case 'status.hostIPs':
      return hostIP
    case 'status.podIP':
      return podIP
    case 'status.podIPs':
      return podIP
    default:
      throw new Error(`unsupported fieldRef ${fieldPath}`)
  }
}

function writeAtomically(file: string, content: Buffer | string, mode: number): boolean {
  mkdirSync(dirname(file), {recursive: true})
  const buffer = typeof content === 'string' ? Buffer.from(content) : content
  if (existsSync(file) && readFileSync(file).equals(buffer)) return false
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, buffer, {mode})
  renameSync(temporary, file)
  return true
}

function decoded(source: DataSource, isSecret: boolean): Map<string, Buffer> {
  const entries = new Map<string, Buffer>()
  for (const [key, value] of Object.entries(source.data ?? {})) entries.set(key, isSecret ? Buffer.from(value, 'base64') : Buffer.from(value))
  for (const [key, value] of Object.entries(source.binaryData ?? {})) entries.set(key, Buffer.from(value, 'base64'))
  return entries
}

function project(dir: string, entries: Map<string, Buffer>, items: KeyToPath[] | undefined, mode: number): void {
  const selected = items ?? [...entries.keys()].map((key) => ({key, path: key}))
  for (const item of selected) {
    const content = entries.get(item.key)
    if (content === undefined) throw new Error(`key "${item.key}" not found`)
    writeAtomically(join(dir, item.path), content, mode)
  }
}

export class VolumeManager {
  readonly #client: KubeClient
  readonly #hostIP: string
  /** Token expiry per file, so tokens are renewed at 80 % of their lifetime, as the kubelet does. */
  readonly #tokenRenewAt = new Map<string, number>()

  constructor(client: KubeClient, hostIP: string) {
    this.#client = client
    this.#hostIP = hostIP
  }

  /** Writes every volume of the pod under podDir/volumes; returns each volume's host path. */
  async materialize(pod: Pod, podDir: string, podIP: string): Promise<Map<string, string>> {
    const paths = new Map<string, string>()
    for (const volume of pod.spec.volumes ?? []) {
      paths.set(volume.name, await this.#materializeOne(pod, volume, join(podDir, 'volumes', volume.name), podIP))
    }

    return paths
  }

  async #materializeOne(pod: Pod, volume: Volume, dir: string, podIP: string): Promise<string> {
    const namespace = pod.metadata.namespace as string
    if (volume.hostPath) {
      if (!existsSync(volume.hostPath.path) && ['DirectoryOrCreate', undefined, ''].includes(volume.hostPath.type)) {
        if (volume.hostPath.type === 'DirectoryOrCreate') mkdirSync(volume.hostPath.path, {recursive: true})
      }

      return volume.hostPath.path
    }

    mkdirSync(dir, {recursive: true})
    if (volume.emptyDir) return dir
    if (volume.configMap) {
      const source = await this.#source('ConfigMap', namespace, volume.configMap.name, volume.configMap.optional)
      if (source) project(dir, decoded(source, false), volume.configMap.items, 0o644)
      return dir
    }

    if (volume.secret) {
      const source = await this.#source('Secret', namespace, volume.secret.secretName, volume.secret.optional)
      if (source) project(dir, decoded(source, true), volume.secret.items, 0o600)
      return dir
    }

    if (volume.downwardAPI) {
      for (const item of volume.downwardAPI.items) {
        if (item.fieldRef) writeAtomically(join(dir, item.path), fieldValue(pod, item.fieldRef.fieldPath, this.#hostIP, podIP), 0o644)
      }

      return dir
    }

    if (volume.projected) {
      for (const source of volume.projected.sources) {
        if (source.serviceAccountToken) await this.#token(pod, join(dir, source.serviceAccountToken.path), source.serviceAccountToken)
        if (source.configMap) {
          const data = await this.#source('ConfigMap', namespace, source.configMap.name, source.configMap.optional)
          if (data) project(dir, decoded(data, false), source.configMap.items, 0o644)
        }

        if (source.secret) {
          const data = await this.#source('Secret', namespace, source.secret.name, source.secret.optional)
          if (data) project(dir, decoded(data, true), source.secret.items, 0o600)
        }

        for (const item of source.downwardAPI?.items ?? []) {
          if (item.fieldRef) writeAtomically(join(dir, item.path), fieldValue(pod, item.fieldRef.fieldPath, this.#hostIP, podIP), 0o644)
        }
      }

      return dir
    }

    throw new Error(`volume "${volume.name}" has a type the lab does not support`)
  }

  async #source(kind: 'ConfigMap' | 'Secret', namespace: string, name: string, optional: boolean | undefined): Promise<DataSource | undefined> {
    const object = await this.#client.tryGet<KubeObject & DataSource>(Resources[kind], name, namespace)
    if (!object && !optional) throw new Error(`${kind.toLowerCase()} "${name}" not found`)
    return object
  }

  async #token(pod: Pod, file: string, request: {audience?: string; expirationSeconds?: number}): Promise<void> {
    if (existsSync(file) && Date.now() < (this.#tokenRenewAt.get(file) ?? 0)) return
    const expirationSeconds = Math.max(request.expirationSeconds ?? 3607, 600)
    const namespace = pod.metadata.namespace as string
    const account = pod.spec.serviceAccountName ?? 'default'
    const token = await this.#client.requestToken(account, namespace, {
      audiences: request.audience ? [request.audience] : [],
      boundObjectRef: {apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name as string, uid: pod.metadata.uid as string},
      expirationSeconds,
    })
    writeAtomically(file, token, 0o600)
    this.#tokenRenewAt.set(file, Date.now() + expirationSeconds * 800)
  }
}

/** Reads the env of a container from ConfigMaps and Secrets (envFrom and valueFrom). */
export async function readKeyed(client: KubeClient, kind: 'ConfigMap' | 'Secret', namespace: string, name: string): Promise<Map<string, string> | undefined> {
  const object = await client.tryGet<KubeObject & DataSource>(Resources[kind], name, namespace)
  if (!object) return undefined
  return new Map([...decoded(object, kind === 'Secret')].map(([key, value]) => [key, value.toString('utf8')]))
}
