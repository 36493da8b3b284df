/**
 * npm run demo: brings the lab up and tours it. Later issues extend this into the full subctl flow.
 */
import {spawnSync} from 'node:child_process'

import {DEFAULT_CLUSTERS, HOST_NETNS, parseClusters} from './config.js'
import {up} from './lab.js'
import {execEnvironment} from './operations.js'

const say = (line: string) => process.stdout.write(`\n\u001B[1m# ${line}\u001B[0m\n`)

function inLab(command: string[]): void {
  process.stdout.write(`$ ${command.join(' ')}\n`)
  const result = spawnSync('ip', ['netns', 'exec', HOST_NETNS, ...command], {env: execEnvironment(), stdio: 'inherit'})
  if (result.status !== 0) throw new Error(`${command.join(' ')} failed`)
}

async function main(): Promise<void> {
  say('Bringing the lab up: real control planes, nodes as network namespaces')
  await up(DEFAULT_CLUSTERS, (line) => process.stdout.write(`lab: ${line}\n`))
  for (const cluster of parseClusters(DEFAULT_CLUSTERS)) {
    say(`Cluster ${cluster.name}: pods ${cluster.podCIDR}, services ${cluster.serviceCIDR}`)
    inLab(['kubectl', '--context', cluster.name, 'get', 'nodes', '-o', 'wide'])
    inLab(['kubectl', '--context', cluster.name, 'get', 'pods', '-A', '-o', 'wide'])
  }

  say('Done. Explore with: npm run lab -- exec -- kubectl --context c1 get pods -A; tear down with: npm run lab -- down')
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`)
  process.exit(1)
})
