/**
 * `subctl upgrade` (issue 16) on the lab: c1 is joined again with an older --version, so that its
 * operator and components run that version's images; upgrade reports the skew, changes nothing
 * under --dry-run, then moves c1 to this version and waits for the rollout; the clusters connect
 * again. A version newer than this subctl is refused with the npm command that installs it.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {schemaProblems} from '../helpers/schemas.js'
import {BROKER_INFO, CLUSTERSET_IPS, ensureClusterset, subctl, subctlOk, waitConnected} from './clusterset.js'

const OLDER = '0.18.0'
const CURRENT = '0.19.0'

interface UpgradeDocument {
  kind: string
  targetVersion: string
  dryRun: boolean
  clusters: Array<{cluster: string; role?: string; upgraded?: boolean; components?: Array<{component: string; version: string; upToDate: boolean}>; applied?: Array<{kind: string}>}>
}

async function configuredVersions(cluster: string): Promise<string[]> {
  const {stdout} = await subctlOk(['show', 'versions', '--contexts', cluster, '-o', 'json'])
  const document = JSON.parse(stdout) as {clusters: Array<{versions: Array<{configured: string}>}>}
  return [...new Set(document.clusters[0]?.versions.map((row) => row.configured))]
}

describe('subctl upgrade', () => {
  beforeAll(() => ensureClusterset())
  // Whatever happened, c1 leaves at this version for the tests after this one.
  afterAll(() => ensureClusterset(), 600_000)

  it('refuses a version newer than itself, with the npm command that gets one', async () => {
    const {code, stderr} = await subctl(['upgrade', '--to-version', '99.0.0'])
    expect(code).toBe(2)
    expect(stderr).toBe(`Error: subctl ${CURRENT} cannot upgrade Submariner to 99.0.0: it carries the CRDs and operator of ${CURRENT}. Update subctl first with "npm install -g subctl@99.0.0", then run "subctl upgrade" again\n`)
  })

  it('moves a cluster joined at an older version to this one, after a dry run that changes nothing', async () => {
    const mode = CLUSTERSET_IPS ? [] : ['--enable-clusterset-ip=false']
    await subctlOk(['join', BROKER_INFO, '--context', 'c1', '--clusterid', 'c1', '--gateway-nodes', 'c1-worker', '--cable-driver', 'vxlan', '--air-gapped', '--version', OLDER, ...mode])
    expect(await configuredVersions('c1')).toEqual([OLDER])

    const dryRun = await subctlOk(['upgrade', '--contexts', 'broker,c1,c2', '--dry-run', '-o', 'json'])
    const planned = JSON.parse(dryRun.stdout) as UpgradeDocument
    expect(schemaProblems(planned)).toEqual([])
    const c1 = planned.clusters.find((entry) => entry.cluster === 'c1')
    expect(c1?.role).toBe('member')
    expect(c1?.components?.length).toBeGreaterThanOrEqual(4)
    expect(c1?.components?.every((row) => row.version === OLDER && !row.upToDate)).toBe(true)
    expect(planned.clusters.find((entry) => entry.cluster === 'c2')?.components?.every((row) => row.upToDate)).toBe(true)
    expect(planned.clusters.find((entry) => entry.cluster === 'broker')?.role).toBe('broker')
    expect(c1?.applied?.map((object) => object.kind)).toEqual(expect.arrayContaining(['CustomResourceDefinition', 'Deployment', 'Submariner', 'ServiceDiscovery']))
    expect(c1?.upgraded).toBe(false)
    expect(await configuredVersions('c1')).toEqual([OLDER])

    const done = await subctlOk(['upgrade', '--contexts', 'broker,c1,c2', '-o', 'json'])
    const report = JSON.parse(done.stdout) as UpgradeDocument
    expect(schemaProblems(report)).toEqual([])
    expect(report).toMatchObject({dryRun: false, targetVersion: CURRENT})
    expect(report.clusters.map((entry) => [entry.cluster, entry.upgraded])).toEqual([['broker', true], ['c1', true], ['c2', true]])
    expect(await configuredVersions('c1')).toEqual([CURRENT])
    await waitConnected('vxlan')
  }, 900_000)
})
