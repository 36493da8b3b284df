/**
 * subctl verify and subctl benchmark on the joined clusterset: every key passes over vxlan and
 * over wireguard (fail-over included, and the two-gateway fail-over with a second gateway node);
 * a clusterset broken on purpose fails with the broken probe named in the output and the JUnit;
 * --contexts prints the all-pairs matrix; Ctrl-C removes what verify made; the benchmarks print
 * their ratios. After each run no test namespace is left on any cluster.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Resources} from '../../src/k8s/resources.js'
import {SPECS_BY_KEY} from '../../src/services/verify/verify.js'
import {TEST_LABEL} from '../../src/services/verify/test-run.js'
import {eventually} from '../helpers/lab.js'
import {execEnvironment} from '../lab/operations.js'
import {HOST_NETNS} from '../lab/config.js'
import {sh, startProcess} from '../lab/sh.js'
import {addSecondGateway, ensureClusterset, removeSecondGateway, scratchDir, subctl, waitConnected, withClient} from './clusterset.js'
import {ensureWorkdir} from './workdir.js'
import {SUBCTL} from '../helpers/cli.js'

const CLUSTERS = ['c1', 'c2']

/** The test namespaces left on the clusters (none, after every run). */
async function leftovers(): Promise<string[]> {
  const names: string[] = []
  for (const cluster of [...CLUSTERS, 'broker']) {
    const namespaces = await withClient(cluster, (client) => client.list(Resources.Namespace, {labelSelector: TEST_LABEL}))
    names.push(...namespaces.items.map((namespace) => `${cluster}/${namespace.metadata.name}`))
  }

  return names
}

/** testcases, failures and skipped of a JUnit file, read by Python's XML parser. */
function junitCounts(path: string): {testcases: number; failures: number; skipped: number; classnames: string[]} {
  const script = 'import json, sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print(json.dumps({"testcases": len(r.findall(".//testcase")), "failures": len(r.findall(".//failure")), "skipped": len(r.findall(".//skipped")), "classnames": sorted({c.get("classname") for c in r.findall(".//testcase")})}))'
  return JSON.parse(sh(['python3', '-c', script, path]))
}

const ALL_SPECS = Object.values(SPECS_BY_KEY).reduce((sum, specs) => sum + specs.length, 0)

function report(line: string): void {
  process.stdout.write(`verify: ${line}\n`)
}

