/**
 * verify's disruptive gate on a terminal (a pseudo-terminal from util-linux script): it asks, a
 * "no" drops the disruptive key (and with nothing left says why, exit 2), a "yes" goes on to the
 * clusters. The kubeconfig points at a closed port, so a run that goes on fails to connect.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {SUBCTL} from '../helpers/cli.js'
import {startProcess} from '../lab/sh.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-verify-gate-'))
const kubeconfig = join(dir, 'kubeconfig')
writeFileSync(
  kubeconfig,
  `apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
contexts: [{name: lab, context: {cluster: lab, user: lab}}]
current-context: lab
users: [{name: lab, user: {token: t}}]
`,
)

function onTerminal(args: string[], answer: string): Promise<{code: number | null; output: string}> {
  return new Promise((resolve, reject) => {
    // A wide terminal, so that the question is not wrapped.
    const command = `stty cols 200 rows 50; exec ${[process.execPath, SUBCTL, ...args].join(' ')}`
    const env: NodeJS.ProcessEnv = {...process.env, COLUMNS: '200', LINES: '50', TERM: 'xterm'}
    delete env.CI
    const child = startProcess(['script', '-qfec', command, '/dev/null'], {env})
    let output = ''
    let answered = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (!answered && output.includes('Are you sure you want to run them?')) {
        answered = true
        setTimeout(() => child.stdin?.write(`${answer}\r`), 200)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, output})
    })
  })
}

describe('the disruptive gate on a terminal', () => {
  const args = ['verify', '--kubeconfig', kubeconfig, '--context', 'lab', '--tocontext', 'lab', '--only', 'gateway-failover']

  it('drops the disruptive verification when the answer is no, and with nothing left says why', async () => {
    const {code, output} = await onTerminal(args, 'n')
    expect(output).toContain('You have specified disruptive verifications (gateway-failover). Are you sure you want to run them?')
    expect(output).toMatch(/please specify at least one verification to be performed \(gateway-failover is disruptive and was declined\)/)
    expect(code).toBe(2)
  })

  it('goes on to the clusters when the answer is yes', async () => {
    const {code, output} = await onTerminal(args, 'y')
    expect(output).toMatch(/Performing the following verifications: gateway-failover/)
    expect(output).toMatch(/Error: .*127\.0\.0\.1:1/)
    expect(code).toBe(1)
  })
})
