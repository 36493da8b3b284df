import {describe, expect, it} from 'vitest'

import {benchmarkReport, benchmarkRows, formatBits, latencyLines, parseIperfJson, type BenchmarkPass} from './benchmark-result.js'
import {latencySummary} from './nettest-result.js'

const iperf = (bits: number, retransmits = 3) => JSON.stringify({end: {sum_received: {bits_per_second: bits, seconds: 10.01}, sum_sent: {retransmits}}, start: {}})
const end = (cluster: string, role: string) => ({cluster, node: `${cluster}-${role === 'Gateway' ? 'worker' : 'control-plane'}`, role})

describe('benchmark results', () => {
  it('reads iperf3 -J output, and says what iperf3 said when it failed', () => {
    expect(parseIperfJson(`warning: something\n${iperf(9.5e9)}`)).toEqual({bitsPerSecond: 9.5e9, durationSeconds: 10.01, retransmits: 3})
    expect(() => parseIperfJson(JSON.stringify({error: 'unable to connect to server: Connection refused'}))).toThrow('iperf3: unable to connect to server: Connection refused')
    expect(() => parseIperfJson('iperf3: error - unable to connect')).toThrow(/printed no JSON result: iperf3: error - unable to connect/)
    expect(() => parseIperfJson(JSON.stringify({end: {}}))).toThrow('no received throughput')
  })

  it('formats rates with SI units', () => {
    expect(formatBits(950)).toBe('950.00 bit/s')
    expect(formatBits(9_680_000_000)).toBe('9.68 Gbit/s')
  })

  it('divides each pass by the same-cluster baseline: throughput and mean latency', () => {
    const passes: BenchmarkPass[] = [
      {baseline: true, from: end('c1', 'Non-Gateway'), throughput: parseIperfJson(iperf(10e9)), title: 'baseline', to: end('c1', 'Gateway')},
      {baseline: false, from: end('c1', 'Gateway'), throughput: parseIperfJson(iperf(8e9)), title: 'gw', to: end('c2', 'Gateway')},
    ]
    const report = benchmarkReport('throughput', passes)
    expect(report).toMatchObject({apiVersion: 'subctl/v1', benchmark: 'throughput', kind: 'BenchmarkReport'})
    expect(report.passes.map((pass) => pass.ratioToBaseline)).toEqual([undefined, 0.8])
    expect(benchmarkRows(report)[2]).toEqual(['Gateway c1/c1-worker', 'Gateway c2/c2-worker', '8.00 Gbit/s', '3', '0.8x'])

    const latency = benchmarkReport('latency', [
      {baseline: true, from: end('c1', 'Non-Gateway'), latency: latencySummary('a', [100, 100]), title: 'baseline', to: end('c1', 'Gateway')},
      {baseline: false, from: end('c1', 'Non-Gateway'), latency: latencySummary('b', [150, 150]), title: 'cross', to: end('c2', 'Non-Gateway')},
    ])
    expect(latency.method).toMatch(/netperf TCP_RR equivalent/)
    expect(latency.passes[1]?.ratioToBaseline).toBe(1.5)
  })

  it('prints latency as upstream prints netperf’s figures, header and value', () => {
    expect(latencyLines(latencySummary('a', [100, 200, 300]))).toEqual([
      'Minimum Latency Microseconds:\t100',
      'Mean Latency Microseconds:\t200',
      'Maximum Latency Microseconds:\t300',
      'Stddev Latency Microseconds:\t81.65',
      'Transaction Rate Tran/s:\t5000',
    ])
    expect(latencyLines({...latencySummary('a', []), error: 'connect ECONNREFUSED'})).toEqual(['No transaction completed: connect ECONNREFUSED'])
  })
})
