/**
 * Waiting for an object to reach a state, with a watch rather than polling: list it, check, then
 * check again on every change until the predicate holds or the time is up.
 */
import {SubctlError} from '../lib/errors.js'
import type {KubeClient} from './client.js'
import {isGone} from './errors.js'
import type {KubeObject} from './objects.js'
import type {ResourceType} from './resources.js'

export interface WaitOptions {
  timeoutMs: number
  /** Said in the timeout error: "the operator Deployment to be available". */
  description: string
  hint?: string
}

/**
 * Resolves with the object once `ready(object)` is true (the object may not exist yet: `ready`
 * then gets undefined). Throws a WAIT_TIMEOUT SubctlError carrying `progress(lastSeen)`.
 */
export async function waitForObject<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  name: string,
  namespace: string | undefined,
  ready: (object: T | undefined) => boolean,
  options: WaitOptions & {progress?: (object: T | undefined) => string},
): Promise<T | undefined> {
  const controller = new AbortController()
  let last: T | undefined
  const timer = setTimeout(() => controller.abort(), options.timeoutMs)
  try {
    while (!controller.signal.aborted) {
      const {items, resourceVersion} = await client.list<T>(type, {fieldSelector: `metadata.name=${name}`, namespace})
      last = items[0]
      if (ready(last)) return last
      let done = false
      try {
        await client.watch<T>(
          type,
          {fieldSelector: `metadata.name=${name}`, namespace, resourceVersion, timeoutSeconds: Math.ceil(options.timeoutMs / 1000)},
          (event) => {
            if (event.type === 'BOOKMARK') return
            last = event.type === 'DELETED' ? undefined : event.object
            if (ready(last)) {
              done = true
              controller.abort()
            }
          },
          controller.signal,
        )
      } catch (error) {
        if (!isGone(error) && !controller.signal.aborted) throw error
      }

      if (done) return last
    }
  } finally {
    clearTimeout(timer)
  }

  const progress = options.progress?.(last)
  throw new SubctlError('WAIT_TIMEOUT', `Timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${options.description}${progress ? ` (${progress})` : ''}`, {
    hint: options.hint ?? 'Check the logs of the pods involved, or wait longer with --timeout',
  })
}
