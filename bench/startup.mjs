#!/usr/bin/env node
// bench/startup: how long the CLI takes, whole process, against `node -e 0` and upstream's Go subctl
// in the same run. Subjects run interleaved, RUNS times each; the figures are medians.
//   node bench/startup.mjs [RUNS] [--subctl PATH/bin/run.cjs]      (default 15 runs; this checkout)
// `show connections` runs over the lab's contexts (broker, c1, c2) when the lab is up; upstream's
// subctl is unpacked from ../shared/upstream when it is there. Targets (issue 16): version <= 1.2,
// --help and join --help <= 1.5, show connections <= 2.5 x node and <= 2.0 x upstream.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const {positionals, values} = parseArgs({allowPositionals: true, options: {subctl: {type: 'string'}}})
const runs = Math.max(5, Number(positionals[0] ?? 15))
const ours = values.subctl ?? join(root, 'bin/run.cjs')
const labKubeconfig = '/run/subctl-lab/kubeconfig.host'

/** Upstream's subctl, unpacked once into a temporary directory; undefined when it is not shipped beside us. */
function upstreamSubctl() {
  const packed = join(root, '..', 'shared', 'upstream', 'subctl-0.19-linux-amd64.xz')
  if (!existsSync(packed)) return undefined
  const unpacked = spawnSync('xz', ['-dc', packed], {maxBuffer: 1 << 30})
  if (unpacked.status !== 0) throw new Error(`xz -dc ${packed} failed: ${unpacked.stderr}`)
  const file = join(mkdtempSync(join(tmpdir(), 'subctl-upstream-')), 'subctl')
  writeFileSync(file, unpacked.stdout, {mode: 0o755})
  return file
}

const upstream = upstreamSubctl()
const labUp = existsSync(labKubeconfig) && spawnSync(process.execPath, [ours, 'show', 'connections'], {env: {...process.env, KUBECONFIG: labKubeconfig}, stdio: 'ignore'}).status === 0
const commands = [
  {args: ['version'], name: 'version', target: 1.2},
  {args: ['--help'], name: '--help', target: 1.5},
  {args: ['join', '--help'], name: 'join --help', target: 1.5},
  ...(labUp ? [{args: ['show', 'connections'], env: {KUBECONFIG: labKubeconfig}, name: 'show connections (3 contexts)', target: 2.5, upstreamTarget: 2.0}] : []),
]

const subjects = [{command: [process.execPath, '-e', '0'], name: 'node -e 0'}]
for (const command of commands) {
  subjects.push({command: [process.execPath, ours, ...command.args], env: command.env, name: `subctl ${command.name}`})
  if (upstream) subjects.push({command: [upstream, ...command.args], env: command.env, name: `upstream ${command.name}`})
}

function time({command: [file, ...args], env}) {
  const started = process.hrtime.bigint()
  const result = spawnSync(file, args, {env: {...process.env, ...env}, stdio: 'ignore'})
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${result.status}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

const samples = new Map(subjects.map((subject) => [subject.name, []]))
for (const subject of subjects) time(subject) // warm the file cache
for (let run = 0; run < runs; run++) for (const subject of subjects) samples.get(subject.name).push(time(subject))

const median = (name) => {
  const sorted = [...samples.get(name)].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const node = median('node -e 0')
const cell = (text, width) => String(text).padEnd(width)
console.log(`bench/startup: medians of ${runs} interleaved runs, whole process (${ours})`)
console.log(`  node -e 0: ${node.toFixed(1)} ms${labUp ? '' : '   (the lab is down: no show connections)'}${upstream ? '' : '   (no upstream subctl in ../shared/upstream)'}`)
console.log(`  ${cell('command', 38)}${cell('ours ms', 10)}${cell('/ node', 8)}${cell('target', 9)}${cell('upstream ms', 13)}${cell('ours / upstream', 17)}`)
let missed = 0
for (const command of commands) {
  const value = median(`subctl ${command.name}`)
  const ratio = value / node
  const upstreamValue = upstream ? median(`upstream ${command.name}`) : undefined
  const ratioToUpstream = upstreamValue === undefined ? undefined : value / upstreamValue
  const met = ratio <= command.target && (command.upstreamTarget === undefined || ratioToUpstream === undefined || ratioToUpstream <= command.upstreamTarget)
  if (!met) missed++
  const upstreamTarget = command.upstreamTarget === undefined ? '' : ` (<= ${command.upstreamTarget})`
  console.log(
    `  ${cell(`subctl ${command.name}`, 38)}${cell(value.toFixed(1), 10)}${cell(ratio.toFixed(2), 8)}${cell(`<= ${command.target}`, 9)}` +
      `${cell(upstreamValue === undefined ? '-' : upstreamValue.toFixed(1), 13)}${cell(ratioToUpstream === undefined ? '-' : `${ratioToUpstream.toFixed(2)}${upstreamTarget}`, 17)}${met ? 'met' : 'MISSED'}`,
  )
}

console.log(missed === 0 ? 'every target met' : `${missed} target(s) missed`)
