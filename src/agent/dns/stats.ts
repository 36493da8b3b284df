/**
 * The DNS server's metrics, counted in plain numbers on the hot path and turned into Prometheus
 * series only when /metrics is scraped: prom-client's label hashing per query cost more than
 * answering it. Several servers' stats (one per worker) add up into the same series.
 *
 *   lighthouse_dns_requests_total{transport,type,rcode}   counter
 *   lighthouse_dns_request_duration_seconds                histogram
 *   lighthouse_dns_malformed_total                         counter
 */
import type {MetricObjectWithValues, MetricValue, Registry} from 'prom-client'

/** Upper bounds of the latency buckets, in seconds. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01] as const

/**
 * The query type as a metric label: the types a client of cluster DNS asks for, else "other". A
 * label per type a packet names would let a hostile client grow the metrics without bound.
 */
const METRIC_TYPES = new Map<number, string>([
  [1, 'A'],
  [2, 'NS'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [12, 'PTR'],
  [16, 'TXT'],
  [28, 'AAAA'],
  [33, 'SRV'],
  [255, 'ANY'],
])
const METRIC_TYPE_NAMES = new Set(METRIC_TYPES.values())
/** The label of a question type, by its number (off the wire) or its name (from dns-packet). */
export function metricType(type: number | string | undefined): string {
  if (type === undefined) return 'none'
  if (typeof type === 'string') return METRIC_TYPE_NAMES.has(type) ? type : 'other'
  return METRIC_TYPES.get(type) ?? 'other'
}

/** What one server counted; plain data, so that a worker can send it to the primary as it is. */
export interface DnsStatsSnapshot {
  /** By "transport type rcode". */
  requests: Record<string, number>
  /** Cumulative counts per bucket of LATENCY_BUCKETS, then +Inf. */
  latencyBuckets: number[]
  latencySum: number
  malformed: number
}

/** The count of one (transport, type, rcode): a cached answer keeps its own, so a hit builds no key. */
export interface RequestCounter {
  count: number
}

export class DnsStats {
  readonly #requests = new Map<string, RequestCounter>()
  readonly #buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0)
  #latencySum = 0
  #malformed = 0

  counter(transport: string, type: string, rcode: number): RequestCounter {
    const key = `${transport} ${type} ${rcode}`
    let counter = this.#requests.get(key)
    if (!counter) this.#requests.set(key, (counter = {count: 0}))
    return counter
  }

  answered(counter: RequestCounter, seconds: number): void {
    counter.count++
    let bucket = 0
    while (bucket < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[bucket] as number)) bucket++
    this.#buckets[bucket] = (this.#buckets[bucket] as number) + 1
    this.#latencySum += seconds
  }

  malformed(): void {
    this.#malformed++
  }

  snapshot(): DnsStatsSnapshot {
    let cumulative = 0
    return {
      latencyBuckets: this.#buckets.map((count) => (cumulative += count)),
      latencySum: this.#latencySum,
      malformed: this.#malformed,
      requests: Object.fromEntries([...this.#requests].map(([key, counter]) => [key, counter.count])),
    }
  }
}

/** Registers the three series, summing the snapshots that `sources` gives at each scrape. */
export function registerDnsMetrics(registry: Registry, sources: () => Promise<DnsStatsSnapshot[]> | DnsStatsSnapshot[]): void {
  const metric = (name: string, help: string, type: 'counter' | 'histogram', values: (snapshots: DnsStatsSnapshot[]) => Array<MetricValue<string>>) => ({
    aggregator: 'sum' as const,
    async get(): Promise<Omit<MetricObjectWithValues<MetricValue<string>>, 'collect'>> {
      return {aggregator: 'sum', help, name, type: type as never, values: values(await sources())}
    },
    help,
    name,
    reset() {},
    type,
  })

  registry.registerMetric(
    metric('lighthouse_dns_requests_total', 'DNS requests answered, by transport, type and rcode', 'counter', (snapshots) => {
      const totals = new Map<string, number>()
      for (const snapshot of snapshots) for (const [key, count] of Object.entries(snapshot.requests)) totals.set(key, (totals.get(key) ?? 0) + count)
      return [...totals].map(([key, value]) => {
        const [transport, type, rcode] = key.split(' ') as [string, string, string]
        return {labels: {rcode, transport, type}, value}
      })
    }) as never,
  )
  registry.registerMetric(
    metric('lighthouse_dns_request_duration_seconds', 'Time to answer a DNS request in seconds', 'histogram', (snapshots) => {
      const sum = (pick: (snapshot: DnsStatsSnapshot) => number) => snapshots.reduce((total, snapshot) => total + pick(snapshot), 0)
      const bounds = [...LATENCY_BUCKETS.map(String), '+Inf']
      return [
        ...bounds.map((le, bucket) => ({labels: {le}, metricName: 'lighthouse_dns_request_duration_seconds_bucket', value: sum((snapshot) => snapshot.latencyBuckets[bucket] ?? 0)})),
        {labels: {}, metricName: 'lighthouse_dns_request_duration_seconds_sum', value: sum((snapshot) => snapshot.latencySum)},
        {labels: {}, metricName: 'lighthouse_dns_request_duration_seconds_count', value: sum((snapshot) => snapshot.latencyBuckets.at(-1) ?? 0)},
      ]
    }) as never,
  )
  registry.registerMetric(metric('lighthouse_dns_malformed_total', 'Malformed DNS packets dropped', 'counter', (snapshots) => [{labels: {}, value: snapshots.reduce((total, snapshot) => total + snapshot.malformed, 0)}]) as never)
}
