/**
 * bench/verify: wall time of `subctl verify --only connectivity` and of `--only service-discovery`
 * between c1 and c2 on the lab, median of RUNS each (interleaved), with the part the specs took
 * and the part set-up and clean-up took (namespaces made and removed on both clusters). There is
 * no baseline ratio: upstream's verify runs Ginkgo suites whose nettest image the lab cannot run.
 *
 *   node --import tsx bench/verify.ts [--runs N] [--keep]
 */
import {parseArgs} from 'node:util'

import type {VerifyReport} from '../src/lib/verify-report.js'
import {ensureClusterset, subctl} from '../test/e2e/clusterset.js'
import {median, round, withLab} from './support.js'

const {values} = parseArgs({options: {keep: {type: 'boolean'}, runs: {type: 'string'}}})
const runs = Math.max(1, Number(values.runs ?? 3))
const KEYS = ['connectivity', 'service-discovery'] as const

async function timeVerify(key: string): Promise<{wall: number; specs: number; count: number}> {
  const started = performance.now()
  const result = await subctl(['verify', '--context', 'c1', '--tocontext', 'c2', '--only', key, '-o', 'json'], {timeoutMs: 900_000})
  const wall = (performance.now() - started) / 1000
  if (result.code !== 0) throw new Error(`subctl verify --only ${key} failed:\n${result.stdout}\n${result.stderr}`)
  const report = JSON.parse(result.stdout) as VerifyReport
  return {count: report.results.length, specs: report.results.reduce((sum, entry) => sum + entry.durationMs, 0) / 1000, wall}
}

await withLab(
  async () => {
    await ensureClusterset('vxlan')
    const samples: Record<string, Array<{wall: number; specs: number; count: number}>> = {connectivity: [], 'service-discovery': []}
    for (let run = 0; run < runs; run++) for (const key of KEYS) samples[key]?.push(await timeVerify(key))
    for (const key of KEYS) {
      const entries = samples[key] ?? []
      const wall = median(entries.map((entry) => entry.wall))
      const specs = median(entries.map((entry) => entry.specs))
      console.log(
        `verify --only ${key}: median wall time ${round(wall, 1)} s over ${runs} runs (${entries[0]?.count} specs, both directions; specs ${round(specs, 1)} s, set-up and clean-up ${round(wall - specs, 1)} s); runs: ${entries.map((entry) => round(entry.wall, 1)).join(', ')} s`,
      )
    }
  },
  {keep: values.keep ?? false},
)
