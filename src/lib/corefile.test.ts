import {describe, expect, it} from 'vitest'

import {removeLighthouseSection, withLighthouseSection} from './corefile.js'

const ORIGINAL = '.:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n'

describe('the Corefile patch', () => {
  it('prepends one forwarding block per domain between the markers', () => {
    const patched = withLighthouseSection(ORIGINAL, ['clusterset.local', 'example.org'], '10.88.1.2')
    expect(patched).toBe(
      '#lighthouse-start AUTO-GENERATED SECTION. DO NOT EDIT\n' +
        'clusterset.local:53 {\n    forward . 10.88.1.2\n}\n' +
        'example.org:53 {\n    forward . 10.88.1.2\n}\n' +
        '#lighthouse-end\n' +
        ORIGINAL,
    )
  })

  it('replaces an earlier section, uses the root block’s port, and is removed cleanly', () => {
    const once = withLighthouseSection('.:5353 {\n}\n', ['clusterset.local'], '10.0.0.1')
    const twice = withLighthouseSection(once, ['clusterset.local'], '10.0.0.2')
    expect(twice.match(/lighthouse-start/g)).toHaveLength(1)
    expect(twice).toContain('clusterset.local:5353 {\n    forward . 10.0.0.2\n}')
    expect(removeLighthouseSection(twice)).toBe('.:5353 {\n}\n')
    expect(removeLighthouseSection(ORIGINAL)).toBe(ORIGINAL)
  })
})
