/**
 * Globalnet's nat chains and ipsets on the active gateway (reference/dataplane.md §5.2–5.3, §5.8):
 * programmed whole from the plan, flushed when this node stops leading, removed on uninstall.
 */
import {CHAINS, EGRESS_ORDER, IPSET_PREFIX} from '../../lib/globalnet/naming.js'
import type {ChainRules} from '../../lib/globalnet/plan.js'
import type {Iptables} from '../netlink/iptables.js'
import type {Ipsets} from '../netlink/ipset.js'

/** Children before the chains that jump to them: a rule may only name a chain that exists. */
const PROGRAM_ORDER = [...EGRESS_ORDER, CHAINS.egress, CHAINS.ingress]

export class GlobalnetDataplane {
  constructor(
    readonly iptables: Iptables,
    readonly ipsets: Ipsets,
  ) {}

  /** Makes the node hold exactly these sets and rules, and the jumps into them. */
  async program(rules: ChainRules, sets: Map<string, string[]>): Promise<void> {
    for (const [name, members] of sets) await this.ipsets.sync(name, members)
    for (const chain of PROGRAM_ORDER) await this.iptables.syncChain('nat', chain, rules[chain] ?? [])
    await this.iptables.ensureJump('nat', 'PREROUTING', CHAINS.ingress, 'first')
    // The route agent's chain, first in POSTROUTING: translation must come before its ACCEPTs.
    await this.iptables.ensureChain('nat', CHAINS.postrouting)
    await this.iptables.ensureJump('nat', CHAINS.postrouting, CHAINS.egress, 'first')
    await this.iptables.ensureJump('nat', 'POSTROUTING', CHAINS.postrouting, 'first')
    for (const stale of (await this.ipsets.names()).filter((name) => name.startsWith(IPSET_PREFIX) && !sets.has(name))) await this.ipsets.destroy(stale)
  }

  /** No translation here any more (another node leads): the chains stay, empty. */
  async flush(): Promise<void> {
    for (const chain of [CHAINS.ingress, CHAINS.egress, ...EGRESS_ORDER]) await this.iptables.flushChain('nat', chain)
    for (const name of (await this.ipsets.names()).filter((candidate) => candidate.startsWith(IPSET_PREFIX))) await this.ipsets.destroy(name)
  }

  /** Uninstall: every Globalnet chain, jump and ipset. */
  remove(): Promise<void> {
    return removeGlobalnet(this.iptables, this.ipsets)
  }
}

/**
 * Removes every Globalnet chain, jump and ipset from this node. The route agent's uninstall runs it
 * too, on every node: a node that was a gateway once (and is not now) has no globalnet pod to do it.
 */
export async function removeGlobalnet(iptables: Iptables, ipsets: Ipsets): Promise<void> {
  await iptables.deleteChain('nat', CHAINS.ingress, [{from: 'PREROUTING'}])
  await iptables.deleteChain('nat', CHAINS.egress, [{from: CHAINS.postrouting}])
  for (const chain of EGRESS_ORDER) await iptables.deleteChain('nat', chain, [])
  for (const name of (await ipsets.names()).filter((candidate) => candidate.startsWith(IPSET_PREFIX))) await ipsets.destroy(name)
}
