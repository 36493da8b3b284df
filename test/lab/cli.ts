/**
 * npm run lab -- prepare                       install the Debian packages, build the binaries and the conformance suite
 * npm run lab -- up [--clusters broker,c1,c2]   bring the lab up (idempotent)
 * npm run lab -- down                          remove everything the lab made
 * npm run lab -- status                        clusters, nodes and processes
 * npm run lab -- exec -- CMD...                run CMD inside the lab network (KUBECONFIG, subctl, kubectl set up)
 * npm run lab -- exec --pod CLUSTER/NAMESPACE/POD -- CMD...   run CMD in that pod's network namespace
 * npm run lab -- restart CLUSTER/COMPONENT     restart one control-plane process (e.g. broker/kube-apiserver)
 * npm run lab -- disconnect NODE | reconnect NODE   cut a node off the underlay, or plug it back
 */
import {parseArgs} from 'node:util'

import {ensureConformanceSuite} from '../conformance/suite.js'
import {ensureBinaries, ensureNodeHelper, ensurePackages} from './build.js'
import {DEFAULT_CLUSTERS, HOST_NETNS, parseClusters, paths} from './config.js'
import {execEnvironment, podNamespace, restart, setNodeConnected, status} from './operations.js'
import {down, readState, up} from './lab.js'
import {shOnTerminal} from './sh.js'

const log = (line: string) => process.stderr.write(`lab: ${line}\n`)

async function main(argv: string[]): Promise<number> {
  const separator = argv.indexOf('--')
  const own = separator === -1 ? argv : argv.slice(0, separator)
  const command = separator === -1 ? [] : argv.slice(separator + 1)
  const {positionals, values} = parseArgs({
    allowPositionals: true,
    args: own,
    options: {clusters: {type: 'string'}, pod: {type: 'string'}},
  })
  const [verb, ...rest] = positionals

  switch (verb) {
    case 'prepare':
      ensurePackages(log)
      await ensureBinaries(log)
      await ensureNodeHelper(log)
      await ensureConformanceSuite(log)
      log('everything the lab and the conformance suite need is installed and built')
      return 0
    case 'up':
      await up(values.clusters ?? readState()?.clusters ?? DEFAULT_CLUSTERS, log)
      return 0
    case 'down':
      await down(log)
      return 0
    case 'status':
      process.stdout.write(await status())
      return readState()?.up ? 0 : 1
    case 'exec': {
      if (command.length === 0) throw new Error('exec needs a command after --, e.g. npm run lab -- exec -- kubectl get nodes')
      const state = readState()
      if (!state?.up) throw new Error('the lab is not up: run npm run lab -- up')
      const netns = values.pod ? await podNamespace(parseClusters(state.clusters), values.pod) : HOST_NETNS
      return shOnTerminal(['ip', 'netns', 'exec', netns, ...command], {env: execEnvironment()})
    }

    case 'restart': {
      const [target] = rest
      if (!target) throw new Error('restart needs CLUSTER/COMPONENT, e.g. broker/kube-apiserver')
      await restart(target, log)
      return 0
    }

    case 'disconnect':
    case 'reconnect': {
      const [node] = rest
      if (!node) throw new Error(`${verb} needs a node name, e.g. c1-worker`)
      setNodeConnected(node, verb === 'reconnect')
      log(`${node} ${verb === 'reconnect' ? 'reconnected to' : 'cut off'} the underlay`)
      return 0
    }

    default:
      process.stderr.write(
        'usage: npm run lab -- prepare | up [--clusters broker,c1,c2] | down | status | exec [--pod CLUSTER/NS/POD] -- CMD... | restart CLUSTER/COMPONENT | disconnect NODE | reconnect NODE\n' +
          `state: ${paths.state}\n`,
      )
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`error: ${(error as Error).message}`)
    process.exit(1)
  },
)
