/**
 * One pod on this node, its worker: the sandbox (network namespace, address, resolv.conf, hosts,
 * volumes), the init and app containers as processes with restart policy, back-off and termination
 * messages. Probes are prober.ts, the environment environment.ts, and the PodStatus the kubelet
 * would report pod-status.ts. `sync` is level-triggered: called with the latest Pod, it moves the
 * pod forward as far as it can and is safe to call any time.
 */
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {KubeClient} from '../../../src/k8s/client.js'
import type {Logger} from '../../../src/agent/runtime/log.js'
import {ContainerProcess, type Mount} from './container.js'
import {containerEnvironment, expand} from './environment.js'
import {resolveImage, type NodeFiles} from './images.js'
import type {NodeNetwork} from './network.js'
import {podStatus, ReadyClock, type RunningContainer} from './pod-status.js'
import {startProbes, stopProbes} from './prober.js'
import type {Container, Pod, PodStatus, RuntimeConfig} from './types.js'
import type {VolumeManager} from './volumes.js'

const MAX_TERMINATION_MESSAGE = 4096
const BACKOFF_START_MS = 1000
const BACKOFF_MAX_MS = 30_000

/** The node's files that stand for the images' programs. */
export function nodeFiles(config: RuntimeConfig): NodeFiles {
  return {
    agentBundle: config.agentBundle,
    busyboxBin: config.busyboxBin,
    coredns: config.corednsBinary,
    node: process.execPath,
    nodeHelper: config.nodeHelper,
  }
}


export interface PodContext {
  config: RuntimeConfig
  client: KubeClient
  volumes: VolumeManager
  network: NodeNetwork
  log: Logger
  /** Asks the node runtime to sync this pod again (a container exited, a probe changed). */
  resync(): void
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void
}

const now = () => new Date().toISOString()

export class PodRunner {
  pod: Pod
  readonly uid: string
  readonly dir: string
  readonly #context: PodContext
  readonly #containers = new Map<string, RunningContainer>()
  #ip: string | undefined
  #netns: string | undefined
  #volumePaths: Map<string, string> | undefined
  #setupError: {reason: string; message: string} | undefined
  #reportedEvents = new Set<string>()
  #startTime: string | undefined
  #terminating = false
  #initializedAt: string | undefined
  readonly #readyClock = new ReadyClock()

