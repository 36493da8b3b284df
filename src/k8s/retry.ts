/**
 * Retry on conflict, as client-go's retry.RetryOnConflict: an update that lost a race with another
 * writer reads again and tries again, a few times. When the attempts run out, the last conflict is
 * thrown, never swallowed, so that the caller (or the work queue, which retries later) handles it.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {isConflict} from './errors.js'

export interface RetryOnConflictOptions {
  /** @default 5, as client-go's DefaultRetry */
  attempts?: number
  /** Told of each conflict that is retried (e.g. to say so to the user). */
  onConflict?: (error: unknown, attempt: number) => void
  /** @default 10 ms, growing with each attempt, with jitter */
  delayMs?: number
}

export async function retryOnConflict<T>(update: (attempt: number) => Promise<T>, options: RetryOnConflictOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5
  const delayMs = options.delayMs ?? 10
  for (let attempt = 1; ; attempt++) {
    try {
      return await update(attempt)
    } catch (error) {
      if (!isConflict(error) || attempt >= attempts) throw error
      options.onConflict?.(error, attempt)
      await sleep(delayMs * attempt * (1 + Math.random() * 0.1))
    }
  }
}
