import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../cli/base-command.js'
import {connectionOptions, contextsFlag, kubeFlags, namespaceFlag, outputFlag, type OutputFormat, prefixedConnectionOptions, prefixedKubeFlags} from '../cli/flags.js'
import {renderGrid, serialize} from '../cli/output.js'
import {askConfirm, isInteractive} from '../cli/prompts.js'
import {drawsProgress} from '../cli/reporter.js'
import {interruptible} from '../cli/signals.js'
import {OPERATOR_NAMESPACE} from '../api/submariner.js'
import {SubctlError} from '../lib/errors.js'
import {parseImageOverrides} from '../lib/images.js'
import {silentReporter} from '../lib/reporter.js'
import {checkConnectionLimits, DISRUPTIVE, gateDisruptive, parseOnly, secondContextMissing, VERIFICATIONS} from '../lib/verify-plan.js'
import {junitXml, markdownReport, resultLine, verifyReport} from '../lib/verify-report.js'
import {checkReportPath, writeReportFile} from '../services/report-file.js'
import {verify} from '../services/verify/verify.js'

/** Upstream's --verbose line prefix: `Jan _2 15:04:05.000: `. */
function timestamped(line: string): string {
  const now = new Date()
  const month = now.toLocaleString('en-US', {month: 'short', timeZone: 'UTC'})
  return `${month} ${String(now.getUTCDate()).padStart(2, ' ')} ${now.toISOString().slice(11, 23)}: ${line}`
}

export default class Verify extends SubctlCommand {
  static override summary = 'Run the verification tests between clusters'
  static override description = `Starts test pods in the clusters and checks, pair by pair, that data crosses between them: pod to pod and pod to Service from gateway and non-gateway nodes and host-network pods, large payloads (a failure that small payloads pass is reported as an MTU problem), service discovery by clusterset names, and (disruptive, --disruptive-tests) gateway and route agent fail-over. Keys for --only: ${VERIFICATIONS.join(', ')}. Each spec prints a line with its result and duration; a failure names the probe that failed. Everything verify creates is removed at the end, also after a failure or Ctrl-C. Exit 1 on any failure.`

  static override examples = [
    '<%= config.bin %> verify --context c1 --tocontext c2 --only basic-connectivity',
    '<%= config.bin %> verify --context c1 --tocontext c2 --only connectivity,service-discovery --junit-report junit.xml',
    '<%= config.bin %> verify --context c1 --tocontext c2 --only gateway-failover --disruptive-tests',
    '<%= config.bin %> verify --contexts broker,c1,c2 -o json',
  ]

