import {describe, expect, it} from 'vitest'

import {allocationConfigData, clusterSizeProblem, formatClusterInfo, GLOBALNET_KEYS, parseAllocationConfig, planAllocation, withAllocation} from './allocation.js'

const config = (clusters: Array<[string, string]>) =>
  parseAllocationConfig(
    {...allocationConfigData(GLOBALNET_KEYS, {clusterSize: 65536, enabled: true, range: '242.0.0.0/8'}), clusterinfo: formatClusterInfo(clusters.map(([id, cidr]) => ({cluster_id: id, global_cidr: [cidr]})))},
    GLOBALNET_KEYS,
  )

describe('allocation ConfigMaps', () => {
  it('reads and writes upstream’s format: JSON-quoted range, tab-indented clusterinfo', () => {
    const data = allocationConfigData(GLOBALNET_KEYS, {clusterSize: 65536, enabled: true, range: '242.0.0.0/8'})
    expect(data).toEqual({globalnetCidrRange: '"242.0.0.0/8"', globalnetClusterSize: '65536', globalnetEnabled: 'true'})
    expect(formatClusterInfo([{cluster_id: 'c1', global_cidr: ['242.0.0.0/16']}])).toBe('[\n\t{\n\t\t"cluster_id": "c1",\n\t\t"global_cidr": [\n\t\t\t"242.0.0.0/16"\n\t\t]\n\t}\n]')
    expect(parseAllocationConfig(data, GLOBALNET_KEYS)).toEqual({clusterSize: 65536, clusters: [], enabled: true, range: '242.0.0.0/8'})
  })

  it('reuses a cluster’s record, allocates the next free block, honours a requested CIDR unless it overlaps', () => {
    const existing = config([['c1', '242.0.0.0/16']])
    expect(planAllocation({clusterId: 'c1', config: existing, title: 'Globalnet'})).toMatchObject({cidr: '242.0.0.0/16', kind: 'reused'})
    expect(planAllocation({clusterId: 'c2', config: existing, title: 'Globalnet'})).toMatchObject({cidr: '242.1.0.0/16', kind: 'allocated', message: 'Allocated globalnet CIDR 242.1.0.0/16'})
    expect(planAllocation({clusterId: 'c2', config: existing, requested: '242.9.0.0/16', title: 'Globalnet'})).toMatchObject({cidr: '242.9.0.0/16', kind: 'specified'})
    expect(planAllocation({clusterId: 'c1', config: existing, requested: '242.9.0.0/16', title: 'Globalnet'})).toMatchObject({cidr: '242.0.0.0/16', kind: 'kept', warning: true})
    expect(() => planAllocation({clusterId: 'c2', config: existing, requested: '242.0.128.0/17', title: 'Globalnet'})).toThrow(/overlaps with cluster "c1"/)
    expect(planAllocation({clusterId: 'c3', config: existing, size: 4096, title: 'Globalnet'})).toMatchObject({cidr: '242.1.0.0/20'})
  })

  it('records allocations in place or appended, and checks cluster sizes', () => {
    const clusters = withAllocation([{cluster_id: 'c1', global_cidr: ['242.0.0.0/16']}], 'c2', '242.1.0.0/16')
    expect(withAllocation(clusters, 'c1', '242.5.0.0/16')).toEqual([
      {cluster_id: 'c1', global_cidr: ['242.5.0.0/16']},
      {cluster_id: 'c2', global_cidr: ['242.1.0.0/16']},
    ])
    expect(clusterSizeProblem(0, '242.0.0.0/8')).toBe('cluster size must be > 0')
    expect(clusterSizeProblem(10_000_000, '242.0.0.0/8')).toBe('cluster size 10000000, should be <= 8388608')
    expect(clusterSizeProblem(65536, '242.0.0.0/8')).toBeUndefined()
  })
})
