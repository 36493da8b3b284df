/**
 * One run of verify or benchmark on its clusters: the test namespace it makes in each of them, the
 * pods it starts there, and the clean-up that removes all of it, on success, on failure and on
 * Ctrl-C (the caller aborts the signal; tearDown still runs). Waits poll with the signal, so an
 * interrupted run stops waiting at once.
 */
import {randomBytes} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

import {isAlreadyExists, isNotFound} from '../../k8s/errors.js'
import type {KubeObject, PodObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {messageOf, SubctlError} from '../../lib/errors.js'
import type {TestCluster} from './cluster.js'

/** On every object a run makes, so that a leftover is easy to find: kubectl get ns -l subctl.submariner.io/test. */
export const TEST_LABEL = 'subctl.submariner.io/test'

export interface RunSettings {
  /** The nettest image. */
  image: string
  operationTimeoutMs: number
  signal: AbortSignal
  /** Progress lines for --verbose. */
  log: (line: string) => void
}

export class TestRun {
  readonly namespace: string
  readonly #cleanups: Array<{what: string; undo: () => Promise<unknown>}> = []
  #counter = 0

  constructor(
    readonly purpose: string,
    readonly clusters: TestCluster[],
    readonly settings: RunSettings,
  ) {
    this.namespace = `e2e-tests-${purpose}-${randomBytes(3).toString('hex').slice(0, 5)}`
  }

  /** A name unique in this run. */
  name(base: string): string {
    return `${base}-${(this.#counter++).toString(36)}${randomBytes(2).toString('hex')}`
  }

  /** The test namespace in every cluster (the same name, as service discovery needs). */
  async setUp(): Promise<void> {
    for (const cluster of this.clusters) {
      this.settings.log(`creating namespace ${this.namespace} on ${cluster.context}`)
      await cluster.client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {labels: {[TEST_LABEL]: this.purpose}, name: this.namespace}})
    }
  }

  /** Something to undo at tear-down, before the namespaces go (a node label, a scaled Deployment). */
  onTearDown(what: string, undo: () => Promise<unknown>): void {
    this.#cleanups.push({undo, what})
  }

  /**
   * Undoes what the specs changed, last first, then deletes the namespaces and waits until they are
   * gone. Returns what could not be cleaned up, so that the caller can say so.
   */
  async tearDown(): Promise<string[]> {
    const problems: string[] = []
    for (const {undo, what} of this.#cleanups.splice(0).reverse()) {
      try {
        await undo()
      } catch (error) {
        problems.push(`${what}: ${messageOf(error)}`)
      }
    }

    await Promise.all(
      this.clusters.map(async (cluster) => {
        try {
          await cluster.client.delete(Resources.Namespace, this.namespace)
          const deadline = Date.now() + this.settings.operationTimeoutMs
          while (await cluster.client.tryGet(Resources.Namespace, this.namespace)) {
            if (Date.now() > deadline) throw new Error('still terminating')
            await sleep(500)
          }
        } catch (error) {
          if (!isNotFound(error)) problems.push(`namespace ${this.namespace} on ${cluster.context}: ${messageOf(error)}`)
        }
      }),
    )
    return problems
  }

  async create<T extends KubeObject>(cluster: TestCluster, object: T): Promise<T> {
    this.#checkAborted()
    try {
      return await cluster.client.create({...object, metadata: {...object.metadata, labels: {...object.metadata.labels, [TEST_LABEL]: this.purpose}, namespace: this.namespace}})
    } catch (error) {
      if (isAlreadyExists(error)) throw new Error(`${object.kind} ${object.metadata.name} already exists in ${this.namespace} on ${cluster.context}`)
      throw error
    }
  }

  /** Polls `check` until it returns a value, the operation timeout passes, or the run is interrupted. */
  async until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = this.settings.operationTimeoutMs): Promise<T> {
    const deadline = Date.now() + timeoutMs
    let lastError: unknown
    for (;;) {
      this.#checkAborted()
      try {
        const value = await check()
        if (value !== undefined) return value
      } catch (error) {
        lastError = error
      }

      if (Date.now() > deadline) {
        throw new SubctlError('WAIT_TIMEOUT', `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${messageOf(lastError)})` : ''}`)
      }

      await sleep(500, undefined, {signal: this.settings.signal}).catch(() => undefined)
    }
  }

  async pod(cluster: TestCluster, name: string): Promise<PodObject> {
    return cluster.client.get<PodObject>(Resources.Pod, name, this.namespace)
  }

  #checkAborted(): void {
    if (this.settings.signal.aborted) throw new SubctlError('INTERRUPTED', 'interrupted', {hint: 'Run it again; what it made was removed'})
  }
}