  constructor(pod: Pod, context: PodContext) {
    this.pod = pod
    this.uid = pod.metadata.uid as string
    this.#context = context
    this.dir = join(context.config.stateDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${this.uid}`)
    for (const spec of pod.spec.initContainers ?? []) this.#containers.set(spec.name, this.#fresh(spec, true))
    for (const spec of pod.spec.containers) this.#containers.set(spec.name, this.#fresh(spec, false))
  }

  #fresh(spec: Container, init: boolean): RunningContainer {
    return {
      backoffMs: BACKOFF_START_MS,
      init,
      lastState: {},
      liveProbeGeneration: 0,
      probeTimers: [],
      ready: false,
      restartCount: 0,
      retryAt: 0,
      spec,
      started: false,
      state: {waiting: {reason: 'ContainerCreating'}},
    }
  }

  get hostNetwork(): boolean {
    return this.pod.spec.hostNetwork === true
  }

  get ip(): string | undefined {
    return this.hostNetwork ? this.#context.config.nodeIP : this.#ip
  }

  get netns(): string | undefined {
    return this.#netns
  }

  /** A container's running process, for exec and attach. */
  process(container: string): ContainerProcess | undefined {
    return this.#containers.get(container)?.process
  }

  /** The spec of a container of the pod. */
  containerSpec(container: string): Container | undefined {
    return this.#containers.get(container)?.spec
  }

  /** The log file of a container's current run, or of the previous one. */
  logFile(container: string, previous = false): string | undefined {
    const entry = this.#containers.get(container)
    if (!entry) return undefined
    const run = previous ? entry.restartCount - 1 : entry.restartCount
    return run < 0 ? undefined : join(this.dir, 'logs', container, `${run}.log`)
  }

  async sync(pod: Pod): Promise<void> {
    this.pod = pod
    if (this.#terminating) return
    if (!(await this.#ensureSandbox())) return

    const inits = (pod.spec.initContainers ?? []).map((spec) => this.#containers.get(spec.name) as RunningContainer)
    for (const init of inits) {
      if (init.state.terminated?.exitCode === 0) continue
      this.#maybeStart(init)
      return
    }

    this.#initializedAt ??= now()
    for (const spec of pod.spec.containers) this.#maybeStart(this.#containers.get(spec.name) as RunningContainer)
  }

  /** Creates the sandbox and volumes; false (with the reason in the status) while it cannot. */
  async #ensureSandbox(): Promise<boolean> {
    const {config, network} = this.#context
    for (const container of [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers]) {
      const program = resolveImage(container.image, container.command, container.args, nodeFiles(config))
      if ('error' in program) {
        this.#setupError = {message: program.error, reason: 'ErrImagePull'}
        this.#eventOnce('image', 'Warning', 'Failed', `Failed to pull image "${container.image}": ${program.error}`)
        return false
      }
    }

    try {
      if (!this.hostNetwork && !this.#netns) {
        if (!network.podCIDR) throw new Error('the node has no pod CIDR yet')
        this.#ip = network.allocate(this.uid)
        this.#netns = network.createSandbox(this.uid, this.#ip)
      }

      mkdirSync(this.dir, {recursive: true})
      this.#writeResolver()
      this.#volumePaths = await this.#context.volumes.materialize(this.pod, this.dir, this.ip ?? '')
      this.#startTime ??= now()
      this.#setupError = undefined
      return true
    } catch (error) {
      this.#setupError = {message: (error as Error).message, reason: 'ContainerCreating'}
      this.#eventOnce(`setup:${(error as Error).message}`, 'Warning', 'FailedMount', (error as Error).message)
      throw error
    }
  }

  /** Refreshes ConfigMap, Secret and token volumes of a running pod, as the kubelet does. */
  async refreshVolumes(): Promise<void> {
    if (this.#volumePaths && !this.#terminating) await this.#context.volumes.materialize(this.pod, this.dir, this.ip ?? '')
  }

  #writeResolver(): void {
    const {config} = this.#context
    const {dnsConfig, dnsPolicy = 'ClusterFirst'} = this.pod.spec
    const namespace = this.pod.metadata.namespace
    const clusterDns = dnsPolicy === 'ClusterFirstWithHostNet' || (dnsPolicy === 'ClusterFirst' && !this.hostNetwork)
    const nameservers = dnsPolicy === 'None' ? [] : clusterDns ? [config.dnsIP] : [config.upstreamResolver]
    const searches = clusterDns ? [`${namespace}.svc.${config.clusterDomain}`, `svc.${config.clusterDomain}`, config.clusterDomain] : []
    const options = clusterDns ? ['ndots:5'] : []
    nameservers.push(...(dnsConfig?.nameservers ?? []))
    searches.push(...(dnsConfig?.searches ?? []))
    options.push(...(dnsConfig?.options ?? []).map((option) => (option.value ? `${option.name}:${option.value}` : option.name)))
    const lines = [
      ...(searches.length > 0 ? [`search ${searches.join(' ')}`] : []),
      ...nameservers.map((server) => `nameserver ${server}`),
      ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
    ]
    writeFileSync(join(this.dir, 'resolv.conf'), lines.join('\n') + '\n')
    const hostname = this.#hostname()
    const fqdn = this.pod.spec.subdomain ? `${hostname}.${this.pod.spec.subdomain}.${namespace}.svc.${config.clusterDomain} ` : ''
    writeFileSync(join(this.dir, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${this.ip}\t${fqdn}${hostname}\n`)
    writeFileSync(join(this.dir, 'hostname'), `${hostname}\n`)
  }

