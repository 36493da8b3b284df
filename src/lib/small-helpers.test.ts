import {describe, expect, it} from 'vitest'

import {parseDuration} from './duration.js'
import {goDuration, parseGoDuration} from './duration-format.js'
import {imageFor, parseImageOverrides, pullPolicyFor} from './images.js'
import {kubernetesRequirements} from './requirements.js'
import {drawTopology, runningVersion, splitImage, type ClusterTopology} from './show.js'

describe('durations', () => {
  it('parses what users type and rejects the rest with the flag name', () => {
    expect(parseDuration('90')).toBe(90_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(() => parseDuration('5 minutes', '--wait')).toThrow('--wait "5 minutes" is not a duration')
  })

  it("writes and reads Go's Duration strings", () => {
    expect([0, 750, 78_500, 1_234_567, 2_500_000_000, 61_000_000_000].map(goDuration)).toEqual(['0s', '750ns', '78.5µs', '1.234567ms', '2.5s', '1m1s'])
    expect(parseGoDuration('78.5µs')).toBe(78_500)
    expect(parseGoDuration('1m1s')).toBe(61e9)
    expect(parseGoDuration('soon')).toBeUndefined()
  })
})

describe('images', () => {
  it('builds repository/image:version, honours overrides and the local repository', () => {
    expect(imageFor('submariner-gateway', {repository: 'quay.io/submariner', version: '0.19.0'})).toBe('quay.io/submariner/submariner-gateway:0.19.0')
    expect(imageFor('submariner-lighthouse-coredns', {repository: 'local', version: 'dev'})).toBe('lighthouse-coredns:dev')
    expect(imageFor('submariner-gateway', {overrides: {'submariner-gateway': 'my/gw:1'}})).toBe('my/gw:1')
    expect(pullPolicyFor('x/y:devel')).toBe('Always')
    expect(pullPolicyFor('x/y:0.19.0')).toBe('IfNotPresent')
  })

  it('rejects malformed and unknown overrides with upstream’s messages', () => {
    expect(parseImageOverrides(['submariner-operator=my/op:1'])).toEqual({'submariner-operator': 'my/op:1'})
    expect(() => parseImageOverrides(['submariner-operator'])).toThrow('Please use `a=b` syntax')
    expect(() => parseImageOverrides(['nope=x'])).toThrow('invalid image override component "nope"')
  })
})

describe('kubernetesRequirements', () => {
  it('needs 1.19 for connectivity and 1.21 for service discovery', () => {
    expect(kubernetesRequirements({major: '1', minor: '36'}, {connectivity: true, serviceDiscovery: true})).toEqual([])
    expect(kubernetesRequirements({major: '1', minor: '20+'}, {connectivity: true, serviceDiscovery: true})).toEqual([
      'Submariner service discovery requires Kubernetes 1.21; your cluster is running 1.20+',
    ])
    expect(kubernetesRequirements({major: '1', minor: '18'}, {connectivity: true, serviceDiscovery: false})).toHaveLength(1)
  })
})

describe('show helpers', () => {
  it('splits image references, registry ports included', () => {
    expect(splitImage('localhost:5000/submariner/gw:0.19.0', 'x')).toEqual({repository: 'localhost:5000/submariner', tag: '0.19.0'})
    expect(splitImage('gw', '0.19.0')).toEqual({repository: '', tag: '0.19.0'})
  })

  it('reads the running version from an agent start-up log', () => {
    expect(runningVersion('{"level":"info","msg":"starting","version":"0.19.0"}\n')).toBe('0.19.0')
    expect(runningVersion('nothing here')).toBe('Unavailable')
  })

  it('draws clusters, gateways, tunnels and the pairwise matrix', () => {
    const connection = {cableDriver: 'vxlan', localGateway: 'c1-worker', nat: false, subnets: [], status: 'connected', rttAverageMs: 0.0785}
    const clusters: ClusterTopology[] = [
      {
        cluster: 'c1',
        clusterCIDRs: ['10.8.0.0/16'],
        connections: [{...connection, cluster: 'c2', gateway: 'c2-worker', remoteIP: '172.30.3.11'}],
        gateways: [{driver: 'vxlan', failure: '', haStatus: 'active', ip: '172.30.2.11', node: 'c1-worker'}],
        installed: true,
        serviceCIDRs: ['10.88.0.0/16'],
      },
      {cluster: 'c2', clusterCIDRs: [], connections: [], gateways: [], installed: false, serviceCIDRs: []},
    ]
    const picture = drawTopology(clusters, false)
    expect(picture).toContain('c1  pods 10.8.0.0/16  services 10.88.0.0/16')
    expect(picture).toContain('└─ ● c1-worker (active, vxlan, 172.30.2.11)')
    expect(picture).toContain('══ ✓ connected ══▶ c2 (c2-worker 172.30.3.11)  rtt 78.5µs')
    expect(picture).toContain('(Submariner connectivity is not installed)')
    expect(picture).toMatch(/^c1 +- +✓ 79µs/m)
    expect(picture).not.toContain('\u001B[')
  })
})
