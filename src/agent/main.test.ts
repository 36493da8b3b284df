import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {startProcess} from '../../test/lab/sh.js'

const MAIN = join(import.meta.dirname, 'main.ts')

function startAgent(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = startProcess([process.execPath, '--import', 'tsx', MAIN, ...args], {env: {...process.env, ...env}})
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {child, exited, stderr: () => stderr}
}

describe('agent entry point', () => {
  it('keeps a role that only waits for its signal running, and stops it cleanly on SIGTERM', async () => {
    const agent = startAgent(['pause', '--metrics-port', '0'])
    await expect.poll(agent.stderr, {timeout: 10_000}).toContain('"msg":"starting"')
    const early = await Promise.race([agent.exited, new Promise((resolve) => setTimeout(() => resolve('running'), 1000))])
    expect(early).toBe('running')
    agent.child.kill('SIGTERM')
    expect(await agent.exited).toBe(0)
    expect(agent.stderr()).toContain('"msg":"stopped"')
  })

  it('answers --help with the roles and exit 0, and the image runs one of them by default', async () => {
    const help = startAgent(['--help'])
    expect(await help.exited).toBe(0)
    const dockerfile = readFileSync(join(import.meta.dirname, '..', '..', 'Dockerfile'), 'utf8')
    const command = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)?.[1] ?? '[]') as string[]
    expect(['nettest', 'operator', 'gateway', 'route-agent', 'lighthouse-agent', 'lighthouse-dns', 'globalnet']).toContain(command[0])
  })

  it('exits 2 with the list of roles for an unknown role, and for a bad --metrics-port', async () => {
    const unknown = startAgent(['juggle'])
    expect(await unknown.exited).toBe(2)
    expect(unknown.stderr()).toMatch(/roles: nettest, operator/)
    const badPort = startAgent(['pause', '--metrics-port', 'seventy'])
    expect(await badPort.exited).toBe(2)
    expect(badPort.stderr()).toContain('--metrics-port must be a port number')
  })

  it('runs globalnet only with a valid global CIDR', async () => {
    const base = {NODE_NAME: 'n1', SUBMARINER_CLUSTERID: 'c1'}
    const missing = startAgent(['globalnet', '--metrics-port', '0'], {...base, SUBMARINER_GLOBALCIDR: ''})
    expect(await missing.exited).toBe(2)
    expect(missing.stderr()).toContain('SUBMARINER_GLOBALCIDR is empty')

    const invalid = startAgent(['globalnet', '--metrics-port', '0'], {...base, SUBMARINER_GLOBALCIDR: '242.0.0.0/33'})
    expect(await invalid.exited).toBe(2)
    expect(invalid.stderr()).toContain('SUBMARINER_GLOBALCIDR:')
  })

  it('says which port is taken, and how to free it, when its metrics port is in use', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve))
    const {port} = blocker.address() as {port: number}
    try {
      const agent = startAgent(['pause', '--metrics-port', String(port)])
      expect(await agent.exited).toBe(1)
      expect(agent.stderr()).toContain(`port ${port} for /healthz and /metrics is taken on this node`)
    } finally {
      blocker.close()
    }
  })
})
