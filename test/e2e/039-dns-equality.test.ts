/**
 * Issue 17: our Lighthouse DNS answers what upstream's lighthouse-coredns answers, on the same
 * objects. Both run in the network namespace of c1's Lighthouse DNS pod (ours on 53, upstream's on
 * 15354 with the lab's admin kubeconfig) and are asked the same queries: A, AAAA and SRV (all
 * ports, a named port, an unknown port) of a ClusterIP service, cluster-qualified names, a
 * headless service per pod and per hostname, mixed case, unknown names, namespaces and clusters,
 * the apex, TXT, SOA and NS, and a name outside the zone.
 *
 * Each answer (rcode, AA, TC, the answer and authority sections) must equal upstream's, or differ
 * only as one of DELIBERATE says, each a fix with its reason; every fix on the list must still be
 * needed by some query, so that the list stays true.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Resources} from '../../src/k8s/resources.js'
import {ROOT} from '../helpers/cli.js'
import {eventually} from '../helpers/lab.js'
import {shAsync} from '../lab/sh.js'
import {deployEcho, deployWebStatefulSet, ensureClusterset, subctlOk, withClient} from './clusterset.js'
import {lighthouseDnsNetns, startUpstreamDns, type UpstreamDns} from './upstream.js'

const NAMESPACE = 'e2e-dns-equality'
const ZONE = 'clusterset.local'
const ECHO = `echo.${NAMESPACE}.svc.${ZONE}`
const WEB = `web.${NAMESPACE}.svc.${ZONE}`
const UPSTREAM_PORT = 15_354

interface Reply {
  name: string
  type: string
  rcode: string
  aa?: boolean
  tc?: boolean
  answers?: string[]
  authorities?: string[]
}

const QUERIES: Array<[string, string]> = [
  [ECHO, 'A'],
  [ECHO, 'AAAA'],
  [ECHO, 'SRV'],
  [`_http._tcp.${ECHO}`, 'SRV'],
  [`_tcp._tcp.${ECHO}`, 'SRV'],
  [`_nope._tcp.${ECHO}`, 'SRV'],
  [`c2.${ECHO}`, 'A'],
  [`c2.${ECHO}`, 'SRV'],
  [`c9.${ECHO}`, 'A'],
  [`EcHo.${NAMESPACE.toUpperCase()}.Svc.ClusterSet.LOCAL`, 'A'],
  [`_HTTP._Tcp.Echo.${NAMESPACE}.svc.${ZONE}`, 'SRV'],
  [WEB, 'A'],
  [WEB, 'SRV'],
  [`c2.${WEB}`, 'A'],
  [`web-0.c2.${WEB}`, 'A'],
  [`web-1.c2.${WEB}`, 'A'],
  [`WEB-1.C2.${WEB.toUpperCase()}`, 'A'],
  [`web-9.c2.${WEB}`, 'A'],
  [`_tcp._tcp.${WEB}`, 'SRV'],
  [`nothing.${NAMESPACE}.svc.${ZONE}`, 'A'],
  [`echo.nowhere.svc.${ZONE}`, 'A'],
  [`${NAMESPACE}.svc.${ZONE}`, 'A'],
  [ZONE, 'A'],
  [ZONE, 'SOA'],
  [ZONE, 'NS'],
  [ZONE, 'TXT'],
  [ECHO, 'TXT'],
  [`dns-version.${ZONE}`, 'TXT'],
  ['example.com', 'A'],
]

const negative = (reply: Reply) => (reply.answers ?? []).length === 0
const onlyZoneSoa = (records: string[] | undefined): boolean => records?.length === 1 && (records[0] ?? '').startsWith(`${ZONE} 5 SOA `)
const withoutAuthorities = (reply: Reply): Reply => ({...reply, authorities: []})
const same = (ours: Reply, upstream: Reply) => JSON.stringify(ours) === JSON.stringify(upstream)

/** Where ours answers otherwise, on purpose. `applies` recognises exactly that difference and nothing more. */
const DELIBERATE: Array<{fix: string; reason: string; applies: (ours: Reply, upstream: Reply) => boolean}> = [
  {
    applies: (ours, upstream) => negative(ours) && onlyZoneSoa(ours.authorities) && (upstream.authorities ?? []).length === 0 && same(withoutAuthorities(ours), upstream),
    fix: 'negative answers (NXDOMAIN, NODATA) carry the zone SOA in the authority section',
    reason: 'RFC 2308 §3: without it a resolver may not cache the negative answer, and asks again for every lookup of a missing name',
  },
  {
    applies: (ours, upstream) => ours.name === ZONE && ours.type !== 'SOA' && upstream.rcode === 'NXDOMAIN' && ours.rcode === 'NOERROR' && negative(ours) && onlyZoneSoa(ours.authorities),
    fix: 'the apex is NOERROR with no records (NODATA), not NXDOMAIN',
    reason: 'RFC 8020: NXDOMAIN says nothing exists at or below the name; at the apex it denies the whole zone to a resolver that caches it',
  },
  {
    applies: (ours, upstream) =>
      upstream.rcode === 'NOTIMP' && ours.rcode === 'NOERROR' && (negative(ours) ? onlyZoneSoa(ours.authorities) : ours.type === 'SOA' && onlyZoneSoa(ours.answers)),
    fix: 'a query type it holds no records of is NODATA (NOERROR, no answers); the apex SOA is answered',
    reason: 'RFC 1035 §4.1.1: NOTIMP is for an unsupported kind of query (opcode), not for a type; resolvers treat it as a server failure and try elsewhere',
  },
  {
    applies: (ours, upstream) => ours.name === `dns-version.${ZONE}` && upstream.rcode === 'NOTIMP' && ours.rcode === 'NOERROR' && ours.answers?.[0] === `dns-version.${ZONE} 5 TXT ["1.0.0"]`,
    fix: 'dns-version.clusterset.local TXT answers the schema version "1.0.0"',
    reason: 'the Kubernetes MCS DNS specification (KEP-1645, "Schema version") requires it',
  },
]

