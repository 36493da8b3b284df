/**
 * Interoperability (issue 16): upstream's Go subctl (../shared/upstream) reads the clusters that our
 * join made. Its `show connections|endpoints|gateways|networks|brokers` exit 0 and print the same
 * rows as ours, cluster by cluster; and our -o json documents of the joined clusters validate
 * against schemas/. RTTs are masked: the gateways refresh them between the two reads.
 */
import {beforeAll, describe, expect, it} from 'vitest'

import {HOST_NETNS} from '../lab/config.js'
import {execEnvironment} from '../lab/operations.js'
import {run} from '../helpers/cli.js'
import {schemaProblems} from '../helpers/schemas.js'
import {ensureClusterset, subctl, waitConnected} from './clusterset.js'
import {unpackUpstream} from './upstream.js'

let upstream = ''

/** Each cluster's lines, progress lines left out, columns and RTTs normalised. */
function rowsByCluster(output: string): Record<string, string[]> {
  const sections: Record<string, string[]> = {}
  let current: string[] | undefined
  for (const line of output.split('\n')) {
    const header = /^Cluster "(.+)"$/.exec(line)
    if (header) {
      current = sections[header[1] as string] = []
    } else if (current && line.trim() !== '' && !/^ [•✓]/.test(line)) {
      current.push(line.trim().replaceAll(/\d+(\.\d+)?(ns|µs|ms|s)\b/g, '<rtt>').replaceAll(/\s{2,}/g, '  ').replace(/:\s+/, ': '))
    }
  }

  return sections
}

describe("upstream's subctl reads what ours made", () => {
  beforeAll(async () => {
    await ensureClusterset()
    await waitConnected()
    upstream = await unpackUpstream('subctl')
  })

  const commands: Array<[string, string]> = [
    ['connections', 'c1,c2'],
    ['endpoints', 'c1,c2'],
    ['gateways', 'c1,c2'],
    ['networks', 'c1,c2'],
    ['brokers', 'broker,c1,c2'],
  ]
  for (const [command, contexts] of commands) {
    it(`show ${command}: exit 0 and the same rows`, async () => {
      const theirs = await run('ip', ['netns', 'exec', HOST_NETNS, upstream, 'show', command, '--contexts', contexts], {env: execEnvironment()})
      expect(theirs.code, theirs.stderr + theirs.stdout).toBe(0)
      const ours = await subctl(['show', command, '--contexts', contexts])
      expect(ours.code, ours.stderr).toBe(0)
      const expected = rowsByCluster(theirs.stdout)
      expect(Object.keys(expected).sort()).toEqual(contexts.split(',').sort())
      expect(Object.values(expected).flat().length, theirs.stdout).toBeGreaterThan(1)
      expect(rowsByCluster(ours.stdout)).toEqual(expected)
    })
  }

  it('prints show documents of the joined clusters that validate against their schemas', async () => {
    for (const command of ['connections', 'endpoints', 'gateways', 'networks', 'versions', 'brokers', 'all', 'topology']) {
      const {code, stdout} = await subctl(['show', command, '--contexts', 'broker,c1,c2', '-o', 'json'])
      const document = JSON.parse(stdout) as {clusters: Array<{cluster: string; error?: unknown}>}
      expect(schemaProblems(document), command).toEqual([])
      expect(document.clusters.map((entry) => entry.cluster), command).toEqual(['broker', 'c1', 'c2'])
      // connections and gateways fail on the broker, which has no Gateway; the others read all three.
      if (!['connections', 'endpoints', 'gateways'].includes(command)) expect(code, `${command}: ${stdout}`).toBe(0)
    }
  })
})
