/**
 * iptables chains the agents own. A chain's rules are replaced as a whole with
 * `iptables-restore --noflush` (atomic per table, as kube-proxy does); jumps from the built-in
 * chains are checked with -C and inserted at position 1 or appended, as upstream's iptables driver.
 */
import type {Tools} from './exec.js'

export type Table = 'filter' | 'nat' | 'mangle'

export class Iptables {
  readonly #tools: Tools

  constructor(tools: Tools) {
    this.#tools = tools
  }

  #run(args: string[], allowFailure = false): Promise<string> {
    return this.#tools.run('iptables', ['-w', ...args], {allowFailure})
  }

  async chainExists(table: Table, chain: string): Promise<boolean> {
    return (await this.#tools.run('iptables', ['-w', '-t', table, '-S', chain], {allowFailure: true})).trim() !== ''
  }

  /** The rules of a chain as `-A CHAIN ...` lines. */
  async rules(table: Table, chain: string): Promise<string[]> {
    const output = await this.#run(['-t', table, '-S', chain], true)
    return output.split('\n').filter((line) => line.startsWith(`-A ${chain} `))
  }

  /**
   * Makes the chain hold exactly these rules (each given without "-A CHAIN"), creating it if need
   * be. Does nothing when it already does, so a steady state costs one read.
   */
  async syncChain(table: Table, chain: string, rules: string[][]): Promise<void> {
    const wanted = rules.map((rule) => `-A ${chain} ${rule.join(' ')}`)
    const current = await this.rules(table, chain)
    if (current.length === wanted.length && current.every((line, index) => normalise(line) === normalise(wanted[index] as string))) {
      // An empty chain reads like a missing one; a chain that others jump to must exist.
      if (wanted.length === 0) await this.ensureChain(table, chain)
      return
    }
    const lines = [`*${table}`, `:${chain} - [0:0]`, ...wanted, 'COMMIT', '']
    await this.#tools.run('iptables-restore', ['-w', '--noflush'], {input: lines.join('\n')})
  }

  /**
   * Makes the chains named with `prefix` exactly `chains` (stale ones deleted), in one
   * iptables-restore, after one iptables-save: for rule sets of many small chains (clusterset IPs),
   * where a read per chain would cost more than the rules. `entry` is written first, so it never
   * names a chain that does not exist yet, and the stale chains go after it stopped naming them.
   */
  async syncChains(table: Table, prefix: string, entry: {chain: string; rules: string[][]}, chains: Map<string, string[][]>): Promise<{written: number; deleted: number}> {
    const current = new Map<string, string[]>()
    for (const line of (await this.#tools.run('iptables-save', ['-t', table])).split('\n')) {
      const declared = /^:(\S+) /.exec(line)
      if (declared && (declared[1] === entry.chain || declared[1]?.startsWith(prefix))) current.set(declared[1], [])
      const rule = /^-A (\S+) /.exec(line)
      if (rule) current.get(rule[1] as string)?.push(line)
    }

    const wanted = new Map([...chains, [entry.chain, entry.rules]])
    const changed = [...wanted].filter(([chain, rules]) => {
      const existing = current.get(chain)
      return !existing || existing.length !== rules.length || existing.some((line, index) => normalise(line) !== normalise(`-A ${chain} ${(rules[index] as string[]).join(' ')}`))
    })
    const stale = [...current.keys()].filter((chain) => !wanted.has(chain))
    if (changed.length === 0 && stale.length === 0) return {deleted: 0, written: 0}
    // Declaring a chain empties it: every stale chain is empty before the first one is deleted.
    const lines = [`*${table}`, ...[...changed.map(([chain]) => chain), ...stale].map((chain) => `:${chain} - [0:0]`)]
    for (const [chain, rules] of changed) lines.push(...rules.map((rule) => `-A ${chain} ${rule.join(' ')}`))
    lines.push(...stale.map((chain) => `-X ${chain}`), 'COMMIT', '')
    await this.#tools.run('iptables-restore', ['-w', '--noflush'], {input: lines.join('\n')})
    return {deleted: stale.length, written: changed.length}
  }

  /** Creates an empty chain unless it exists (a chain another agent fills may be jumped to before it does). */
  async ensureChain(table: Table, chain: string): Promise<void> {
    if (!(await this.chainExists(table, chain))) await this.#run(['-t', table, '-N', chain], true)
  }

  /** Empties a chain, if it exists, and keeps it and the jumps to it. */
  async flushChain(table: Table, chain: string): Promise<void> {
    if (await this.chainExists(table, chain)) await this.#run(['-t', table, '-F', chain])
  }

  /** Ensures `-j TARGET` (with match) in a built-in chain, first or last. */
  async ensureJump(table: Table, from: string, target: string, position: 'first' | 'last', match: string[] = []): Promise<void> {
    const rule = [...match, '-j', target]
    const line = normalise(`-A ${from} ${rule.join(' ')}`)
    const index = (await this.rules(table, from)).findIndex((existing) => normalise(existing) === line)
    if (index === 0 || (index > 0 && position === 'last')) return
    if (index > 0) await this.#run(['-t', table, '-D', from, ...rule], true)
    await this.#run(['-t', table, ...(position === 'first' ? ['-I', from, '1'] : ['-A', from]), ...rule])
  }

  /** Removes a chain and every jump to it. */
  async deleteChain(table: Table, chain: string, jumps: Array<{from: string; match?: string[]}>): Promise<void> {
    for (const jump of jumps) {
      const rule = [...(jump.match ?? []), '-j', chain]
      const line = normalise(`-A ${jump.from} ${rule.join(' ')}`)
      const copies = (await this.rules(table, jump.from)).filter((existing) => normalise(existing) === line).length
      for (let copy = 0; copy < copies; copy++) await this.#run(['-t', table, '-D', jump.from, ...rule], true)
    }

    if (await this.chainExists(table, chain)) {
      await this.#run(['-t', table, '-F', chain], true)
      await this.#run(['-t', table, '-X', chain], true)
    }
  }
}

/** iptables -S prints some matches differently from how they were given; compare loosely. */
function normalise(line: string): string {
  return line.replace(/\s+/g, ' ').replace(/\/32\b/g, '').trim()
}
