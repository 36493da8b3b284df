/**
 * Upstream's reference binaries (../shared/upstream) beside ours: unpacked for the interoperability
 * tests, and upstream's lighthouse-coredns started beside our Lighthouse DNS pod (in the pod's
 * network namespace, on another port, reading the same cluster's objects with the lab's admin
 * kubeconfig), which the answer-equality test and bench/dns compare on the same objects.
 */
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import yaml from 'js-yaml'

import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {paths, parseClusters} from '../lab/config.js'
import {podNamespace} from '../lab/operations.js'
import {readState} from '../lab/state.js'
import {run, startProcess} from '../lab/sh.js'
import {ROOT} from '../helpers/cli.js'
import {withClient} from './clusterset.js'

/**
 * One of upstream's binaries in ../shared/upstream (xz-packed, NAME-0.19-linux-amd64.xz) unpacked
 * into a fresh directory: its path.
 */
export async function unpackUpstream(name: 'subctl' | 'lighthouse-coredns'): Promise<string> {
  const packed = join(ROOT, '..', 'shared', 'upstream', `${name}-0.19-linux-amd64.xz`)
  if (!existsSync(packed)) throw new Error(`${packed} is missing`)
  const binary = join(mkdtempSync(join(tmpdir(), `${name}-upstream-`)), name)
  const unpacked = await run(['sh', '-c', 'xz -dc "$0" > "$1" && chmod +x "$1"', packed, binary])
  if (unpacked.code !== 0) throw new Error(`unpacking ${packed}: ${unpacked.stderr}`)
  return binary
}

interface Kubeconfig {
  clusters: Array<{name: string}>
  contexts: Array<{name: string; context: {cluster: string; user: string}}>
  users: Array<{name: string}>
}

/** The lab's kubeconfig (the one for inside the lab network) cut down to one context. */
function kubeconfigFor(cluster: string, file: string): void {
  const whole = yaml.load(readFileSync(paths.kubeconfig, 'utf8')) as Kubeconfig
  const context = whole.contexts.find((candidate) => candidate.name === cluster)
  if (!context) throw new Error(`the lab's kubeconfig has no context ${cluster}`)
  const one = {
    ...whole,
    clusters: whole.clusters.filter((entry) => entry.name === context.context.cluster),
    contexts: [context],
    'current-context': cluster,
    users: whole.users.filter((entry) => entry.name === context.context.user),
  }
  writeFileSync(file, yaml.dump(one))
}

/** A running Lighthouse DNS pod of CLUSTER: its name, for `npm run lab -- exec --pod`. */
export async function lighthouseDnsPod(cluster: string): Promise<string> {
  const pods = await withClient(cluster, (client) => client.list<KubeObject & {status?: {phase?: string}}>(Resources.Pod, {labelSelector: 'app=submariner-lighthouse-coredns', namespace: 'submariner-operator'}))
  const running = pods.items.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp).map((pod) => pod.metadata.name as string)
  if (running.length === 0) throw new Error(`no running Lighthouse DNS pod in ${cluster}`)
  return `${cluster}/submariner-operator/${running.sort()[0]}`
}

/** The network namespace of that pod, where both servers answer on 127.0.0.1. */
export async function lighthouseDnsNetns(cluster: string): Promise<string> {
  const state = readState()
  if (!state?.up) throw new Error('the lab is not up')
  return podNamespace(parseClusters(state.clusters), await lighthouseDnsPod(cluster))
}

export interface UpstreamDns {
  port: number
  stop(): Promise<void>
}

/** Starts upstream's server in NETNS on PORT for CLUSTER, and resolves once its zone is served. */
export async function startUpstreamDns(netns: string, cluster: string, port: number): Promise<UpstreamDns> {
  const binary = await unpackUpstream('lighthouse-coredns')
  const directory = dirname(binary)
  kubeconfigFor(cluster, join(directory, 'kubeconfig'))
  writeFileSync(join(directory, 'Corefile'), `clusterset.local:${port} {\n    lighthouse\n    errors\n}\n`)
  const child = startProcess(['ip', 'netns', 'exec', netns, binary, '-kubeconfig', join(directory, 'kubeconfig'), '-conf', join(directory, 'Corefile')], {
    env: {...process.env, SUBMARINER_CLUSTERID: cluster},
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lighthouse-coredns did not start within 30 s:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(`clusterset.local.:${port}`)) {
        clearTimeout(timer)
        resolve()
      }
    }

    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void child.then(({exitCode}) => {
      clearTimeout(timer)
      reject(new Error(`lighthouse-coredns exited ${exitCode}:\n${output}`))
    })
  })
  // Its log keeps flowing (one line per object it reads): keep draining it.
  child.stdout?.resume()
  child.stderr?.resume()
  return {
    port,
    async stop() {
      child.kill('SIGTERM')
      await child.catch(() => undefined)
    },
  }
}
