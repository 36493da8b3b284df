import {describe, expect, it} from 'vitest'

import {compareVersions, needsUpgrade, reportClusters, roleOf, selfUpdateCommand, skewLines, skewReport, targetVersion} from './upgrade-plan.js'

describe('upgrade plan', () => {
  it('orders versions as semver, a pre-release before its release, and leaves non-versions unordered', () => {
    expect(compareVersions('0.18.0', '0.19.0')).toBe(-1)
    expect(compareVersions('v0.19.0', '0.19.0')).toBe(0)
    expect(compareVersions('0.19.0-rc1', '0.19.0')).toBe(-1)
    expect(compareVersions('1.0.0', '0.99.99')).toBe(1)
    expect(compareVersions('devel', '0.19.0')).toBeUndefined()
  })

  it('targets this subctl’s version, an older one on request, and sends a newer one to npm', () => {
    expect(targetVersion(undefined, '0.19.0', 'subctl')).toBe('0.19.0')
    expect(targetVersion('v0.18.2', '0.19.0', 'subctl')).toBe('0.18.2')
    expect(targetVersion('devel', '0.19.0', 'subctl')).toBe('devel')
    expect(() => targetVersion('0.20.0', '0.19.0', 'subctl')).toThrow(/cannot upgrade Submariner to 0\.20\.0/)
    try {
      targetVersion('0.20.0', '0.19.0', 'subctl')
    } catch (error) {
      expect((error as {hint?: string}).hint).toBe('Update subctl first with "npm install -g subctl@0.20.0", then run "subctl upgrade" again')
    }

    expect(() => targetVersion('0.19; rm -rf', '0.19.0', 'subctl')).toThrow(/is not a version/)
    expect(selfUpdateCommand('subctl')).toBe('npm install -g subctl@latest')
  })

  it('reports each component against the target, with the cluster’s role', () => {
    const member = {broker: false, cluster: 'c1', components: [{component: 'submariner-gateway', version: '0.18.0'}, {component: 'submariner-operator', version: 'v0.19.0'}], operator: true, submariner: {version: '0.18.0'}}
    const broker = {broker: true, cluster: 'broker', components: [{component: 'submariner-operator', version: '0.19.0'}], operator: true}
    const empty = {broker: false, cluster: 'x', components: [], operator: false}
    expect(skewReport([member, broker], '0.19.0')).toEqual([
      {cluster: 'c1', components: [{component: 'submariner-gateway', target: '0.19.0', upToDate: false, version: '0.18.0'}, {component: 'submariner-operator', target: '0.19.0', upToDate: true, version: 'v0.19.0'}], role: 'member'},
      {cluster: 'broker', components: [{component: 'submariner-operator', target: '0.19.0', upToDate: true, version: '0.19.0'}], role: 'broker'},
    ])
    expect([roleOf(empty), roleOf({...broker, serviceDiscovery: {}})]).toEqual(['none', 'broker+member'])
    expect([needsUpgrade(member), needsUpgrade(broker), needsUpgrade(empty)]).toEqual([true, true, false])
  })

  it('makes a table line per component, one for a cluster without any, and the document’s clusters', () => {
    const skew = [
      {cluster: 'c1', components: [{component: 'submariner-gateway', target: '0.19.0', upToDate: false, version: '0.18.0'}], role: 'member' as const},
      {cluster: 'x', components: [], role: 'none' as const},
      {cluster: 'gone', error: new Error('unreachable')},
    ]
    expect(skewLines(skew, '0.19.0', (error) => (error as Error).message).map((line) => `${line.cluster} ${line.component} ${line.state}`)).toEqual(['c1 submariner-gateway behind', 'x  nothing to upgrade', 'gone  unreachable'])
    const clusters = reportClusters(skew, [{applied: [{kind: 'Submariner', name: 'submariner'}], cluster: 'c1'}], false, (error) => (error as Error).message)
    expect(clusters).toEqual([
      {...skew[0], applied: [{kind: 'Submariner', name: 'submariner'}], upgraded: true},
      {...skew[1], applied: [], upgraded: false},
      {cluster: 'gone', error: 'unreachable'},
    ])
    expect(reportClusters(skew.slice(0, 1), [{applied: [], cluster: 'c1'}], true, String)[0]).toMatchObject({upgraded: false})
  })
})