describe.each(['vxlan', 'wireguard'] as const)('subctl verify over %s', (driver) => {
  beforeAll(async () => {
    await ensureClusterset(driver)
  })

  it('passes every key, gateway-failover included, and writes a JUnit report with a testcase per spec and direction', async () => {
    const dir = scratchDir()
    const junit = join(dir, 'junit.xml')
    const started = Date.now()
    const result = await subctl(['verify', '--context', 'c1', '--tocontext', 'c2', '--disruptive-tests', '--junit-report', junit, '--report-md', join(dir, 'report.md')], {timeoutMs: 900_000})
    report(`${driver}, every key: ${result.stdout.trim().split('\n').pop()} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^Performing the following verifications: connectivity, basic-connectivity, service-discovery, compliance, gateway-failover$/m)
    expect(result.stdout).toMatch(new RegExp(`^✓ \\[connectivity\\] the active Gateway reports the connection to the remote cluster as connected \\(c1 -> c2, [\\d.]+ s\\): connected via ${driver}`, 'm'))
    expect(result.stdout).toMatch(/^✓ \[gateway-failover\] the active gateway pod is deleted: .* \(c2 -> c1, [\d.]+ s\): traffic resumed [\d.]+ s after the gateway pod was deleted$/m)
    expect(result.stdout).toMatch(/^- \[compliance\] .*: the compliance check is of libreswan's FIPS mode/m)
    const counts = junitCounts(junit)
    expect(counts).toMatchObject({failures: 0, testcases: ALL_SPECS * 2})
    expect(counts.classnames).toEqual(expect.arrayContaining(['connectivity.c1->c2', 'connectivity.c2->c1', 'service-discovery.c1->c2', 'gateway-failover.c2->c1']))
    // Skipped: the two specs that need a third cluster and the compliance check, each way; the two-gateway fail-over.
    expect(counts.skipped).toBe(8)
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^Passed: \d+ passed, 0 failed, 8 skipped\.$/m)
    expect(await leftovers()).toEqual([])
  })
})

describe('subctl verify and benchmark on the vxlan clusterset', () => {
  beforeAll(async () => {
    await ensureClusterset('vxlan')
  })

  afterAll(async () => {
    expect(await leftovers()).toEqual([])
  })

  it('fails over between two gateway nodes, measuring the outage', async () => {
    await addSecondGateway('c1')
    try {
      const result = await subctl(['verify', '--context', 'c1', '--tocontext', 'c2', '--only', 'gateway-failover', '--disruptive-tests'], {timeoutMs: 600_000})
      expect(result.code, result.stdout + result.stderr).toBe(0)
      const line = /^✓ \[gateway-failover\] two gateway nodes: when the active one stops being a gateway, the passive one takes over \(c1 -> c2, [\d.]+ s\): traffic resumed ([\d.]+) s after .*$/m.exec(result.stdout)
      expect(line, result.stdout).not.toBeNull()
      report(`two gateways: ${line?.[0].split(': ').slice(1).join(': ')}`)
    } finally {
      await removeSecondGateway('c1')
      await waitConnected('vxlan')
    }
  })

  it('fails on a broken clusterset, naming the broken probe in its output and its JUnit', async () => {
    // Non-gateway nodes reach their gateway over vx-submariner, UDP 4800: drop it on c1's gateway node.
    const rule = ['-p', 'udp', '--dport', '4800', '-j', 'DROP']
    sh(['ip', 'netns', 'exec', 'lab-c1-worker', 'iptables', '-I', 'INPUT', ...rule])
    const junit = join(scratchDir(), 'junit.xml')
    let result
    try {
      result = await subctl(['verify', '--context', 'c1', '--tocontext', 'c2', '--only', 'basic-connectivity', '--connection-timeout', '20', '--connection-attempts', '1', '--junit-report', junit], {timeoutMs: 600_000})
    } finally {
      sh(['ip', 'netns', 'exec', 'lab-c1-worker', 'iptables', '-D', 'INPUT', ...rule])
    }

    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^Error: E2E failed: [1-9] of 6 verifications failed\. The failing probes are named above and in /m)
    const probe = /^✗ \[basic-connectivity\] TCP from a non-gateway pod to a remote non-gateway pod \(c1 -> c2, [\d.]+ s\): the listener did not echo the connector's data back \(c1\/c1-control-plane pod tcp-check-pod-\S+ -> c2\/c2-control-plane listener tcp-check-listener-\S+ at 10\.9\.\d+\.\d+:1234\/tcp: .+\)$/m
    expect(result.stdout).toMatch(probe)
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toMatch(/<failure message="the listener did not echo the connector&apos;s data back" type="failure">c1\/c1-control-plane pod tcp-check-pod-\S+ -&gt; c2\/c2-control-plane listener \S+ at 10\.9\.\d+\.\d+:1234\/tcp: /)
    expect(junitCounts(junit).failures).toBeGreaterThan(0)
    await waitConnected('vxlan')
  })

  it('prints the all-pairs matrix of --contexts, the broker showing as not joined', async () => {
    const result = await subctl(['verify', '--contexts', 'broker,c1,c2'], {timeoutMs: 600_000})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^from \\ to +broker +c1 +c2$/m)
    expect(result.stdout).toMatch(/^broker +- +not joined +not joined$/m)
    expect(result.stdout).toMatch(/^c1 +not joined +- +✓ 3\/3$/m)
    expect(result.stdout).toMatch(/^c2 +not joined +✓ 3\/3 +-$/m)
    const json = await subctl(['verify', '--contexts', 'broker,c1,c2', '--only', 'basic-connectivity', '-o', 'json'], {timeoutMs: 600_000})
    expect(json.code).toBe(0)
    const document = JSON.parse(json.stdout)
    expect(document).toMatchObject({apiVersion: 'subctl/v1', counts: {failed: 0, passed: 4}, kind: 'VerifyReport', leftovers: [], passed: true})
    expect(document.matrix.notJoined).toEqual({broker: 'not joined'})
  })

  it('removes what it made when interrupted with Ctrl-C', async () => {
    const child = startProcess(['ip', 'netns', 'exec', HOST_NETNS, process.execPath, SUBCTL, 'verify', '--context', 'c1', '--tocontext', 'c2', '--only', 'connectivity'], {cwd: ensureWorkdir(), env: {...execEnvironment(), CI: 'true'}})
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    // Interrupt once the first spec passed: listeners and namespaces exist on both clusters.
    await eventually('the first spec to pass', async () => output.includes('✓ [connectivity]'), 120_000, 200)
    expect((await leftovers()).length).toBe(2)
    child.kill('SIGINT')
    const {exitCode} = await child
    expect(exitCode, output).toBe(130)
    expect(output).toMatch(/Interrupted: stopping verify and removing what it made/)
    expect(await leftovers()).toEqual([])
  })

  it('measures throughput and latency across the clusters and within one, with ratios to the same-cluster baseline', async () => {
    const throughput = await subctl(['benchmark', 'throughput', '--context', 'c1', '--tocontext', 'c2'], {timeoutMs: 600_000})
    expect(throughput.code, throughput.stdout + throughput.stderr).toBe(0)
    expect(throughput.stderr).toMatch(/Performing throughput tests from Gateway pod on cluster "c1" to Gateway pod on cluster "c2"/)
    expect(throughput.stdout).toMatch(/^Non-Gateway c1\/c1-control-plane +Gateway c1\/c1-worker +[\d.]+ [MG]bit\/s +\d+ +baseline$/m)
    expect(throughput.stdout).toMatch(/^Gateway c1\/c1-worker +Gateway c2\/c2-worker +[\d.]+ [MG]bit\/s +\d+ +[\d.]+x$/m)
    expect(throughput.stdout).toMatch(/^Non-Gateway c1\/c1-control-plane +Non-Gateway c2\/c2-control-plane +[\d.]+ [MG]bit\/s +\d+ +[\d.]+x$/m)
    report(`benchmark throughput:\n${throughput.stdout.trim()}`)

    const latency = await subctl(['benchmark', 'latency', '--context', 'c1', '--tocontext', 'c2', '-o', 'json'], {timeoutMs: 600_000})
    expect(latency.code, latency.stderr).toBe(0)
    const document = JSON.parse(latency.stdout)
    expect(document).toMatchObject({apiVersion: 'subctl/v1', benchmark: 'latency', kind: 'BenchmarkReport'})
    expect(document.passes.map((pass: {baseline: boolean}) => pass.baseline)).toEqual([true, false, false])
    for (const pass of document.passes.slice(1)) expect(pass.ratioToBaseline).toBeGreaterThan(0)
    for (const pass of document.passes) expect(pass.latency.latencyUs.min).toBeLessThanOrEqual(pass.latency.latencyUs.mean)
    report(`benchmark latency: ${document.passes.map((pass: {title: string; latency: {latencyUs: {mean: number}}; ratioToBaseline?: number}) => `${pass.title.replace('Performing latency tests from ', '')}: mean ${pass.latency.latencyUs.mean} µs${pass.ratioToBaseline ? ` (${pass.ratioToBaseline}x)` : ''}`).join('; ')}`)

    const intra = await subctl(['benchmark', 'latency', '--context', 'c1', '--intra-cluster'], {timeoutMs: 600_000})
    expect(intra.code, intra.stderr).toBe(0)
    expect(intra.stdout).toMatch(/^Mean Latency Microseconds:\t[\d.]+$/m)
    expect(intra.stdout).not.toMatch(/cluster "c2"/)
  })
})
