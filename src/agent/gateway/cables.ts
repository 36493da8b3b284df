/**
 * The active gateway's cables as a function of two inputs: every remote cluster's newest Endpoint
 * and the NAT discovery result for it. NAT results only record and queue; the one reconcile on the
 * tunnels queue is the only caller of the driver's connect and disconnect, so a result that
 * arrives while the tunnels are being reconciled can never race it (issue 14).
 */
import type {Endpoint, EndpointSpec} from '../../api/submariner.js'
import type {Logger} from '../runtime/log.js'
import type {CableDriver} from './cable/driver.js'
import type {NatResult} from './natdiscovery.js'
import {sameContent} from '../../lib/canonical.js'

export interface Cable {
  endpoint: EndpointSpec
  useIP: string
  useNAT: boolean
}

export interface CablePlan {
  /** Clusters whose cable goes (they left, or their cable must be rebuilt). */
  remove: string[]
  /** Cables to build, by cluster. */
  build: Map<string, Cable>
}

const sameCable = (a: Cable, b: Cable) => a.useIP === b.useIP && a.useNAT === b.useNAT && sameContent(a.endpoint, b.endpoint)

/**
 * What to change so that the installed cables match the wanted ones: a cable per remote whose
 * NAT result is for its current Endpoint. A remote whose Endpoint changed and is not yet
 * rediscovered keeps its old cable until the new result comes.
 */
export function planCables(remotes: EndpointSpec[], results: ReadonlyMap<string, NatResult>, installed: ReadonlyMap<string, Cable>): CablePlan {
  const plan: CablePlan = {build: new Map(), remove: []}
  const clusters = new Set(remotes.map((remote) => remote.cluster_id))
  for (const cluster of installed.keys()) if (!clusters.has(cluster)) plan.remove.push(cluster)
  for (const remote of remotes) {
    const result = results.get(remote.cable_name)
    if (!result || !sameContent(result.endpoint, remote)) continue
    const wanted: Cable = {endpoint: remote, useIP: result.useIP, useNAT: result.useNAT}
    const current = installed.get(remote.cluster_id)
    if (current && sameCable(current, wanted)) continue
    if (current) plan.remove.push(remote.cluster_id)
    plan.build.set(remote.cluster_id, wanted)
  }

  return plan
}

export class Cables {
  readonly #driver: CableDriver
  readonly #log: Logger
  readonly #results = new Map<string, NatResult>()
  readonly #installed = new Map<string, Cable>()

  constructor(driver: CableDriver, log: Logger) {
    this.#driver = driver
    this.#log = log
  }

  /** Records a NAT discovery result; true when it differs from the one known (the caller then queues a reconcile). */
  record(result: NatResult): boolean {
    const known = this.#results.get(result.endpoint.cable_name)
    if (known && sameCable(known, result)) return false
    this.#results.set(result.endpoint.cable_name, result)
    return true
  }

  get installed(): ReadonlyMap<string, Cable> {
    return this.#installed
  }

  /** Converges the driver's cables to the remotes' Endpoints; called from the tunnels queue only. */
  async reconcile(remotes: Endpoint[]): Promise<void> {
    const specs = remotes.map((remote) => remote.spec)
    const names = new Set(specs.map((spec) => spec.cable_name))
    for (const name of this.#results.keys()) if (!names.has(name)) this.#results.delete(name)
    const plan = planCables(specs, this.#results, this.#installed)
    for (const cluster of plan.remove) {
      const cable = this.#installed.get(cluster) as Cable
      await this.#driver.disconnect(cable.endpoint)
      this.#installed.delete(cluster)
      if (!plan.build.has(cluster)) this.#log.info('removed the cable to a cluster that left', {cluster})
    }

    for (const [cluster, cable] of plan.build) {
      await this.#driver.connect(cable.endpoint, cable.useIP, cable.useNAT)
      this.#installed.set(cluster, cable)
      this.#log.info('cable installed', {cluster, driver: this.#driver.name, nat: cable.useNAT, to: cable.useIP})
    }
  }

  /** Leadership lost or shutting down: every cable and every result goes. */
  async clear(): Promise<void> {
    this.#installed.clear()
    this.#results.clear()
    await this.#driver.cleanup()
  }
}
