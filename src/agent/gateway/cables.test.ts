import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import type {Endpoint, EndpointSpec} from '../../api/submariner.js'
import {nullLogger} from '../runtime/log.js'
import {WorkQueue} from '../runtime/workqueue.js'
import type {CableConnection, CableDriver} from './cable/driver.js'
import {Cables, planCables, type Cable} from './cables.js'
import type {NatResult} from './natdiscovery.js'

function spec(cluster: string, privateIp: string, extra: Partial<EndpointSpec> = {}): EndpointSpec {
  return {
    backend: 'vxlan',
    backend_config: {},
    cable_name: `submariner-cable-${cluster}-${privateIp.replaceAll('.', '-')}`,
    cluster_id: cluster,
    hostname: `${cluster}-gw`,
    nat_enabled: false,
    private_ip: privateIp,
    public_ip: '',
    subnets: [],
    ...extra,
  }
}

const endpoint = (endpointSpec: EndpointSpec): Endpoint => ({apiVersion: 'submariner.io/v1', kind: 'Endpoint', metadata: {name: endpointSpec.cable_name}, spec: endpointSpec})
const result = (remote: EndpointSpec, useIP = remote.private_ip, useNAT = false): NatResult => ({endpoint: remote, useIP, useNAT})

/** A driver that takes its time over every call and records how many ran at once. */
class SlowDriver implements CableDriver {
  readonly name = 'slow'
  readonly calls: string[] = []
  inFlight = 0
  maxInFlight = 0

  async #call(what: string): Promise<void> {
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    this.calls.push(what)
    await sleep(5)
    this.inFlight--
  }

  async backendConfig(): Promise<Record<string, string>> {
    return {}
  }

  async init(): Promise<void> {}

  connect(remote: EndpointSpec, useIP: string): Promise<void> {
    return this.#call(`connect ${remote.cluster_id} ${useIP}`)
  }

  disconnect(remote: EndpointSpec): Promise<void> {
    return this.#call(`disconnect ${remote.cluster_id}`)
  }

  async connections(): Promise<CableConnection[]> {
    return []
  }

  cleanup(): Promise<void> {
    return this.#call('cleanup')
  }
}

describe('planCables', () => {
  const c2 = spec('c2', '10.0.2.1')
  const c3 = spec('c3', '10.0.3.1')

  it('builds a cable per remote with a result for its current Endpoint, and nothing for one without', () => {
    const plan = planCables([c2, c3], new Map([[c2.cable_name, result(c2)]]), new Map())
    expect([...plan.build.keys()]).toEqual(['c2'])
    expect(plan.remove).toEqual([])
  })

  it('removes the cable of a cluster that left and leaves a matching one alone', () => {
    const installed = new Map<string, Cable>([
      ['c2', {endpoint: c2, useIP: c2.private_ip, useNAT: false}],
      ['c3', {endpoint: c3, useIP: c3.private_ip, useNAT: false}],
    ])
    const plan = planCables([c2], new Map([[c2.cable_name, result(c2)]]), installed)
    expect(plan.remove).toEqual(['c3'])
    expect(plan.build.size).toBe(0)
  })

  it('rebuilds a cable whose NAT result changed, and keeps the old one while a changed Endpoint is rediscovered', () => {
    const installed = new Map<string, Cable>([['c2', {endpoint: c2, useIP: c2.private_ip, useNAT: false}]])
    const nat = planCables([c2], new Map([[c2.cable_name, result(c2, '192.0.2.2', true)]]), installed)
    expect(nat.remove).toEqual(['c2'])
    expect(nat.build.get('c2')).toMatchObject({useIP: '192.0.2.2', useNAT: true})

    const moved = {...c2, subnets: ['10.2.0.0/16']}
    const stale = planCables([moved], new Map([[c2.cable_name, result(c2)]]), installed)
    expect(stale).toEqual({build: new Map(), remove: []})
  })
})

describe('Cables on the tunnels queue', () => {
  it('never lets a NAT result drive the cable driver beside a running reconcile, and converges to the last result', async () => {
    // Given the gateway's wiring: a result is recorded and queues the one tunnels reconcile
    const driver = new SlowDriver()
    const cables = new Cables(driver, nullLogger)
    const remotes = ['c2', 'c3', 'c4', 'c5'].map((cluster, index) => spec(cluster, `10.0.${index + 2}.1`))
    const queue = new WorkQueue(() => cables.reconcile(remotes.map(endpoint)), {log: nullLogger, name: 'tunnels'})
    const onResult = (natResult: NatResult) => {
      if (cables.record(natResult)) queue.add('tunnels')
    }

    // When results arrive in bursts while reconciles run (each result flips between private and public)
    for (let round = 0; round < 20; round++) {
      for (const remote of remotes) onResult(result(remote, round % 2 === 0 ? remote.private_ip : `192.0.2.${round}`, round % 2 === 1))
      await sleep(3)
    }

    await queue.idle()

    // Then the driver never ran two calls at once, and each cluster has the cable of its last result
    expect(driver.maxInFlight).toBe(1)
    for (const remote of remotes) expect(cables.installed.get(remote.cluster_id)).toMatchObject({useIP: '192.0.2.19', useNAT: true})
    queue.stop()
  })

  it('records an unchanged result as no change, so a re-report does not queue the reconcile again', () => {
    const cables = new Cables(new SlowDriver(), nullLogger)
    const c2 = spec('c2', '10.0.2.1')
    expect(cables.record(result(c2))).toBe(true)
    expect(cables.record(result(c2))).toBe(false)
    expect(cables.record(result(c2, '192.0.2.1', true))).toBe(true)
  })
})