  #hostname(): string {
    if (this.hostNetwork) return this.#context.config.node
    return this.pod.spec.hostname ?? (this.pod.metadata.name as string)
  }

  #maybeStart(container: RunningContainer): void {
    if (container.process || this.#terminating) return
    const policy = this.pod.spec.restartPolicy ?? 'Always'
    const terminated = container.state.terminated
    if (terminated) {
      const restart = container.init ? terminated.exitCode !== 0 && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && terminated.exitCode !== 0)
      if (!restart) return
      if (Date.now() < container.retryAt) {
        container.lastState = {terminated}
        container.state = {waiting: {message: `back-off ${container.backoffMs / 1000}s restarting failed container=${container.spec.name} pod=${this.pod.metadata.name}`, reason: 'CrashLoopBackOff'}}
        setTimeout(() => this.#context.resync(), container.retryAt - Date.now() + 10).unref()
        return
      }

      container.lastState = {terminated}
      container.restartCount++
    } else if (container.state.waiting?.reason === 'CrashLoopBackOff') {
      if (Date.now() < container.retryAt) return
      container.restartCount++
    }

    void this.#start(container).catch((error: Error) => {
      container.state = {waiting: {message: error.message, reason: 'CreateContainerError'}}
      this.#eventOnce(`create:${container.spec.name}:${error.message}`, 'Warning', 'Failed', `Error: ${error.message}`)
      container.retryAt = Date.now() + container.backoffMs
      container.backoffMs = Math.min(container.backoffMs * 2, BACKOFF_MAX_MS)
      setTimeout(() => this.#context.resync(), container.backoffMs).unref()
    })
  }

  async #start(container: RunningContainer): Promise<void> {
    const {config} = this.#context
    const program = resolveImage(container.spec.image, container.spec.command, container.spec.args, nodeFiles(config))
    if ('error' in program) throw new Error(program.error)
    const env = await containerEnvironment(container.spec, {client: this.#context.client, config: this.#context.config, hostname: this.#hostname(), imagePath: program.path, ip: this.ip ?? '', pod: this.pod})
    const terminationFile = join(this.dir, 'termination', container.spec.name)
    mkdirSync(join(this.dir, 'termination'), {recursive: true})
    writeFileSync(terminationFile, '')
    const mounts: Mount[] = [
      {readOnly: false, source: join(this.dir, 'resolv.conf'), target: '/etc/resolv.conf'},
      {readOnly: false, source: join(this.dir, 'hosts'), target: '/etc/hosts'},
      {readOnly: false, source: join(this.dir, 'hostname'), target: '/etc/hostname'},
      {readOnly: false, source: terminationFile, target: container.spec.terminationMessagePath ?? '/dev/termination-log'},
    ]
    for (const mount of container.spec.volumeMounts ?? []) {
      const base = this.#volumePaths?.get(mount.name)
      if (!base) throw new Error(`volume "${mount.name}" is not defined in the pod`)
      mounts.push({readOnly: mount.readOnly ?? false, source: mount.subPath ? join(base, mount.subPath) : base, target: mount.mountPath})
    }

    const process = new ContainerProcess({
      argv: program.argv.map((argument) => expand(argument, env)),
      env,
      hostname: this.#hostname(),
      logFile: join(this.dir, 'logs', container.spec.name, `${container.restartCount}.log`),
      mountpointRecord: config.mountpointRecord,
      mounts,
      netnsPath: this.#netns ? `/run/netns/${this.#netns}` : undefined,
      stdin: container.spec.stdin === true,
      tty: container.spec.tty ? {helper: config.nodeHelper} : undefined,
      workingDir: container.spec.workingDir ?? '/',
    })
    container.process = process
    container.state = {running: {startedAt: process.startedAt.toISOString()}}
    container.started = !container.spec.startupProbe
    container.ready = !container.init && !container.spec.readinessProbe
    this.#context.event(this.pod, 'Normal', 'Started', `Started container ${container.spec.name}`)
    startProbes(container, {
      graceSeconds: () => this.pod.spec.terminationGracePeriodSeconds ?? 30,
      ip: () => this.ip ?? '127.0.0.1',
      resync: () => this.#context.resync(),
      warn: (reason, message) => this.#context.event(this.pod, 'Warning', reason, message),
      warnOnce: (key, reason, message) => this.#eventOnce(key, 'Warning', reason, message),
    })
    this.#context.resync()

    const exit = await process.exited
    stopProbes(container)
    container.process = undefined
    container.ready = false
    let message = readFileSync(terminationFile, 'utf8').slice(0, MAX_TERMINATION_MESSAGE)
    if (message === '' && exit.code !== 0 && container.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = this.#tailLog(container, 80)
    }

    container.state = {
      terminated: {
        containerID: `lab://${process.pid}`,
        exitCode: exit.code,
        finishedAt: exit.finishedAt.toISOString(),
        ...(message ? {message} : {}),
        reason: exit.code === 0 ? 'Completed' : 'Error',
        startedAt: process.startedAt.toISOString(),
        ...(exit.signal ? {signal: signalNumber(exit.signal)} : {}),
      },
    }
    // Back-off doubles on quick crashes and resets after ten minutes of running, as the kubelet's does.
    const ranMs = exit.finishedAt.getTime() - process.startedAt.getTime()
    if (ranMs > 600_000) container.backoffMs = BACKOFF_START_MS
    container.retryAt = Date.now() + container.backoffMs
    container.backoffMs = Math.min(container.backoffMs * 2, BACKOFF_MAX_MS)
    this.#context.resync()
  }

  #tailLog(container: RunningContainer, lines: number): string {
    const file = this.logFile(container.spec.name)
    if (!file || !existsSync(file)) return ''
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(-lines)
      .map((line) => line.split(' ').slice(3).join(' '))
      .join('\n')
      .slice(-MAX_TERMINATION_MESSAGE)
  }

  /** Stops every container: SIGTERM, then SIGKILL after the grace period. */
  async terminate(graceSeconds: number): Promise<void> {
    if (!this.#terminating) {
      this.#terminating = true
      if ([...this.#containers.values()].some((container) => container.process)) {
        this.#context.event(this.pod, 'Normal', 'Killing', `Stopping the containers of ${this.pod.metadata.name}`)
      }
    }

    const running = [...this.#containers.values()].filter((container) => container.process)
    for (const container of running) container.process?.kill('SIGTERM')
    const deadline = setTimeout(() => {
      for (const container of running) container.process?.kill('SIGKILL')
    }, graceSeconds * 1000)
    await Promise.all(running.map((container) => container.process?.exited))
    clearTimeout(deadline)
  }

  /** Removes the sandbox and the pod's directory. */
  cleanup(): void {
    if (this.#netns) this.#context.network.deleteSandbox(this.uid, this.#ip)
    else if (this.#ip) this.#context.network.release(this.uid)
    this.#netns = undefined
    rmSync(this.dir, {force: true, recursive: true})
  }

  #eventOnce(key: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.#reportedEvents.has(key)) return
    this.#reportedEvents.add(key)
    this.#context.event(this.pod, type, reason, message)
  }

  /** The status the kubelet would report now. */
  status(): PodStatus {
    return podStatus(
      {
        containers: this.#containers,
        initializedAt: this.#initializedAt,
        ip: this.ip,
        nodeIP: this.#context.config.nodeIP,
        pod: this.pod,
        setupError: this.#setupError,
        startTime: this.#startTime,
        volumesReady: this.#volumePaths !== undefined,
      },
      this.#readyClock,
    )
  }
}

function signalNumber(signal: string): number {
  return ({SIGINT: 2, SIGKILL: 9, SIGTERM: 15} as Record<string, number>)[signal] ?? 0
}
