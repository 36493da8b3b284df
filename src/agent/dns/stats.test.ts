import {Registry} from 'prom-client'
import {describe, expect, it} from 'vitest'

import {DnsStats, metricType, registerDnsMetrics} from './stats.js'

describe('metricType', () => {
  it('names the types cluster DNS clients ask for and folds the rest into "other"', () => {
    expect(metricType(1)).toBe('A')
    expect(metricType('SRV')).toBe('SRV')
    expect(metricType(65_000)).toBe('other')
    expect(metricType('NAPTR')).toBe('other')
    expect(metricType(undefined)).toBe('none')
  })
})

describe('DnsStats and registerDnsMetrics', () => {
  it('counts per (transport, type, rcode) and sums several servers into one series at scrape time', async () => {
    const [first, second] = [new DnsStats(), new DnsStats()]
    first.answered(first.counter('udp', 'A', 0), 0.00003)
    first.answered(first.counter('udp', 'A', 0), 0.0002)
    second.answered(second.counter('udp', 'A', 0), 0.5)
    second.answered(second.counter('tcp', 'SRV', 3), 0.0007)
    second.malformed()
    expect(first.snapshot().latencyBuckets).toEqual([1, 1, 2, 2, 2, 2, 2, 2])

    const registry = new Registry()
    registerDnsMetrics(registry, async () => [first.snapshot(), second.snapshot()])
    const text = await registry.metrics()
    expect(text).toContain('lighthouse_dns_requests_total{rcode="0",transport="udp",type="A"} 3')
    expect(text).toContain('lighthouse_dns_requests_total{rcode="3",transport="tcp",type="SRV"} 1')
    expect(text).toContain('lighthouse_dns_request_duration_seconds_bucket{le="0.0001"} 1')
    expect(text).toContain('lighthouse_dns_request_duration_seconds_bucket{le="0.001"} 3')
    expect(text).toContain('lighthouse_dns_request_duration_seconds_bucket{le="+Inf"} 4')
    expect(text).toContain('lighthouse_dns_request_duration_seconds_count 4')
    expect(text).toContain('lighthouse_dns_malformed_total 1')
    expect(text).toMatch(/# TYPE lighthouse_dns_request_duration_seconds histogram/)
  })
})
