import {describe, expect, it} from 'vitest'

import {KubeApiError} from './errors.js'
import {retryOnConflict} from './retry.js'

const conflict = () => new KubeApiError(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again')

describe('retryOnConflict', () => {
  it('tries again after a conflict and returns what the update returns', async () => {
    const seen: number[] = []
    const result = await retryOnConflict(async (attempt) => {
      seen.push(attempt)
      if (attempt < 3) throw conflict()
      return 'written'
    }, {delayMs: 0})
    expect(result).toBe('written')
    expect(seen).toEqual([1, 2, 3])
  })

  it('throws the last conflict when the attempts run out, after telling each retried one', async () => {
    const told: number[] = []
    let calls = 0
    const outcome = retryOnConflict(
      async () => {
        calls++
        throw conflict()
      },
      {attempts: 4, delayMs: 0, onConflict: (_error, attempt) => told.push(attempt)},
    )
    await expect(outcome).rejects.toMatchObject({reason: 'Conflict', statusCode: 409})
    expect(calls).toBe(4)
    expect(told).toEqual([1, 2, 3])
  })

  it('does not retry other errors', async () => {
    let calls = 0
    await expect(
      retryOnConflict(async () => {
        calls++
        throw new KubeApiError(403, 'Forbidden', 'no')
      }),
    ).rejects.toMatchObject({statusCode: 403})
    expect(calls).toBe(1)
  })
})
