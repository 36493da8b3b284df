/** hash:net ipsets (upstream's MTU handler keeps the local and remote CIDRs in two). */
import type {Tools} from './exec.js'

export class Ipsets {
  readonly #tools: Tools

  constructor(tools: Tools) {
    this.#tools = tools
  }

  async members(name: string): Promise<string[]> {
    const output = await this.#tools.run('ipset', ['list', name, '-output', 'save'], {allowFailure: true})
    return output
      .split('\n')
      .filter((line) => line.startsWith(`add ${name} `))
      .map((line) => line.split(' ')[2] as string)
  }

  /** The names of every set on this node. */
  async names(): Promise<string[]> {
    const output = await this.#tools.run('ipset', ['list', '-n'], {allowFailure: true})
    return output.split('\n').map((line) => line.trim()).filter(Boolean)
  }

  /** Creates the set if missing and makes its members exactly these. */
  async sync(name: string, members: string[]): Promise<void> {
    await this.#tools.run('ipset', ['create', name, 'hash:net', 'family', 'inet', 'hashsize', '1024', 'maxelem', '65536', '-exist'])
    const current = await this.members(name)
    const normalise = (cidr: string) => cidr.replace(/\/32$/, '')
    for (const member of members) if (!current.map(normalise).includes(normalise(member))) await this.#tools.run('ipset', ['add', name, member, '-exist'])
    for (const member of current) if (!members.map(normalise).includes(normalise(member))) await this.#tools.run('ipset', ['del', name, member, '-exist'])
  }

  async destroy(name: string): Promise<void> {
    await this.#tools.run('ipset', ['flush', name], {allowFailure: true})
    await this.#tools.run('ipset', ['destroy', name], {allowFailure: true})
  }
}
