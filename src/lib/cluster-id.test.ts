import {describe, expect, it} from 'vitest'

import {clusterIdError, sanitizeClusterId, validObjectName} from './cluster-id.js'

describe('cluster IDs', () => {
  it('accepts DNS-1123 labels and explains what is wrong with others', () => {
    expect(clusterIdError('c1')).toBeUndefined()
    expect(clusterIdError('cluster-2')).toBeUndefined()
    expect(clusterIdError('Cluster1')).toMatch(/^Cluster1 is not a valid ClusterID \[a lowercase RFC 1123 label/)
    expect(clusterIdError('-c1')).toBeDefined()
    expect(clusterIdError('a'.repeat(64))).toMatch(/no more than 63 characters/)
  })

  it('sanitises kubeconfig cluster names as upstream does', () => {
    expect(sanitizeClusterId('A1-B2')).toBe('a1-b2')
    expect(sanitizeClusterId('a@#$b')).toBe('a-b')
    expect(sanitizeClusterId('@abc!@#123@')).toBe('0abc-1230')
    expect(sanitizeClusterId('.@#$_')).toBe('0')
    expect(sanitizeClusterId('kind-cluster1')).toBe('kind-cluster1')
  })

  it('makes valid object names', () => {
    expect(validObjectName('C1_West')).toBe('c1-west')
    expect(validObjectName('-x-')).toBe('x')
  })
})
