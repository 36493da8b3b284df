import {describe, expect, it} from 'vitest'

import {calicoFindings, cniFinding, ovnSchemaFinding} from './diagnose-cni.js'
import {corefileForwards, endToEndFinding, exportStatusFindings, type EndToEnd, type ExportedObjects} from './diagnose-discovery.js'
import {withLighthouseSection} from './corefile.js'

const objects = (changes: Partial<ExportedObjects> = {}): ExportedObjects => ({
  aggregatedImportExists: true,
  clusterId: 'c2',
  conditions: [
    {status: 'True', type: 'Valid'},
    {status: 'True', type: 'Ready'},
    {status: 'False', type: 'Conflict'},
  ],
  endpointSliceExists: true,
  localImportExists: true,
  localImportNamed: true,
  name: 'echo',
  namespace: 'demo',
  serviceExists: true,
  ...changes,
})

describe('the export status checks', () => {
  it('pass an export whose objects are all there', () => {
    expect(exportStatusFindings(objects())).toEqual([])
    expect(exportStatusFindings(objects({conditions: [{status: 'True', type: 'Valid'}, {status: 'True', type: 'Synced'}]}))).toEqual([])
  })

  it('warn of a missing Service, which Lighthouse must mark not valid', () => {
    expect(exportStatusFindings(objects({conditions: [{status: 'False', type: 'Valid'}], serviceExists: false}))).toEqual([expect.objectContaining({message: 'Exported Service demo/echo not found', status: 'warning'})])
    expect(exportStatusFindings(objects({serviceExists: false})).map((finding) => finding.status)).toEqual(['warning', 'failed'])
  })

  it('fail wrong conditions, a conflict and missing Lighthouse objects', () => {
    const messages = exportStatusFindings(
      objects({aggregatedImportExists: false, conditions: [{message: 'bad port', status: 'False', type: 'Valid'}, {status: 'True', type: 'Conflict'}], endpointSliceExists: false}),
    ).map((finding) => finding.message)
    expect(messages[0]).toMatch(/^The Valid condition of the ServiceExport demo\/echo is not True/)
    expect(messages[1]).toBe('The ServiceExport demo/echo has no Ready condition')
    expect(messages[2]).toMatch(/^The ServiceExport demo\/echo is in conflict/)
    expect(messages.slice(3)).toEqual(['No EndpointSlice of Lighthouse was found for the exported Service demo/echo of cluster "c2"', 'The aggregated ServiceImport demo/echo was not found'])
  })
})

describe('the CoreDNS forward', () => {
  it('is read from the Corefile block of the domain', () => {
    const corefile = '.:53 {\n    forward . /etc/resolv.conf\n}\n'
    expect(corefileForwards(withLighthouseSection(corefile, ['clusterset.local'], '10.99.0.7'), 'clusterset.local', '10.99.0.7')).toBe(true)
    expect(corefileForwards(withLighthouseSection(corefile, ['clusterset.local'], '10.99.0.8'), 'clusterset.local', '10.99.0.7')).toBe(false)
    expect(corefileForwards(corefile, 'clusterset.local', '10.99.0.7')).toBe(false)
  })
})

describe('the end-to-end verdict', () => {
  const resolved = (answers: string[], status = 'NOERROR') => ({answers, expect: 'any', matched: answers.length > 0, name: 'echo.demo.svc.clusterset.local', status, summary: '', type: 'A'})
  const connect = (passed: boolean) => ({answers: [], attempts: 3, errors: passed ? [] : ['connect ETIMEDOUT'], latencyMs: null, passed, protocol: 'tcp' as const, successes: passed ? 3 : 0, summary: '', target: 'x'})
  const probe = (changes: Partial<EndToEnd>): EndToEnd => ({corednsForwards: true, dnsName: 'echo.demo.svc.clusterset.local', importExists: true, lighthouseIp: '10.99.0.7', port: 8080, probedFrom: 'a pod on c1/n1', viaClusterDns: resolved(['243.0.0.1']), ...changes})

  it('names the hop that fails', () => {
    expect(endToEndFinding(probe({connect: connect(true)}))).toMatchObject({message: 'echo.demo.svc.clusterset.local resolves to 243.0.0.1 and answers on TCP 8080', status: 'passed'})
    expect(endToEndFinding(probe({connect: connect(false)})).details).toMatchObject({hop: 'data path'})
    expect(endToEndFinding(probe({importExists: false, viaClusterDns: resolved([], 'NXDOMAIN')})).details).toMatchObject({hop: 'import'})
    expect(endToEndFinding(probe({viaClusterDns: resolved([], 'SERVFAIL'), viaLighthouse: resolved([], 'ETIMEOUT')})).details).toMatchObject({hop: 'lighthouse DNS'})
    const forward = endToEndFinding(probe({corednsForwards: false, viaClusterDns: resolved([], 'NXDOMAIN'), viaLighthouse: resolved(['243.0.0.1'])}))
    expect(forward.details).toMatchObject({hop: 'CoreDNS forward'})
    expect(forward.fix).toMatch(/^Add back the clusterset\.local server block forwarding to 10\.99\.0\.7/)
  })
})

describe('the CNI checks', () => {
  it('follow upstream’s list of plugins', () => {
    expect(cniFinding(undefined).status).toBe('warning')
    expect(cniFinding('flannel')).toMatchObject({status: 'failed'})
    expect(cniFinding('Generic').status).toBe('warning')
    expect(cniFinding('kindnet')).toMatchObject({message: 'The detected CNI network plugin ("kindnet") is supported', status: 'passed'})
  })

  it('read the OVN DB schema and the Calico pools', () => {
    expect(ovnSchemaFinding('ovn-nbctl 22.03.0\nDB Schema 6.1.0').status).toBe('passed')
    expect(ovnSchemaFinding('DB Schema 5.32.1').status).toBe('failed')
    expect(ovnSchemaFinding('garbage').status).toBe('failed')
    const gateway = {metadata: {name: 'g'}, status: {connections: [{endpoint: {backend: 'vxlan', cable_name: 'cable-c2', cluster_id: 'c2', hostname: 'h', nat_enabled: false, private_ip: '', public_ip: '', subnets: ['10.9.0.0/16']}, status: 'connected' as const, statusMessage: ''}], haStatus: 'active' as const, localEndpoint: {backend: 'vxlan', cable_name: 'c1', cluster_id: 'c1', hostname: 'h', nat_enabled: false, private_ip: '', public_ip: '', subnets: ['10.8.0.0/16']}, statusFailure: '', version: ''}}
    expect(calicoFindings([], [gateway])[0]?.message).toBe('Could not find any IPPool with CIDR "10.9.0.0/16" for remote endpoint "cable-c2"')
    expect(calicoFindings([{metadata: {name: 'p'}, spec: {cidr: '10.9.0.0/16', disabled: true, natOutgoing: false}}, {metadata: {name: 'l'}, spec: {cidr: '10.8.0.0/16', vxlanMode: 'Never'}}], [gateway]).map((finding) => finding.message)).toEqual([
      'The IPPool "l" with CIDR "10.8.0.0/16" for the local endpoint has vxlanMode Never; it must be Always',
    ])
  })
})
