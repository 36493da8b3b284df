/**
 * A pod's probes as the kubelet runs them: startup, then readiness and liveness, each on its own
 * period with its thresholds. A readiness change or a started container asks for a resync; a
 * failed liveness (or startup) probe restarts the container: SIGTERM, then SIGKILL after the pod's
 * grace period.
 */
import type {RunningContainer} from './pod-status.js'
import {runProbe} from './probes.js'
import type {Probe} from './types.js'

export interface ProbeContext {
  /** The pod's IP, for TCP and HTTP probes. */
  ip(): string
  graceSeconds(): number
  resync(): void
  /** A Warning event, once per key. */
  warnOnce(key: string, reason: string, message: string): void
  warn(reason: string, message: string): void
}

export function startProbes(container: RunningContainer, context: ProbeContext): void {
  const schedule = (probe: Probe | undefined, kind: 'startup' | 'readiness' | 'liveness') => {
    if (!probe) return
    let successes = 0
    let failures = 0
    const generation = container.liveProbeGeneration
    const tick = async () => {
      if (generation !== container.liveProbeGeneration || !container.process) return
      if (kind !== 'startup' && !container.started) return
      if (kind === 'startup' && container.started) return
      const ok = await runProbe(probe, {container: container.spec, ip: context.ip(), pid: container.process.pid})
      if (generation !== container.liveProbeGeneration || !container.process) return
      if (ok) {
        successes++
        failures = 0
      } else {
        failures++
        successes = 0
      }

      if (kind === 'readiness') {
        const ready = ok ? successes >= (probe.successThreshold ?? 1) || container.ready : failures < (probe.failureThreshold ?? 3) && container.ready
        if (!ok) context.warnOnce(`readiness:${container.spec.name}:${container.restartCount}`, 'Unhealthy', `Readiness probe failed for ${container.spec.name}`)
        if (ready !== container.ready) {
          container.ready = ready
          context.resync()
        }
      } else if (ok && kind === 'startup') {
        container.started = true
        context.resync()
      } else if (!ok && failures >= (probe.failureThreshold ?? 3)) {
        context.warn('Unhealthy', `${kind === 'startup' ? 'Startup' : 'Liveness'} probe failed for ${container.spec.name}; restarting it`)
        container.liveProbeGeneration++
        container.process.kill('SIGTERM')
        const victim = container.process
        setTimeout(() => victim.kill('SIGKILL'), context.graceSeconds() * 1000).unref()
      }
    }

    const first = setTimeout(() => {
      void tick()
      const every = setInterval(() => void tick(), (probe.periodSeconds ?? 10) * 1000)
      every.unref()
      container.probeTimers.push(every)
    }, (probe.initialDelaySeconds ?? 0) * 1000)
    first.unref()
    container.probeTimers.push(first)
  }

  schedule(container.spec.startupProbe, 'startup')
  schedule(container.spec.readinessProbe, 'readiness')
  schedule(container.spec.livenessProbe, 'liveness')
}

export function stopProbes(container: RunningContainer): void {
  container.liveProbeGeneration++
  for (const timer of container.probeTimers.splice(0)) clearTimeout(timer)
}
