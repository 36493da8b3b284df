import {describe, expect, it} from 'vitest'

import type {EndpointSpec, Gateway} from '../api/submariner.js'
import {activeGatewayFinding, endpointOverlapFindings, gatewayConnectionFindings, interClusterFinding, intraClusterFinding, kubeProxyFinding, podFindings, routeAgentFindings, targetPort, type PodView} from './diagnose-checks.js'
import {diagnoseReport, findingText, summaryLine, truncated} from './diagnose-report.js'

const spec = (cluster: string, subnets: string[], extra: Partial<EndpointSpec> = {}): EndpointSpec => ({
  backend: 'vxlan',
  cable_name: `submariner-cable-${cluster}`,
  cluster_id: cluster,
  hostname: `${cluster}-worker`,
  nat_enabled: false,
  private_ip: '172.30.2.11',
  public_ip: '',
  subnets,
  ...extra,
})

describe('the CIDR overlap check', () => {
  it('names overlapping subnets between clusters, and two Endpoints of one cluster', () => {
    const findings = endpointOverlapFindings(
      [
        {name: 'a', spec: spec('c1', ['10.8.0.0/16'])},
        {name: 'b', spec: spec('c2', ['10.9.0.0/16'])},
        {name: 'c', spec: spec('c3', ['10.9.128.0/17'])},
        {name: 'd', spec: spec('c1', ['10.8.0.0/16'])},
      ],
      false,
    )
    expect(findings.map((finding) => finding.message)).toEqual(['Found multiple Submariner endpoints ("a" and "d") in cluster "c1"', 'CIDR "10.9.128.0/17" in cluster "c3" overlaps with cluster "c2" (CIDRs: [10.9.0.0/16])'])
    expect(findings[1]?.fix).toMatch(/--globalnet/)
    expect(endpointOverlapFindings([{name: 'a', spec: spec('c1', ['10.8.0.0/16'])}, {name: 'b', spec: spec('c2', ['10.9.0.0/16'])}], false)).toEqual([])
  })
})

const pod = (name: string, status: PodView['status'], labels: Record<string, string> = {}): PodView => ({metadata: {labels, name, namespace: 'submariner-operator'}, spec: {nodeName: 'n1'}, status})

describe('the pod checks', () => {
  it('fail a pod that does not run and a crash loop, and warn of frequent restarts', () => {
    const findings = podFindings([
      pod('pending', {phase: 'Pending'}),
      pod('looping', {containerStatuses: [{lastState: {terminated: {exitCode: 2}}, name: 'agent', restartCount: 3, state: {waiting: {reason: 'CrashLoopBackOff'}}}], phase: 'Running'}),
      pod('restarts', {containerStatuses: [{name: 'agent', restartCount: 7, state: {}}], phase: 'Running'}),
      pod('fine', {containerStatuses: [{name: 'agent', restartCount: 1, state: {}}], phase: 'Running'}),
    ])
    expect(findings.map((finding) => [finding.status, finding.message])).toEqual([
      ['failed', 'Pod "pending" is not running. (current state is Pending)'],
      ['failed', 'Container "agent" of pod "looping" on node "n1" is crash-looping (restarted 3 times)'],
      ['warning', 'Pod "restarts" has restarted 7 times'],
    ])
    expect(findings[1]?.cause).toBe('It exits with code 2 soon after it starts')
  })

  it('expect exactly one active gateway pod', () => {
    const active = (node: string) => pod(node, {phase: 'Running'}, {'gateway.submariner.io/node': node, 'gateway.submariner.io/status': 'active'})
    expect(activeGatewayFinding([active('a')])).toBeUndefined()
    expect(activeGatewayFinding([active('a'), active('b')])?.message).toBe('Expected one Gateway pod to be labeled as active. Found 2 on nodes [a b]')
    expect(activeGatewayFinding([])?.message).toBe('Expected one Gateway pod to be labeled as active. Found 0 on nodes []')
  })
})

