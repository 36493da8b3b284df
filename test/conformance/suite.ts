/**
 * The Multi-Cluster Services API conformance suite (../shared/conformance/mcs-api), kept unchanged:
 * built from its source with Go and cached like the lab's binaries, run against two lab clusters,
 * and its JUnit report read back spec by spec.
 */
import {createHash} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {CACHE_DIR, REPO} from '../lab/config.js'
import {sh, shAsync} from '../lab/sh.js'

export const SUITE_SOURCE = join(REPO, '..', 'shared', 'conformance', 'mcs-api')

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? filesUnder(path) : [path]
    })
}

/** The suite's test binary, built when the cache lacks this version of its source. */
export async function ensureConformanceSuite(log: (line: string) => void): Promise<string> {
  if (!existsSync(join(SUITE_SOURCE, 'conformance', 'go.mod'))) {
    throw new Error(`the MCS conformance suite is not at ${SUITE_SOURCE}: the project expects ../shared beside its checkout`)
  }

  const hash = createHash('sha256')
  for (const file of filesUnder(SUITE_SOURCE)) hash.update(relative(SUITE_SOURCE, file)).update(readFileSync(file))
  hash.update(sh(['go', 'env', 'GOVERSION']).trim())
  const binary = join(CACHE_DIR, `mcs-conformance-${hash.digest('hex').slice(0, 12)}.test`)
  if (existsSync(binary)) return binary

  // Its go.mod replaces sigs.k8s.io/mcs-api with the parent directory: build from a writable copy.
  const workdir = mkdtempSync(join(tmpdir(), 'mcs-api-'))
  try {
    log('building the MCS API conformance suite (first run only)')
    cpSync(SUITE_SOURCE, workdir, {recursive: true})
    mkdirSync(CACHE_DIR, {recursive: true})
    const staging = `${binary}.building-${process.pid}`
    await shAsync(['go', 'test', '-c', '-o', staging, '.'], {cwd: join(workdir, 'conformance'), env: {...process.env, CGO_ENABLED: '0'}})
    renameSync(staging, binary)
    return binary
  } finally {
    rmSync(workdir, {force: true, recursive: true})
  }
}

export interface SpecResult {
  /** The spec's full text, without its labels. */
  name: string
  labels: string[]
  status: 'passed' | 'failed' | 'skipped'
  seconds: number
  /** The first line of the failure, for a failed spec. */
  failure?: string
}

const unescape = (text: string) =>
  text.replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&#39;', "'").replaceAll('&#xA;', '\n').replaceAll('&amp;', '&')

/** The specs of a Ginkgo JUnit report (suite-level nodes such as [BeforeSuite] left out). */
export function parseJUnit(xml: string): SpecResult[] {
  const results: SpecResult[] = []
  for (const match of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attributes = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((attribute) => [attribute[1], unescape(attribute[2] ?? '')]))
    const fullName = attributes.name ?? ''
    if (!fullName.startsWith('[It]')) continue
    const labelled = /^\[It\]\s*(.*?)\s*(?:\[([^\]]*)\])?$/.exec(fullName)
    const body = match[2] ?? ''
    const failure = /<failure\b[^>]*message="([^"]*)"/.exec(body)
    const status = attributes.status === 'passed' ? 'passed' : attributes.status === 'skipped' || /<skipped\b/.test(body) ? 'skipped' : 'failed'
    results.push({
      ...(status === 'failed' && failure ? {failure: unescape(failure[1] ?? '').split('\n')[0]} : {}),
      labels: (labelled?.[2] ?? '').split(',').map((label) => label.trim()).filter(Boolean),
      name: (labelled?.[1] ?? fullName).replace(/\s+/g, ' '),
      seconds: Number(attributes.time ?? 0),
      status,
    })
  }

  return results
}

/** Runs the suite with c1 exporting and c2 importing; the reports land in `workdir`. */
export async function runConformanceSuite(binary: string, kubeconfig: string, workdir: string, log: string): Promise<SpecResult[]> {
  mkdirSync(workdir, {recursive: true})
  for (const report of ['junit.xml', 'report.json', 'report.html', 'report.yaml']) rmSync(join(workdir, report), {force: true})
  try {
    await shAsync(
      [binary, `-kubeconfig=${kubeconfig}`, '-contexts=c1,c2', '--ginkgo.v', '--ginkgo.no-color', '--ginkgo.timeout=2h', '--ginkgo.junit-report=junit.xml', '--ginkgo.json-report=report.json'],
      {cwd: workdir, log},
    )
  } catch (error) {
    // The suite exits non-zero when a spec fails; what counts is each spec's result.
    if (!existsSync(join(workdir, 'junit.xml'))) throw error
  }

  return parseJUnit(readFileSync(join(workdir, 'junit.xml'), 'utf8'))
}

export interface Verdict {
  spec: SpecResult
  /** A skipped spec fails the run too: the lab has the two clusters the suite needs. */
  outcome: 'passed' | 'failed' | 'skipped'
}

export interface Judgement {
  verdicts: Verdict[]
  /** Whether a spec that can only pass with a working exec passed. */
  execProven: boolean
  /** Every spec passed, and exec was shown to work. */
  ok: boolean
}

/** Holds the suite's results: every spec must pass, and one that needs a working exec among them. */
export function judge(specs: SpecResult[], execProofSpecs: string[]): Judgement {
  const verdicts = specs.map((spec): Verdict => ({outcome: spec.status, spec}))
  const execProven = specs.some((spec) => execProofSpecs.includes(spec.name) && spec.status === 'passed')
  return {execProven, ok: specs.length > 0 && execProven && verdicts.every((verdict) => verdict.outcome === 'passed'), verdicts}
}

/** The conformance table of the README: every spec, Required or Optional, and its result. */
export function markdownTable(judgement: Judgement): string {
  const rows = judgement.verdicts.map(({outcome, spec}) => {
    const level = spec.labels.includes('Required') ? 'Required' : spec.labels.includes('Optional') ? 'Optional' : '-'
    return `| ${spec.name.replaceAll('|', '\\|')} | ${level} | ${outcome} |`
  })
  return ['| spec | level | result |', '|---|---|---|', ...rows].join('\n') + '\n'
}
