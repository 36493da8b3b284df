/**
 * The PodStatus the kubelet would report, as a function of what the pod's worker (pod.ts) knows:
 * its containers' processes and states, the sandbox (volumes, IP) and any set-up error. The times
 * of the Ready and Initialized transitions are kept in a ReadyClock the worker owns.
 */
import type {ContainerProcess} from './container.js'
import type {Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus} from './types.js'

/** One container of a pod as the worker runs it. */
export interface RunningContainer {
  spec: Container
  init: boolean
  process?: ContainerProcess
  restartCount: number
  state: ContainerState
  lastState: ContainerState
  ready: boolean
  started: boolean
  backoffMs: number
  retryAt: number
  probeTimers: NodeJS.Timeout[]
  liveProbeGeneration: number
}

export interface PodState {
  pod: Pod
  containers: Map<string, RunningContainer>
  nodeIP: string
  ip: string | undefined
  /** Whether the volumes are in place (the sandbox is ready for containers). */
  volumesReady: boolean
  setupError: {reason: string; message: string} | undefined
  startTime: string | undefined
  initializedAt: string | undefined
}

const now = () => new Date().toISOString()

/** When the pod last became ready or unready: a transition time the status must keep between reports. */
export class ReadyClock {
  #ready = false
  #changedAt = now()

  observe(ready: boolean): string {
    if (ready !== this.#ready) {
      this.#ready = ready
      this.#changedAt = now()
    }

    return this.#changedAt
  }
}

export function podStatus(state: PodState, clock: ReadyClock): PodStatus {
  const {containers, pod} = state
  const policy = pod.spec.restartPolicy ?? 'Always'
  const statuses = (specs: Container[] | undefined) => (specs ?? []).map((spec) => containerStatus(containers.get(spec.name) as RunningContainer, state.setupError))
  const initStatuses = statuses(pod.spec.initContainers)
  const containerStatuses = statuses(pod.spec.containers)
  const app = pod.spec.containers.map((spec) => containers.get(spec.name) as RunningContainer)
  const initialized = (pod.spec.initContainers ?? []).every((spec) => containers.get(spec.name)?.state.terminated?.exitCode === 0)
  const allReady = initialized && app.every((container) => container.ready)
  const readyChangedAt = clock.observe(allReady)

  let phase: PodStatus['phase'] = 'Pending'
  const initFailed = (pod.spec.initContainers ?? []).some((spec) => {
    const terminated = containers.get(spec.name)?.state.terminated
    return terminated !== undefined && terminated.exitCode !== 0 && policy === 'Never'
  })
  if (initFailed) phase = 'Failed'
  else if (initialized && app.some((container) => container.process || container.state.terminated || container.lastState.terminated)) {
    const terminated = app.every((container) => container.state.terminated && !container.process)
    const succeeded = app.every((container) => container.state.terminated?.exitCode === 0)
    if (terminated && (policy === 'Never' || (policy === 'OnFailure' && succeeded))) phase = succeeded ? 'Succeeded' : 'Failed'
    else phase = 'Running'
  }

  const condition = (type: string, status: boolean, since: string): PodCondition => ({lastTransitionTime: since, status: status ? 'True' : 'False', type})
  const started = state.startTime ?? now()
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', state.volumesReady, started),
    condition('Initialized', initialized, state.initializedAt ?? started),
    condition('Ready', allReady, readyChangedAt),
    condition('ContainersReady', allReady, readyChangedAt),
    condition('PodScheduled', true, pod.status?.conditions?.find((entry) => entry.type === 'PodScheduled')?.lastTransitionTime ?? started),
  ]
  const {ip} = state
  return {
    conditions,
    containerStatuses,
    hostIP: state.nodeIP,
    hostIPs: [{ip: state.nodeIP}],
    ...(initStatuses.length > 0 ? {initContainerStatuses: initStatuses} : {}),
    phase,
    ...(ip && state.volumesReady ? {podIP: ip, podIPs: [{ip}]} : {}),
    ...(state.startTime ? {startTime: state.startTime} : {}),
    ...(state.setupError && state.setupError.reason !== 'ContainerCreating' ? {message: state.setupError.message} : {}),
  }
}

function containerStatus(container: RunningContainer, setupError: PodState['setupError']): ContainerStatus {
  let state = container.state
  if (setupError && !container.process && !container.state.terminated) {
    state = {waiting: {message: setupError.message, reason: setupError.reason}}
  }

  return {
    ...(container.process ? {containerID: `lab://${container.process.pid}`} : {}),
    image: container.spec.image,
    imageID: container.spec.image,
    lastState: container.lastState,
    name: container.spec.name,
    ready: container.ready,
    restartCount: container.restartCount,
    started: container.process !== undefined && container.started,
    state,
  }
}