  static override flags = {
    ...kubeFlags,
    ...prefixedKubeFlags('to', 'the second cluster', OPERATOR_NAMESPACE),
    ...prefixedKubeFlags('extra', 'the third cluster', OPERATOR_NAMESPACE),
    namespace: namespaceFlag(OPERATOR_NAMESPACE, 'Namespace (accepted for compatibility; tests run in a namespace of their own)'),
    contexts: contextsFlag,
    'connection-attempts': Flags.integer({default: 2, description: 'Attempts of each connection test (>= 1)'}),
    'connection-timeout': Flags.integer({default: 60, description: 'Seconds each connection attempt may take (>= 20)'}),
    'disruptive-tests': Flags.boolean({default: false, description: `Run the disruptive verifications (${DISRUPTIVE.join(', ')}) without asking`}),
    'image-override': Flags.string({delimiter: ',', description: 'Override a component image: COMPONENT=IMAGE, e.g. submariner-nettest=repo/nettest:tag', multiple: true}),
    'junit-report': Flags.string({description: 'Write a JUnit XML report to this file'}),
    only: Flags.string({description: `Comma-separated verifications to run (default: all of ${VERIFICATIONS.join(', ')})`}),
    'operation-timeout': Flags.integer({default: 240, description: 'Seconds to wait for each Kubernetes operation'}),
    output: outputFlag,
    'packet-size': Flags.integer({default: 3000, description: 'Bytes of the payload of the large-packet test'}),
    'report-md': Flags.string({description: 'Write a Markdown summary to this file'}),
    'submariner-namespace': Flags.string({default: OPERATOR_NAMESPACE, description: 'Accepted for compatibility with upstream, which ignores it too'}),
    verbose: Flags.boolean({default: false, description: 'Print what verify does, with timestamps'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Verify)
    const format = flags.output as OutputFormat
    const limits = {
      connectionAttempts: flags['connection-attempts'],
      connectionTimeoutSeconds: flags['connection-timeout'],
      operationTimeoutSeconds: flags['operation-timeout'],
      packetSize: flags['packet-size'],
    }
    checkConnectionLimits(limits)
    const imageOverrides = parseImageOverrides(flags['image-override'] ?? [])
    const requested = parseOnly(flags.only)
    for (const [flag, path] of [['--junit-report', flags['junit-report']], ['--report-md', flags['report-md']]] as const) if (path) await checkReportPath(path, flag)
    const to = prefixedConnectionOptions(flags, 'to', {kubeconfig: flags.kubeconfig})
    if (!to && !flags.contexts?.length) {
      throw secondContextMissing()
    }

    const needsConsent = requested.some((key) => DISRUPTIVE.includes(key)) && !flags['disruptive-tests']
    const confirmed = needsConsent && isInteractive() ? await askConfirm('You have specified disruptive verifications (gateway-failover). Are you sure you want to run them?') : undefined
    const gate = gateDisruptive(requested, {allowed: flags['disruptive-tests'], interactive: isInteractive(), ...(confirmed === undefined ? {} : {confirmed})})
    if (gate.message) process.stderr.write(`${gate.message}\n`)
    if (format === 'table') {
      this.log(flags.contexts?.length ? `Performing the matrix verifications (pod to pod, pod to Service, DNS) of ${gate.keys.join(', ')} on every pair of: ${flags.contexts.join(', ')}` : `Performing the following verifications: ${gate.keys.join(', ')}`)
    }

    const drawn = format === 'table' && drawsProgress()
    const extra = prefixedConnectionOptions(flags, 'extra', {kubeconfig: flags.kubeconfig})
    const outcome = await interruptible('verify', (signal) =>
      verify(
        {
          contexts: flags.contexts ?? [],
          from: connectionOptions(flags),
          imageOverrides,
          keys: gate.keys,
          limits,
          operationTimeoutSeconds: limits.operationTimeoutSeconds,
          ...(to ? {to} : {}),
          ...(extra ? {extra} : {}),
        },
        {
          log: flags.verbose ? (line) => process.stderr.write(`${timestamped(line)}\n`) : () => {},
          onResult: (result) => {
            if (format === 'table' && !drawn) this.log(resultLine(result))
          },
          reporter: drawn ? this.reporter(format) : silentReporter,
          signal,
        },
      ),
    )

    const {results, leftovers, matrix, warnings} = outcome.value
    for (const warning of warnings) process.stderr.write(`⚠ ${warning}\n`)
    const report = verifyReport(results, {leftovers, ...(matrix ? {matrix} : {})})
    if (flags['junit-report']) await writeReportFile(flags['junit-report'], junitXml(results))
    if (flags['report-md']) await writeReportFile(flags['report-md'], markdownReport(results, matrix?.contexts ?? [...new Set(results.flatMap((result) => [result.from, result.to]))], matrix?.notJoined))
    if (format !== 'table') {
      process.stdout.write(await serialize(format, report))
    } else {
      if (matrix) this.log(`\n${renderGrid(matrix.rows)}`)
      for (const leftover of leftovers) process.stderr.write(`⚠ not cleaned up: ${leftover}\n`)
      this.log(`${report.counts.passed} passed, ${report.counts.failed} failed, ${report.counts.skipped} skipped`)
    }

    if (outcome.interrupted) this.exit(130)
    if (!report.passed) {
      if (format !== 'table') this.exit(1)
      throw new SubctlError('E2E_FAILED', `E2E failed: ${report.counts.failed} of ${results.length} verifications failed${leftovers.length > 0 ? `, and ${leftovers.length} objects were not cleaned up` : ''}`, {
        hint: 'The failing probes are named above' + (flags['junit-report'] ? ` and in ${flags['junit-report']}` : ''),
      })
    }
  }
}
