#!/usr/bin/env node
// bench/startup: how long the CLI takes to start, against Node itself.
// Prints the median wall time of `subctl version` and of `node -e 0` over RUNS interleaved runs each,
// and their ratio (target <= 2.0). `subctl --help` (a full oclif start) is reported beside them.
//   node bench/startup.mjs [RUNS]        (default 21)
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const runs = Math.max(10, Number(process.argv[2] ?? 21))
const subjects = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'subctl version': [process.execPath, [join(root, 'bin/run.js'), 'version']],
  'subctl --help': [process.execPath, [join(root, 'bin/run.js'), '--help']],
}
const samples = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]))

function time([command, args]) {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, {stdio: 'ignore'})
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

for (const subject of Object.values(subjects)) time(subject) // warm the file cache
for (let run = 0; run < runs; run++) {
  for (const [name, subject] of Object.entries(subjects)) samples[name].push(time(subject))
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const baseline = median(samples['node -e 0'])
console.log(`bench/startup: median of ${runs} interleaved runs`)
for (const name of Object.keys(subjects)) {
  const value = median(samples[name])
  console.log(`  ${name.padEnd(16)} ${value.toFixed(1).padStart(7)} ms   ratio to node -e 0: ${(value / baseline).toFixed(2)}`)
}

const ratio = median(samples['subctl version']) / baseline
console.log(`subctl version / node -e 0 = ${ratio.toFixed(2)} (target <= 2.0)`)
