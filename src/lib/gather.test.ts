import {describe, expect, it} from 'vitest'

import {commandFileName, defaultDirectory, parseModules, parseTypes, redact, resourceFileName, summaryHtml} from './gather.js'

describe('gather', () => {
  it('takes upstream’s types and modules, and names a wrong one', () => {
    expect(parseTypes(['logs', 'resources', 'logs'])).toEqual(['logs', 'resources'])
    expect(() => parseTypes(['log'])).toThrow('Invalid argument: "log" is not a supported type')
    expect(() => parseModules(['connectivity', 'dns'])).toThrow('Invalid argument: "dns" is not a supported module')
  })

  it('names files as upstream does', () => {
    expect(defaultDirectory(new Date('2026-12-01T21:05:09Z'))).toBe('submariner-20261201210509')
    expect(resourceFileName('gateways', 'submariner-operator', 'c1-worker')).toBe('gateways_submariner-operator_c1-worker.yaml')
    expect(resourceFileName('nodes', undefined, 'a:b')).toBe('nodes__a_b.yaml')
    expect(commandFileName('c1-worker', 'ip-routes')).toBe('c1-worker_ip-routes.log')
  })

  it('redacts every form of each secret, longest first', () => {
    const secrets = {apiServer: ['10.0.0.1:6443'], ca: ['Q0FDQQ==', '-----BEGIN CERTIFICATE-----\nabc'], psk: ['c2VjcmV0'], token: ['eyJtoken.with.parts', '']}
    const text = 'server 10.0.0.1:6443 token eyJtoken.with.parts ca Q0FDQQ== pem -----BEGIN CERTIFICATE-----\nabc psk c2VjcmV0'
    expect(redact(text, secrets)).toBe('server ##redacted-api-server## token ##redacted-token## ca ##redacted-ca## pem ##redacted-ca## psk ##redacted-ipsec-psk##')
  })

  it('writes a summary with escaped values and links to the files', () => {
    const html = summaryHtml({
      cluster: 'c<1>',
      clusterCIDRs: '10.8.0.0/16',
      cni: 'generic',
      gateways: ['c1-worker'],
      globalCIDR: 'N/A',
      kubernetesVersion: 'v1.36.3',
      logs: ['pod a.log'],
      masters: [],
      nodes: [{arch: 'amd64', ips: ['172.30.2.11'], kernel: '6.1', name: 'c1-worker', os: 'Debian'}],
      resources: ['gateways__x.yaml'],
      serviceCIDRs: '10.99.0.0/16',
      submarinerVersion: '0.19.0',
      subctlVersion: '0.19.0',
    })
    expect(html).toContain('<h1>Cluster "c&lt;1&gt;"</h1>')
    expect(html).toContain('<a href="pod%20a.log">pod a.log</a>')
    expect(html).toContain('<td>Gateways</td><td>1: c1-worker</td>')
  })
})
