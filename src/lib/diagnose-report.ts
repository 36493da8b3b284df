/**
 * The results of `subctl diagnose`: one entry per finding, its versioned `-o json` document
 * (README, "JSON documents"), the summary counts and the exit rule (1 when anything failed, 0
 * when only warnings remain).
 */

export type CheckStatus = 'passed' | 'warning' | 'failed' | 'skipped'

export interface CheckResult {
  /** The subcommand that found it: k8s-version, cni, connections, deployment, kube-proxy-mode, service-discovery, globalnet, firewall intra-cluster, firewall inter-cluster, firewall nat-discovery. */
  check: string
  /** The kube context it ran on (for the inter-cluster checks, the local one). */
  cluster: string
  status: CheckStatus
  message: string
  /** Why it failed, as far as the check can tell. */
  cause?: string
  /** What to do about it. */
  fix?: string
  /** What was probed: addresses, ports, pods, and the output that was judged. */
  details?: Record<string, unknown>
}

/** A finding before it is tied to a check and a cluster. */
export type Finding = Omit<CheckResult, 'check' | 'cluster'>

export interface DiagnoseReport {
  apiVersion: 'subctl/v1'
  kind: 'DiagnoseReport'
  passed: boolean
  counts: {passed: number; warnings: number; failed: number; skipped: number}
  results: CheckResult[]
}

export function diagnoseReport(results: CheckResult[]): DiagnoseReport {
  const count = (status: CheckStatus) => results.filter((result) => result.status === status).length
  return {
    apiVersion: 'subctl/v1',
    counts: {failed: count('failed'), passed: count('passed'), skipped: count('skipped'), warnings: count('warning')},
    kind: 'DiagnoseReport',
    passed: count('failed') === 0,
    results,
  }
}

export function summaryLine(report: DiagnoseReport): string {
  const {failed, passed, skipped, warnings} = report.counts
  return `${passed} passed, ${failed} failed, ${warnings} warnings, ${skipped} skipped`
}

/** The text of a finding in table output: the message, then its cause and fix on lines of their own. */
export function findingText(finding: Finding): string {
  const lines = [finding.message]
  if (finding.cause) lines.push(`    Cause: ${finding.cause}`)
  if (finding.fix) lines.push(`    Fix: ${finding.fix}`)
  return lines.join('\n')
}

/** Pod output inside a one-line message: its non-empty lines joined, cut as upstream cuts it. */
export function podOutput(text: string): string {
  return truncated(text.split('\n').map((line) => line.trim()).filter(Boolean).join(' / '))
}

/** Pod output in a message, as upstream cuts it: 500 characters, then "... (truncated)". */
export function truncated(text: string, limit = 500): string {
  const characters = [...text]
  return characters.length > limit ? `${characters.slice(0, limit).join('')}... (truncated)` : text
}