let directory: string
let netns: string
let upstream: UpstreamDns | undefined

async function ask(port: number, queries: Array<[string, string]>): Promise<Reply[]> {
  const file = join(directory, `queries-${port}.json`)
  writeFileSync(file, JSON.stringify(queries))
  const output = await shAsync(['ip', 'netns', 'exec', netns, process.execPath, join(ROOT, 'test', 'e2e', 'dns-ask.mjs'), String(port), file])
  return output.trim().split('\n').map((line) => JSON.parse(line) as Reply)
}

/** The sum of our pod's lighthouse_dns_requests_total series (all its workers). */
async function requestsCounted(): Promise<number> {
  const script = "const r = await fetch('http://127.0.0.1:9153/metrics'); console.log(await r.text())"
  const text = await shAsync(['ip', 'netns', 'exec', netns, process.execPath, '--input-type=module', '-e', script])
  return text
    .split('\n')
    .filter((line) => line.startsWith('lighthouse_dns_requests_total{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

beforeAll(async () => {
  await ensureClusterset('vxlan')
  await withClient('c2', async (client) => {
    await deployEcho(client, NAMESPACE)
    await deployWebStatefulSet(client, NAMESPACE)
  })
  for (const service of ['echo', 'web']) await subctlOk(['export', 'service', service, '-n', NAMESPACE, '--context', 'c2'])
  await withClient('c1', async (client) => {
    if (!(await client.tryGet(Resources.Namespace, NAMESPACE))) await client.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
  })
  directory = mkdtempSync(join(tmpdir(), 'subctl-dns-equality-'))
  netns = await lighthouseDnsNetns('c1')
  upstream = await startUpstreamDns(netns, 'c1', UPSTREAM_PORT)
  // Both have read every object once both answer the names that appear last (the headless pods).
  const ready: Array<[string, string]> = [
    [ECHO, 'A'],
    [`web-0.c2.${WEB}`, 'A'],
    [`web-1.c2.${WEB}`, 'A'],
  ]
  for (const port of [53, UPSTREAM_PORT]) {
    await eventually(`the DNS server on port ${port} to answer the exported names`, async () => (await ask(port, ready)).every((reply) => reply.answers?.length === 1), 120_000, 500)
  }
}, 900_000)

afterAll(async () => {
  await upstream?.stop()
  for (const cluster of ['c1', 'c2']) await withClient(cluster, (client) => client.delete(Resources.Namespace, NAMESPACE))
})

describe('Lighthouse DNS answers as upstream lighthouse-coredns does', () => {
  it('gives the same answer to every query, or one of the documented deliberate fixes', async () => {
    const before = await requestsCounted()
    const [ours, theirs] = [await ask(53, QUERIES), await ask(UPSTREAM_PORT, QUERIES)]
    expect(ours).toHaveLength(QUERIES.length)
    const used = new Set<string>()
    const unexplained: string[] = []
    for (const [index, reply] of ours.entries()) {
      const upstreamReply = theirs[index] as Reply
      expect(reply.rcode, `${reply.name} ${reply.type}`).not.toBe('TIMEOUT')
      if (same(reply, upstreamReply)) continue
      const fix = DELIBERATE.find((candidate) => candidate.applies(reply, upstreamReply))
      if (fix) used.add(fix.fix)
      else unexplained.push(`${reply.name} ${reply.type}:\n  ours     ${JSON.stringify(reply)}\n  upstream ${JSON.stringify(upstreamReply)}`)
    }

    expect(unexplained.join('\n')).toBe('')
    expect([...used].sort()).toEqual(DELIBERATE.map((fix) => fix.fix).sort())

    // The answers that matter carry data: not two servers agreeing on nothing.
    const byQuery = new Map(ours.map((reply) => [`${reply.name} ${reply.type}`, reply]))
    expect(byQuery.get(`${ECHO} A`)?.answers).toHaveLength(1)
    expect(byQuery.get(`${WEB} A`)?.answers).toHaveLength(2)
    expect(byQuery.get(`${WEB} SRV`)?.answers).toHaveLength(2)
    expect(byQuery.get(`web-9.c2.${WEB} A`)?.rcode).toBe('NXDOMAIN')
    expect(byQuery.get(`example.com A`)).toMatchObject({aa: false, rcode: 'REFUSED'})

    // Every query was counted, whichever worker answered it.
    expect((await requestsCounted()) - before).toBeGreaterThanOrEqual(QUERIES.length)
  })
})