describe('the connection checks', () => {
  const gateway = (connections: Array<{status: 'connected' | 'connecting' | 'error'; statusMessage: string}>, haStatus: 'active' | 'passive' = 'active'): Gateway => ({
    metadata: {name: 'c1-worker'},
    status: {connections: connections.map((connection) => ({...connection, endpoint: spec('c2', ['10.9.0.0/16'], {backend_config: {'udp-port': '4500'}})})), haStatus, localEndpoint: spec('c1', []), statusFailure: '', version: ''},
  })

  it('follow upstream: no gateways, no active one, none connected, in progress, not established', () => {
    expect(gatewayConnectionFindings([])[0]?.message).toBe('no gateways were detected')
    expect(gatewayConnectionFindings([gateway([], 'passive')])[0]?.message).toBe('No active gateway was found')
    expect(gatewayConnectionFindings([gateway([])])[0]?.message).toBe('There are no active connections on gateway "c1-worker"')
    expect(gatewayConnectionFindings([gateway([{status: 'connecting', statusMessage: ''}])])[0]).toMatchObject({message: 'Connection to cluster "c2" is in progress', status: 'warning'})
    const error = gatewayConnectionFindings([gateway([{status: 'error', statusMessage: 'no handshake'}])])[0]
    expect(error?.message).toMatch(/^Connection to cluster "c2" is not established\. Connection details:\n\{/)
    expect(error).toMatchObject({cause: 'no handshake', status: 'failed'})
    expect(error?.fix).toContain('UDP/4500 reaches 172.30.2.11')
    expect(gatewayConnectionFindings([gateway([{status: 'connected', statusMessage: ''}])])).toEqual([])
  })

  it('read the route agents, their failures included', () => {
    expect(routeAgentFindings([])[0]?.message).toBe('no route agents were detected')
    expect(routeAgentFindings([{metadata: {name: 'n1'}, status: {remoteEndpoints: []}}])[0]).toMatchObject({message: 'There are no remote endpoint connections on route agent "n1"', status: 'passed'})
    expect(routeAgentFindings([{metadata: {name: 'n1'}, status: {remoteEndpoints: [{spec: spec('c2', []), status: 'error', statusMessage: 'ping lost'}]}}])[0]?.message).toMatch(/^Route agent "n1": connection to cluster "c2" is not established/)
    expect(routeAgentFindings([{metadata: {name: 'n1'}, status: {remoteEndpoints: [], statusFailure: 'ip: no such device'}}])[0]).toMatchObject({cause: 'ip: no such device', status: 'failed'})
  })
})

describe('the probe verdicts', () => {
  it('read kube-proxy mode from ip a s kube-ipvs0', () => {
    expect(kubeProxyFinding('Device "kube-ipvs0" does not exist.').status).toBe('passed')
    expect(kubeProxyFinding("ip: can't find device 'kube-ipvs0'").status).toBe('passed')
    expect(kubeProxyFinding('5: kube-ipvs0: <BROADCAST,NOARP> mtu 1500').status).toBe('failed')
  })

  it('take the tunnel and NAT discovery ports from the Endpoint, and refuse unknown drivers', () => {
    expect(targetPort(spec('c1', [], {backend_config: {'udp-port': '4501'}}), 'tunnel', 4500)).toBe(4501)
    expect(targetPort(spec('c1', []), 'tunnel', 4600)).toBe(4600)
    expect(targetPort(spec('c1', []), 'nat-discovery', undefined)).toBe(4490)
    expect(() => targetPort(spec('c1', [], {backend: 'ovn'}), 'tunnel', undefined)).toThrow('could not determine the target port for cable driver "ovn"')
  })

  it('judge the intra-cluster sniffer: remote IP, then client IP', () => {
    const probe = {clientIp: '10.8.0.5', clientNode: 'c1-control-plane', cluster: 'c1', gatewayNode: 'c1-worker', remoteIp: '10.9.0.1', verbose: false}
    expect(intraClusterFinding('', probe)).toMatchObject({fix: 'Allow UDP/4800 between the nodes of c1', status: 'failed'})
    expect(intraClusterFinding('', probe).message).toMatch(/^UDP 4800 from c1-control-plane to c1-worker is dropped: /)
    expect(intraClusterFinding('IP 240.0.0.3.4242 > 10.9.0.1.8080: Flags [S]', probe).message).toMatch(/does not contain the client pod's IP/)
    expect(intraClusterFinding('IP 10.8.0.5.4242 > 10.9.0.1.8080: Flags [S]', probe).status).toBe('passed')
  })

  it('judge the inter-cluster sniffer by the marker, with ESP for libreswan on a private IP', () => {
    const probe = {address: '172.30.2.11', cluster: 'c1', esp: true, fromCluster: 'c2', fromNode: 'c2-control-plane', gatewayNode: 'c1-worker', kind: 'tunnel' as const, marker: 'abcd1234', port: 4500, verbose: false}
    expect(interClusterFinding('... abcd1234 ...', probe)).toMatchObject({message: 'Tunnels can be established on the gateway node of cluster "c1"', status: 'passed'})
    const failed = interClusterFinding('0 packets captured', probe)
    expect(failed.message).toMatch(/allows UDP\/4500 traffic and ESP traffic on the "c1-worker" node/)
    expect(failed.fix).toBe('Allow UDP/4500 and ESP (IP protocol 50) into c1-worker (172.30.2.11) from the nodes of c2, in the node\'s firewall and any cloud security group')
  })
})

describe('the diagnose report', () => {
  it('counts, passes with warnings only, and prints cause and fix under a finding', () => {
    const results = [
      {check: 'cni', cluster: 'c1', message: 'generic', status: 'warning' as const},
      {check: 'deployment', cluster: 'c1', message: 'ok', status: 'passed' as const},
    ]
    expect(diagnoseReport(results)).toMatchObject({apiVersion: 'subctl/v1', counts: {failed: 0, passed: 1, skipped: 0, warnings: 1}, kind: 'DiagnoseReport', passed: true})
    expect(diagnoseReport([...results, {check: 'cni', cluster: 'c2', message: 'x', status: 'failed'}]).passed).toBe(false)
    expect(summaryLine(diagnoseReport(results))).toBe('1 passed, 0 failed, 1 warnings, 0 skipped')
    expect(findingText({cause: 'why', fix: 'how', message: 'what', status: 'failed'})).toBe('what\n    Cause: why\n    Fix: how')
    expect(truncated('x'.repeat(501))).toBe(`${'x'.repeat(500)}... (truncated)`)
    expect(truncated('short')).toBe('short')
  })
})
