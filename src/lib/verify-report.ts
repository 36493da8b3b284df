/**
 * The results of `subctl verify` and the reports made of them: JUnit XML that CI systems read (one
 * testcase per spec and pair, a failure carrying the probe that failed), the versioned JSON of
 * `-o json`, a Markdown summary and the all-pairs matrix.
 */

/** What a failed spec probed: from where, to what, and what came back. */
export interface Probe {
  source: string
  target: string
  address: string
  port?: number
  protocol?: string
  /** What came back instead of the expected answer, e.g. "connection timed out after 60 s". */
  observed: string
}

export interface SpecResult {
  /** The --only key the spec belongs to. */
  key: string
  name: string
  from: string
  to: string
  status: 'passed' | 'failed' | 'skipped'
  durationMs: number
  /** Why it failed or was skipped. */
  message?: string
  /** The likely cause, when the failure says it (e.g. MTU and MSS clamping). */
  cause?: string
  probe?: Probe
}

/**
 * The `-o json` document of verify (README, "JSON documents"); its apiVersion changes only with an
 * incompatible change. `matrix` is there with --contexts; `leftovers` names what clean-up could
 * not remove.
 */
export interface VerifyReport {
  apiVersion: 'subctl/v1'
  kind: 'VerifyReport'
  passed: boolean
  counts: {passed: number; failed: number; skipped: number}
  results: SpecResult[]
  matrix?: {contexts: string[]; notJoined: Record<string, string>; rows: string[][]}
  leftovers: string[]
}

export function verifyReport(results: SpecResult[], extras: {matrix?: VerifyReport['matrix']; leftovers?: string[]} = {}): VerifyReport {
  const count = (status: SpecResult['status']) => results.filter((result) => result.status === status).length
  return {
    apiVersion: 'subctl/v1',
    counts: {failed: count('failed'), passed: count('passed'), skipped: count('skipped')},
    kind: 'VerifyReport',
    leftovers: extras.leftovers ?? [],
    ...(extras.matrix ? {matrix: extras.matrix} : {}),
    passed: count('failed') === 0 && (extras.leftovers ?? []).length === 0,
    results,
  }
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => ({'"': '&quot;', '&': '&amp;', "'": '&apos;', '<': '&lt;', '>': '&gt;'})[character] as string)
}

function probeText(probe: Probe): string {
  return `${probe.source} -> ${probe.target} at ${probe.address}${probe.port === undefined ? '' : `:${probe.port}`}${probe.protocol ? `/${probe.protocol}` : ''}: ${probe.observed}`
}

/** JUnit XML: a testsuite per key, a testcase per spec and pair. */
export function junitXml(results: SpecResult[], suite = 'subctl verify'): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3)
  const keys = [...new Set(results.map((result) => result.key))]
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suite)}" tests="${results.length}" failures="${results.filter((result) => result.status === 'failed').length}" skipped="${results.filter((result) => result.status === 'skipped').length}" time="${seconds(results.reduce((sum, result) => sum + result.durationMs, 0))}">`,
  ]
  for (const key of keys) {
    const cases = results.filter((result) => result.key === key)
    const failures = cases.filter((result) => result.status === 'failed').length
    const skipped = cases.filter((result) => result.status === 'skipped').length
    lines.push(`  <testsuite name="${xml(key)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${seconds(cases.reduce((sum, result) => sum + result.durationMs, 0))}">`)
    for (const result of cases) {
      const open = `    <testcase classname="${xml(`${key}.${result.from}->${result.to}`)}" name="${xml(result.name)}" time="${seconds(result.durationMs)}"`
      if (result.status === 'passed') {
        lines.push(`${open}/>`)
        continue
      }

      lines.push(`${open}>`)
      if (result.status === 'skipped') {
        lines.push(`      <skipped message="${xml(result.message ?? '')}"/>`)
      } else {
        const details = [result.probe ? probeText(result.probe) : undefined, result.cause ? `likely cause: ${result.cause}` : undefined].filter(Boolean).join('\n')
        lines.push(`      <failure message="${xml(result.message ?? 'failed')}" type="failure">${xml(details)}</failure>`)
      }

      lines.push('    </testcase>')
    }

    lines.push('  </testsuite>')
  }

  lines.push('</testsuites>')
  return `${lines.join('\n')}\n`
}

/** One line per spec, as printed without a terminal: ✓/✗/- with the name, the pair and the duration. */
export function resultLine(result: SpecResult): string {
  const mark = result.status === 'passed' ? '✓' : result.status === 'failed' ? '✗' : '-'
  const tail = result.status === 'failed' ? `: ${result.message ?? 'failed'}${result.probe ? ` (${probeText(result.probe)})` : ''}${result.cause ? `; likely cause: ${result.cause}` : ''}` : result.message ? `: ${result.message}` : ''
  return `${mark} [${result.key}] ${result.name} (${result.from} -> ${result.to}, ${(result.durationMs / 1000).toFixed(1)} s)${tail}`
}

/**
 * The all-pairs matrix of `--contexts`: a row per source, a column per target, a cell per pair
 * that says how many of its specs passed. A context that is not joined fills its row and column.
 */
export function pairMatrix(contexts: string[], results: SpecResult[], notJoined: Record<string, string> = {}): string[][] {
  const header = ['from \\ to', ...contexts]
  const rows = contexts.map((from) => [
    from,
    ...contexts.map((to) => {
      if (from === to) return '-'
      const reason = notJoined[from] ?? notJoined[to]
      if (reason) return reason
      const cell = results.filter((result) => result.from === from && result.to === to && result.status !== 'skipped')
      if (cell.length === 0) return 'n/a'
      const passed = cell.filter((result) => result.status === 'passed').length
      return passed === cell.length ? `✓ ${passed}/${cell.length}` : `✗ ${passed}/${cell.length}`
    }),
  ])
  return [header, ...rows]
}

/** The Markdown summary of `--report-md`. */
export function markdownReport(results: SpecResult[], contexts: string[], notJoined: Record<string, string> = {}): string {
  const report = verifyReport(results)
  const table = (rows: string[][]) => [rows[0] ?? [], (rows[0] ?? []).map(() => '---'), ...rows.slice(1)].map((row) => `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`).join('\n')
  const lines = [
    '# subctl verify',
    '',
    `${report.passed ? 'Passed' : 'Failed'}: ${report.counts.passed} passed, ${report.counts.failed} failed, ${report.counts.skipped} skipped.`,
    '',
    table(pairMatrix(contexts, results, notJoined)),
    '',
    table([['key', 'spec', 'pair', 'result', 'seconds', 'detail'], ...results.map((result) => [result.key, result.name, `${result.from} -> ${result.to}`, result.status, (result.durationMs / 1000).toFixed(1), [result.message, result.probe ? probeText(result.probe) : undefined, result.cause].filter(Boolean).join('; ')])]),
  ]
  return `${lines.join('\n')}\n`
}
