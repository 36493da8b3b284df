import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {AGENT, run} from '../../../test/helpers/cli.js'
import {startProcess} from '../../../test/lab/sh.js'
import {parseConnectResult, parseLatencyResult, resolveMatches} from '../../lib/nettest-result.js'

const children: Array<ReturnType<typeof startProcess>> = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM')
})

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

/** Starts `nettest serve`; resolves (with the process, wrapped: the process is itself a promise of its end) once it listens. */
async function startServer(args: string[]): Promise<{child: ReturnType<typeof startProcess>}> {
  const child = startProcess([process.execPath, AGENT, 'nettest', ...args], {env: {...process.env, CLUSTER_ID: 'c9', POD_NAME: 'echo-pod'}})
  children.push(child)
  // The role logs "serving HTTP" etc. once listening; wait for the last listener it was asked for.
  await new Promise<void>((resolve, reject) => {
    let log = ''
    child.stderr?.on('data', (chunk) => {
      log += chunk
      if ((log.match(/"msg":"serving/g) ?? []).length >= args.filter((arg) => arg.endsWith('-port') && arg !== '--metrics-port').length) resolve()
    })
    child.on('exit', (code) => reject(new Error(`nettest serve exited with ${code}: ${log}`)))
  })
  return {child}
}

describe('the nettest role on loopback', () => {
  it('serves TCP, UDP and HTTP, and connect reports success, latency and a termination message', async () => {
    const [tcp, udp, http, metrics] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
    await startServer(['serve', '--tcp-port', String(tcp), '--udp-port', String(udp), '--http-port', String(http), '--metrics-port', String(metrics)])
    const terminationLog = join(mkdtempSync(join(tmpdir(), 'nettest-')), 'termination-log')
    writeFileSync(terminationLog, '')

    for (const [protocol, port] of [['tcp', tcp], ['udp', udp], ['http', http]] as const) {
      const result = await run(process.execPath, [AGENT, 'nettest', 'connect', '--target', `127.0.0.1:${port}`, '--protocol', protocol, '--count', '3', '--interval-ms', '10'], {
        env: {TERMINATION_MESSAGE_PATH: terminationLog},
      })
      expect(result.code).toBe(0)
      const parsed = parseConnectResult(result.stdout)
      expect(parsed).toMatchObject({attempts: 3, passed: true, protocol, successes: 3})
      expect(parsed?.latencyMs?.min).toBeGreaterThan(0)
      expect(readFileSync(terminationLog, 'utf8')).toMatch(new RegExp(`^3/3 ${protocol} attempts to 127.0.0.1:${port} succeeded`))
      if (protocol === 'http') expect(JSON.parse(parsed?.answers[0] ?? '{}')).toMatchObject({cluster: 'c9', pod: 'echo-pod'})
    }

    // The health and metrics endpoint answers too
    const metricsText = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text()
    expect(metricsText).toMatch(/nettest_requests_total\{protocol="tcp"\} 3/)
    expect((await fetch(`http://127.0.0.1:${metrics}/healthz`)).status).toBe(200)
  })

  it('fails with exit 1 and says why when nothing listens', async () => {
    const port = await freePort()
    const result = await run(process.execPath, [AGENT, 'nettest', 'connect', '--target', `127.0.0.1:${port}`, '--count', '2', '--interval-ms', '10'])
    expect(result.code).toBe(1)
    const parsed = parseConnectResult(result.stdout)
    expect(parsed).toMatchObject({passed: false, successes: 0})
    expect(parsed?.errors.join()).toMatch(/ECONNREFUSED/)
  })

  it('exits 2 on bad arguments and on an unknown role', async () => {
    expect((await run(process.execPath, [AGENT, 'nettest', 'connect', '--target', 'nowhere'])).code).toBe(2)
    expect((await run(process.execPath, [AGENT, 'nettest', 'teleport'])).code).toBe(2)
    const unknown = await run(process.execPath, [AGENT, 'no-such-role'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/roles: nettest/)
  })

  it('stops on SIGTERM with exit 0', async () => {
    const port = await freePort()
    const {child} = await startServer(['serve', '--tcp-port', String(port)])
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('fails an attempt whose echo is not the data it sent', async () => {
    // A server that answers every connection with bytes of its own, as a wrong listener would.
    const server = createServer((socket) => socket.on('data', (chunk) => socket.write(Buffer.alloc(chunk.length, 'z'))))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    try {
      const {port} = server.address() as {port: number}
      const result = await run(process.execPath, [AGENT, 'nettest', 'connect', '--target', `127.0.0.1:${port}`, '--payload-bytes', '3000'])
      expect(result.code).toBe(1)
      expect(parseConnectResult(result.stdout)?.errors).toEqual(['the echo differs from the data sent'])
    } finally {
      server.close()
    }
  })

  it('measures one-byte request/response latency against the echo server', async () => {
    const port = await freePort()
    await startServer(['serve', '--tcp-port', String(port)])
    const result = await run(process.execPath, [AGENT, 'nettest', 'latency', '--target', `127.0.0.1:${port}`, '--duration-ms', '300'])
    expect(result.code).toBe(0)
    const parsed = parseLatencyResult(result.stdout)
    expect(parsed?.transactions).toBeGreaterThan(10)
    const latency = parsed?.latencyUs
    expect(latency && latency.min <= latency.mean && latency.mean <= latency.max).toBe(true)
    // The rate is the inverse of the mean latency, as netperf's TCP_RR reports it.
    expect(Math.abs((parsed?.transactionRate ?? 0) - 1e6 / (latency?.mean ?? 1)) / (parsed?.transactionRate ?? 1)).toBeLessThan(0.01)
    const refused = await run(process.execPath, [AGENT, 'nettest', 'latency', '--target', `127.0.0.1:${await freePort()}`, '--duration-ms', '100'])
    expect(refused.code).toBe(1)
    expect(parseLatencyResult(refused.stdout)?.error).toMatch(/ECONNREFUSED/)
  })

  it('decides whether DNS answers are the expected ones', () => {
    expect(resolveMatches('any', ['10.0.0.1'])).toBe(true)
    expect(resolveMatches('any', [])).toBe(false)
    expect(resolveMatches('none', [])).toBe(true)
    expect(resolveMatches('10.0.0.2,10.0.0.1', ['10.0.0.1', '10.0.0.2'])).toBe(true)
    expect(resolveMatches('10.0.0.1', ['10.0.0.1', '10.0.0.2'])).toBe(false)
  })
})
