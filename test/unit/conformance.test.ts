import {describe, expect, it} from 'vitest'

import {judge, markdownTable, parseJUnit} from '../conformance/suite.js'

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" disabled="0" errors="0" failures="1" time="12.5">
  <testsuite name="Conformance" package="/tmp/c" tests="4" failures="1" time="12.5">
    <testcase name="[BeforeSuite]" classname="Conformance" status="passed" time="0.1"></testcase>
    <testcase name="[It] Connectivity to a service that is not exported should be inaccessible [Required]" classname="Conformance" status="passed" time="3.5">
      <system-err>STEP: x</system-err>
    </testcase>
    <testcase name="[It] A ServiceImport should only exist as long as there&#39;s at least one exporting cluster [Required]" classname="Conformance" status="failed" time="20.0">
      <failure message="Timed out after 20.000s.&#xA;more" type="failed">details</failure>
    </testcase>
    <testcase name="[It] A DNS lookup should resolve &lt;service&gt; [Optional, DNS, ClusterIP]" classname="Conformance" status="skipped" time="0">
      <skipped message="skipped"></skipped>
    </testcase>
  </testsuite>
</testsuites>`

describe('the conformance suite’s JUnit report', () => {
  it('reads each spec with its labels, status and first failure line, leaving suite nodes out', () => {
    expect(parseJUnit(REPORT)).toEqual([
      {labels: ['Required'], name: 'Connectivity to a service that is not exported should be inaccessible', seconds: 3.5, status: 'passed'},
      {failure: 'Timed out after 20.000s.', labels: ['Required'], name: "A ServiceImport should only exist as long as there's at least one exporting cluster", seconds: 20, status: 'failed'},
      {labels: ['Optional', 'DNS', 'ClusterIP'], name: 'A DNS lookup should resolve <service>', seconds: 0, status: 'skipped'},
    ])
  })
})

describe('judging a run', () => {
  const specs = parseJUnit(REPORT)
  const passing = 'Connectivity to a service that is not exported should be inaccessible'

  it('holds when every spec passed and an exec-proof spec is among them', () => {
    const result = judge(specs.slice(0, 1), [passing])
    expect(result).toMatchObject({execProven: true, ok: true})
    expect(markdownTable(result)).toContain('| Connectivity to a service that is not exported should be inaccessible | Required | passed |')
  })

  it('fails on a failed spec, a skipped spec, no spec, or no proof that exec works', () => {
    expect(judge(specs.slice(0, 2), [passing]).ok).toBe(false)
    // The lab has both clusters the suite needs: a skipped spec is a failure of the setup.
    expect(judge(specs, [passing]).verdicts.map((verdict) => verdict.outcome)).toEqual(['passed', 'failed', 'skipped'])
    expect(judge([specs[0], specs[2]].filter((spec) => spec !== undefined), [passing]).ok).toBe(false)
    expect(judge(specs.slice(0, 1), ['another spec'])).toMatchObject({execProven: false, ok: false})
    expect(judge([], []).ok).toBe(false)
  })
})
