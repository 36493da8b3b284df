import {stat} from 'node:fs/promises'

import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../cli/base-command.js'
import {connectionOptions, contextsFlag, kubeFlags} from '../cli/flags.js'
import {usageError} from '../lib/errors.js'
import {defaultDirectory, GATHER_MODULES, GATHER_TYPES, parseModules, parseTypes} from '../lib/gather.js'
import {gather} from '../services/gather/gather.js'

export default class Gather extends SubctlCommand {
  static override summary = 'Gather troubleshooting information from the clusters'
  static override description = `Collects, from every cluster of the kubeconfig (or --contexts), the logs of the Submariner pods, its resources, and the output of node commands run in the route agent and gateway pods (ip addresses, links, routes, rules, table 150, iptables, ipset, sysctl, and the cable driver's state: wg show for WireGuard, xfrm and ipsec for libreswan), into DIR/<cluster>/ with a summary.html. The broker's API server, token and CA, and the IPsec PSK, are redacted unless --include-sensitive-data. Types: ${GATHER_TYPES.join(', ')}; modules: ${GATHER_MODULES.join(', ')}.`

  static override examples = [
    '<%= config.bin %> gather',
    '<%= config.bin %> gather --contexts c1,c2 --dir bundle --archive',
    '<%= config.bin %> gather --context c1 --module connectivity --type resources',
  ]

  static override flags = {
    ...kubeFlags,
    contexts: contextsFlag,
    archive: Flags.boolean({default: false, description: 'Also write the directory as DIR.tar.gz'}),
    dir: Flags.string({description: 'Directory to write into (default: submariner-<UTC YYYYMMDDHHMMSS>)'}),
    'include-sensitive-data': Flags.boolean({default: false, description: 'Do not redact the broker credentials and the IPsec PSK'}),
    module: Flags.string({default: [...GATHER_MODULES], delimiter: ',', description: `Modules to gather: ${GATHER_MODULES.join(', ')}`, multiple: true}),
    type: Flags.string({default: [...GATHER_TYPES], delimiter: ',', description: `Types of data to gather: ${GATHER_TYPES.join(', ')}`, multiple: true}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Gather)
    const types = parseTypes(flags.type)
    const modules = parseModules(flags.module)
    const dir = flags.dir ?? defaultDirectory(new Date())
    const existing = await stat(dir).catch(() => undefined)
    if (existing && !existing.isDirectory()) throw usageError('INVALID_ARGUMENT', `--dir ${dir} exists and is not a directory`, 'Name a new or an existing directory')
    const outcome = await gather(
      {...connectionOptions(flags), ...(flags.contexts ? {contexts: flags.contexts} : {}), archive: flags.archive, dir, includeSensitiveData: flags['include-sensitive-data'], modules, types},
      this.reporter(),
      (line) => this.log(line),
    )
    for (const warning of outcome.warnings) process.stderr.write(`⚠ ${warning}\n`)
    const failed = outcome.clusters.filter((cluster) => cluster.error)
    for (const cluster of failed) process.stderr.write(`✗ ${cluster.cluster}: ${cluster.error}\n`)
    this.log(`Files are stored under directory "${outcome.dir}"`)
    if (outcome.archive) this.log(`Archive written to "${outcome.archive}"`)
    if (failed.length > 0) this.exit(1)
  }
}
