/**
 * 100 of the fuzzed broker-info files through the CLI, as a user runs it against a real cluster:
 * `subctl join FILE --context c1 ...` exits non-zero with one line, no stack, within 5 s, and
 * writes nothing on the cluster. Runs after the clusterset's uninstall, on a clean c1.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import type {KubeClient} from '../../src/k8s/client.js'
import {Resources} from '../../src/k8s/resources.js'
import {readBrokerInfoFile} from '../../src/services/broker-info-file.js'
import {subctl} from '../e2e/clusterset.js'
import {brokerInfoMutations} from '../helpers/broker-info-mutations.js'
import {clusterClient} from '../helpers/lab.js'
import {sh} from './sh.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-broker-info-cli-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** The names of what join would write first: namespaces, CRDs, cluster roles, and the operator namespace's objects. */
async function snapshot(client: KubeClient): Promise<string> {
  const names = async (type: Parameters<KubeClient['tryList']>[0], namespace?: string) =>
    (await client.tryList(type, namespace ? {namespace} : {})).map((object) => object.metadata.name).sort().join(',')
  return [
    await names(Resources.Namespace),
    await names(Resources.CustomResourceDefinition),
    await names(Resources.ClusterRole),
    await names(Resources.Secret, 'submariner-operator'),
    await names(Resources.ServiceAccount, 'submariner-operator'),
  ].join('\n')
}

/** The first 97 mutations the reader refuses, and three paths that are no file. */
async function refusedInputs(): Promise<string[]> {
  const files: string[] = []
  for (const [index, content] of brokerInfoMutations(2000).entries()) {
    if (files.length === 97) break
    const file = join(dir, `input-${index}.subm`)
    writeFileSync(file, content, 'latin1')
    const valid = await readBrokerInfoFile(file).then(
      () => true,
      () => false,
    )
    if (valid) rmSync(file)
    else files.push(file)
  }

  const directory = join(dir, 'a-directory.subm')
  mkdirSync(directory)
  const fifo = join(dir, 'a-fifo.subm')
  sh(['mkfifo', fifo])
  return [...files, directory, fifo, '/dev/zero']
}

describe('fuzzed broker-info files through the CLI', () => {
  it('answers each of 100 with a one-line error and a non-zero exit within 5 s, writing nothing on the cluster', async () => {
    const client = await clusterClient('c1')
    try {
      const before = await snapshot(client)
      const inputs = await refusedInputs()
      expect(inputs).toHaveLength(100)
      const durations: number[] = []
      for (const input of inputs) {
        const started = Date.now()
        const result = await subctl(['join', input, '--context', 'c1', '--clusterid', 'c1', '--gateway-nodes', 'c1-worker'], {timeoutMs: 10_000})
        durations.push(Date.now() - started)
        const lines = result.stderr.trim().split('\n')
        expect(result.code, `${input}: ${result.stderr}`).not.toBe(0)
        expect(lines, `${input}: ${result.stderr}`).toHaveLength(1)
        expect(result.stderr).not.toMatch(/^\s+at /m)
        expect(Date.now() - started, input).toBeLessThan(5000)
      }

      expect(await snapshot(client)).toBe(before)
      durations.sort((a, b) => a - b)
      console.log(`broker-info CLI fuzz: 100 inputs, 100 refused with one line, median ${durations[50]} ms, slowest ${durations.at(-1)} ms`)
    } finally {
      client.close()
    }
  })
})
