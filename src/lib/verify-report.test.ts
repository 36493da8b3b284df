import {describe, expect, it} from 'vitest'

import {sh} from '../../test/lab/sh.js'
import {junitXml, markdownReport, pairMatrix, resultLine, verifyReport, type SpecResult} from './verify-report.js'

const results: SpecResult[] = [
  {durationMs: 1200, from: 'c1', key: 'connectivity', name: 'pod to pod, non-gateway nodes', status: 'passed', to: 'c2'},
  {
    cause: 'MTU and MSS clamping: small packets pass, large ones do not',
    durationMs: 61_000,
    from: 'c2',
    key: 'connectivity',
    message: 'the listener never got the 3000-byte payload <uuid & co>',
    name: 'large payload, pod to pod',
    probe: {address: '10.8.1.7', observed: 'timed out after 60 s', port: 1234, protocol: 'TCP', source: 'c2/c2-worker', target: 'c1/c1-worker'},
    status: 'failed',
    to: 'c1',
  },
  {durationMs: 0, from: 'c1', key: 'compliance', message: 'no cable driver that can be checked runs', name: 'FIPS', status: 'skipped', to: 'c2'},
]

describe('verify’s reports', () => {
  it('writes JUnit XML that parses, with a testcase per spec and pair and the probe in the failure', () => {
    const text = junitXml(results)
    const parsed = sh(['python3', '-c', 'import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.read()); print(len(r.findall(".//testcase")), len(r.findall(".//failure")), len(r.findall(".//skipped")), r.get("failures"))'], {input: text})
    expect(parsed.trim()).toBe('3 1 1 1')
    expect(text).toContain('c2/c2-worker -&gt; c1/c1-worker at 10.8.1.7:1234/TCP: timed out after 60 s')
    expect(text).toContain('&lt;uuid &amp; co&gt;')
    expect(text).toContain('classname="connectivity.c2-&gt;c1"')
  })

  it('counts the results in a versioned JSON shape', () => {
    expect(verifyReport(results)).toMatchObject({apiVersion: 'subctl/v1', counts: {failed: 1, passed: 1, skipped: 1}, kind: 'VerifyReport', passed: false})
  })

  it('prints one line per spec without a terminal, naming the probe and the likely cause of a failure', () => {
    expect(resultLine(results[0] as SpecResult)).toBe('✓ [connectivity] pod to pod, non-gateway nodes (c1 -> c2, 1.2 s)')
    expect(resultLine(results[1] as SpecResult)).toMatch(/^✗ \[connectivity\] large payload, pod to pod \(c2 -> c1, 61\.0 s\): .* \(c2\/c2-worker -> c1\/c1-worker at 10\.8\.1\.7:1234\/TCP: timed out after 60 s\); likely cause: MTU/)
  })

  it('builds the all-pairs matrix, a context that is not joined filling its row and column', () => {
    expect(pairMatrix(['broker', 'c1', 'c2'], results, {broker: 'not joined'})).toEqual([
      ['from \\ to', 'broker', 'c1', 'c2'],
      ['broker', '-', 'not joined', 'not joined'],
      ['c1', 'not joined', '-', '✓ 1/1'],
      ['c2', 'not joined', '✗ 0/1', '-'],
    ])
  })

  it('summarises in Markdown', () => {
    const text = markdownReport(results, ['c1', 'c2'])
    expect(text).toContain('Failed: 1 passed, 1 failed, 1 skipped.')
    expect(text).toContain('| c1 | - | ✓ 1/1 |')
  })
})
