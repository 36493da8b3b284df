import {describe, expect, it} from 'vitest'

import {exitCodeOf} from './exec.js'

describe('the exit code of an exec', () => {
  it('comes from the final Status', () => {
    expect(exitCodeOf({status: 'Success'})).toBe(0)
    expect(exitCodeOf({details: {causes: [{message: '3', reason: 'ExitCode'}]}, reason: 'NonZeroExitCode', status: 'Failure'})).toBe(3)
    expect(exitCodeOf({message: 'container not found', status: 'Failure'})).toBe(-1)
  })
})
