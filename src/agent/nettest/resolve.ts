/**
 * `nettest resolve`: a DNS lookup from inside a pod, through the resolver of its resolv.conf, that
 * waits for an expected answer. DNS in a clusterset is eventually consistent (an export reaches
 * the other clusters' DNS servers in a second or so), so the caller says what it expects and how
 * long it may take, and gets the last answer either way.
 */
import {Resolver} from 'node:dns/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'

import {ArgumentError, writeTerminationMessage, type AgentContext} from '../runtime/role.js'
import {resolveMatches, type ResolveResult} from '../../lib/nettest-result.js'
import {nonNegative} from './arguments.js'

export async function resolveMode(args: string[], context: AgentContext): Promise<number> {
  const {values} = parseArgs({
    args,
    options: {expect: {type: 'string'}, 'interval-ms': {type: 'string'}, name: {type: 'string'}, samples: {type: 'string'}, server: {type: 'string'}, type: {type: 'string'}, 'within-ms': {type: 'string'}},
    strict: true,
  })
  const name = values.name ?? ''
  if (name === '') throw new ArgumentError('nettest resolve needs --name')
  const type = (values.type ?? 'A').toUpperCase()
  if (type !== 'A' && type !== 'SRV') throw new ArgumentError(`--type must be A or SRV, got "${values.type}"`)
  const expect = values.expect ?? 'any'
  const within = nonNegative(values['within-ms'], 'within-ms', 0)
  const interval = Math.max(50, nonNegative(values['interval-ms'], 'interval-ms', 500))
  // Round robin answers one address a query: the union of several shows every cluster's.
  const samples = Math.max(1, nonNegative(values.samples, 'samples', 1))

  const resolver = new Resolver({timeout: 2000, tries: 2})
  // --server asks one DNS server (diagnose asks the Lighthouse DNS itself, past CoreDNS).
  if (values.server) {
    try {
      resolver.setServers([values.server])
    } catch {
      throw new ArgumentError(`--server must be IP or IP:PORT, got "${values.server}"`)
    }
  }
  const deadline = Date.now() + within
  let result: ResolveResult
  for (;;) {
    result = await lookUp(resolver, name, type, expect, samples)
    if (result.matched || Date.now() >= deadline || context.signal.aborted) break
    await sleep(interval, undefined, {signal: context.signal}).catch(() => undefined)
  }

  process.stdout.write(JSON.stringify(result) + '\n')
  writeTerminationMessage(result.summary, context.env)
  return result.matched ? 0 : 1
}

async function lookUp(resolver: Resolver, name: string, type: 'A' | 'SRV', expect: string, samples: number): Promise<ResolveResult> {
  const union = new Set<string>()
  let status = 'NOERROR'
  for (let sample = 0; sample < samples; sample++) {
    try {
      const answers = type === 'A' ? await resolver.resolve4(name) : (await resolver.resolveSrv(name)).map((record) => `${record.priority} ${record.weight} ${record.port} ${record.name}`)
      for (const answer of answers) union.add(answer)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'ERROR'
      // c-ares' codes for "no such name" and "no records of this type"
      status = code === 'ENOTFOUND' ? 'NXDOMAIN' : code === 'ENODATA' ? 'NODATA' : code
    }
  }

  if (union.size > 0) status = 'NOERROR'
  const answers = [...union].sort()
  const matched = resolveMatches(expect, answers)
  return {answers, expect, matched, name, status, summary: `${type} ${name}: ${answers.length > 0 ? answers.join(', ') : status}${matched ? '' : ` (expected ${expect})`}`, type}
}
