/**
 * bench/lab: the lab's costs.
 *   - cold build time of the Kubernetes, etcd and CoreDNS binaries (recorded when the cache was
 *     filled; --cold empties the cache and measures it again);
 *   - `lab up` wall time with a warm cache, for broker, c1 and c2 (median of RUNS; target <= 60 s);
 *   - the lab's total memory once up (RSS and PSS of every lab process, by component).
 *
 *   node --import tsx bench/lab.ts [--runs N] [--cold] [--keep]
 */
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {ensureBinaries} from '../test/lab/build.js'
import {CACHE_DIR, DEFAULT_CLUSTERS, LAB_MARKER, STATE_DIR} from '../test/lab/config.js'
import {down, up} from '../test/lab/lab.js'

const {values} = parseArgs({options: {cold: {type: 'boolean'}, keep: {type: 'boolean'}, runs: {type: 'string'}}})
const runs = Math.max(1, Number(values.runs ?? 3))
const quiet = () => {}

if (values.cold) rmSync(CACHE_DIR, {force: true, recursive: true})
const {builtInSeconds: fresh, dir} = await ensureBinaries((line) => console.error(`build: ${line}`))
const coldBuild = fresh ?? Number(readFileSync(join(dir, 'build-seconds'), 'utf8'))

const times: number[] = []
for (let run = 0; run < runs; run++) {
  await down(quiet)
  const result = await up(DEFAULT_CLUSTERS, quiet)
  times.push(result.seconds)
  console.error(`lab up #${run + 1}: ${result.seconds} s`)
}

/** Memory of every process the lab started, grouped by program. */
function memory(): Map<string, {rss: number; pss: number; count: number}> {
  const groups = new Map<string, {rss: number; pss: number; count: number}>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8')
      if (!environ.includes(`${LAB_MARKER}=${STATE_DIR}\0`)) continue
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      const rollup = readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8')
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0) * 1024
      const program = cmdline.find((part) => /agent\.js|node-runtime\.js/.test(part)) ?? cmdline[0] ?? '?'
      const name = program.split('/').pop() as string
      const group = groups.get(name) ?? {count: 0, pss: 0, rss: 0}
      group.count++
      group.rss += field('Rss')
      group.pss += field('Pss')
      groups.set(name, group)
    } catch {
      // exited meanwhile
    }
  }

  return groups
}

const groups = memory()
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)
const sorted = [...times].sort((a, b) => a - b)
const median = sorted[Math.floor(sorted.length / 2)] as number
console.log(`bench/lab (${DEFAULT_CLUSTERS})`)
console.log(`  cold build of the binaries: ${coldBuild} s`)
console.log(`  lab up with a warm cache:   median ${median} s over ${runs} runs (${times.join(', ')}; target <= 60 s)`)
let rss = 0
let pss = 0
for (const [name, group] of [...groups].sort((a, b) => b[1].pss - a[1].pss)) {
  rss += group.rss
  pss += group.pss
  console.log(`    ${name.padEnd(26)} x${String(group.count).padEnd(3)} PSS ${mib(group.pss).padStart(5)} MiB   RSS ${mib(group.rss).padStart(5)} MiB`)
}

console.log(`  lab memory once up: PSS ${mib(pss)} MiB (RSS ${mib(rss)} MiB)`)
if (!values.keep) await down(quiet)
