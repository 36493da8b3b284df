import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {PlainReporter} from './reporter.js'

function capture() {
  const out = new PassThrough()
  const err = new PassThrough()
  let stdout = ''
  let stderr = ''
  out.on('data', (chunk) => (stdout += chunk))
  err.on('data', (chunk) => (stderr += chunk))
  return {err, out, text: () => ({stderr, stdout})}
}

describe('PlainReporter', () => {
  it('prints upstream’s start and end lines with the glyph of the worst message, data on stdout', async () => {
    const streams = capture()
    const reporter = new PlainReporter(streams)
    await reporter.step('Discovering network details', async (step) => {
      step.detail('        Network plugin:  generic')
      step.success('Found it')
    })
    await reporter.step('Retrieving the gateway nodes', async (step) => step.warning('No worker node available'))
    await expect(
      reporter.step('Deploying the broker', async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    reporter.success('Done')

    expect(streams.text().stdout).toBe('        Network plugin:  generic\n')
    expect(streams.text().stderr.split('\n')).toEqual([
      ' • Discovering network details  ...',
      ' ✓ Discovering network details',
      ' ✓ Found it',
      ' • Retrieving the gateway nodes  ...',
      ' ⚠ Retrieving the gateway nodes',
      ' ⚠ No worker node available',
      ' • Deploying the broker  ...',
      ' ✗ Deploying the broker',
      ' ✓ Done',
      '',
    ])
  })
})
