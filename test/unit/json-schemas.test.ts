/**
 * The JSON contract (issue 16): every kind has a schema in schemas/, the README there lists exactly
 * those kinds, and real output validates: the built CLI's documents that need no cluster (version,
 * errors, show over contexts that cannot be reached), and the documents of the pure report builders.
 * test/e2e/025-upstream-show.test.ts validates the show documents of joined clusters on the lab.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'

import {benchmarkReport} from '../../src/lib/benchmark-result.js'
import {diagnoseReport} from '../../src/lib/diagnose-report.js'
import {verifyReport} from '../../src/lib/verify-report.js'
import {subctl} from '../helpers/cli.js'
import {KINDS, SCHEMA_DIR, schemaProblems} from '../helpers/schemas.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-schemas-'))
// Two contexts whose API servers refuse connections on loopback: every cluster entry is an error.
const unreachable = join(dir, 'unreachable.kubeconfig')
writeFileSync(
  unreachable,
  `apiVersion: v1
kind: Config
clusters: [{name: a, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}, {name: b, cluster: {server: "https://127.0.0.1:2", insecure-skip-tls-verify: true}}]
contexts: [{name: a, context: {cluster: a, user: u}}, {name: b, context: {cluster: b, user: u}}]
current-context: a
users: [{name: u, user: {token: t}}]
`,
)

async function documentOf(args: string[], format: 'json' | 'yaml' = 'json'): Promise<{code: number | null; document: {kind: string; clusters?: Array<{cluster: string; error?: {code: string}}>}}> {
  const {code, stdout} = await subctl([...args, '-o', format])
  return {code, document: format === 'json' ? JSON.parse(stdout) : parseYaml(stdout)}
}

describe('JSON documents and their schemas', () => {
  it('has a schema for every kind the README lists, and no other', () => {
    const readme = readFileSync(join(SCHEMA_DIR, 'README.md'), 'utf8')
    const listed = [...readme.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1])
    expect([...KINDS].sort()).toEqual([...listed].sort())
    expect(KINDS.length).toBeGreaterThanOrEqual(15)
  })

  it('validates version, in JSON and YAML', async () => {
    for (const format of ['json', 'yaml'] as const) {
      const {code, document} = await documentOf(['version'], format)
      expect(code).toBe(0)
      expect(document.kind).toBe('Version')
      expect(schemaProblems(document)).toEqual([])
    }
  })

  it('validates a failure as an Error document', async () => {
    const {code, document} = await documentOf(['recover-broker-info', '--kubeconfig', unreachable])
    expect(code).toBe(1)
    expect(document).toMatchObject({error: {code: 'CLUSTER_UNREACHABLE'}, kind: 'Error'})
    expect(schemaProblems(document)).toEqual([])
    const usage = await documentOf(['version', '--no-such-flag'])
    expect(usage).toMatchObject({code: 2, document: {error: {code: 'USAGE'}, kind: 'Error'}})
    expect(schemaProblems(usage.document)).toEqual([])
    expect(schemaProblems({...document, error: {message: 'no code'}})).not.toEqual([])
  })

  it('keeps every cluster that could not be read, with its error, in show documents (topology too)', async () => {
    for (const command of ['connections', 'endpoints', 'gateways', 'networks', 'versions', 'brokers', 'all', 'topology']) {
      const {code, document} = await documentOf(['show', command, '--kubeconfig', unreachable, '--contexts', 'a,b'])
      expect(code, command).toBe(1)
      expect(document.clusters?.map((entry) => entry.cluster), command).toEqual(['a', 'b'])
      expect(document.clusters?.every((entry) => entry.error?.code === 'CLUSTER_UNREACHABLE'), command).toBe(true)
      expect(schemaProblems(document), command).toEqual([])
    }
  })

  it('validates the verify, diagnose and benchmark reports', () => {
    const verify = verifyReport([
      {durationMs: 1200, from: 'c1', key: 'connectivity', name: 'pod to pod', status: 'passed', to: 'c2'},
      {durationMs: 60_000, from: 'c1', key: 'connectivity', message: 'timed out', name: 'pod to service', probe: {address: '10.0.0.1', observed: 'timeout', port: 8080, protocol: 'tcp', source: 'p', target: 't'}, status: 'failed', to: 'c2'},
    ], {leftovers: []})
    const diagnose = diagnoseReport([{check: 'cni', cluster: 'c1', details: {plugin: 'generic'}, fix: 'f', message: 'm', status: 'warning'}])
    const end = {cluster: 'c1', node: 'n', role: 'Gateway'}
    const benchmark = benchmarkReport('throughput', [
      {baseline: true, from: end, throughput: {bitsPerSecond: 1e9, durationSeconds: 10, retransmits: 0}, title: 'a', to: end},
      {baseline: false, from: end, throughput: {bitsPerSecond: 5e8, durationSeconds: 10, retransmits: 2}, title: 'b', to: end},
    ])
    for (const report of [verify, diagnose, benchmark]) expect(schemaProblems(report), report.kind).toEqual([])
    expect(schemaProblems({...verify, results: [{...verify.results[0], durationMs: '1.2s'}]})).not.toEqual([])
  })
})
