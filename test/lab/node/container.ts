/**
 * One container as a process: in the pod's network namespace (or the node's, for hostNetwork), in
 * a private mount and UTS namespace where the volumes, resolv.conf, hosts and the termination log
 * are bind-mounted at their paths, with its output kept as CRI-format log lines
 * ("<RFC 3339 time> stdout|stderr F <line>") so that `kubectl logs` works.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {appendFileSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

export interface Mount {
  source: string
  target: string
  readOnly: boolean
}

export interface ContainerLaunch {
  argv: string[]
  env: Record<string, string>
  workingDir: string
  /** /run/netns/NAME of the pod; undefined runs in the node's namespace (hostNetwork). */
  netnsPath: string | undefined
  hostname: string
  mounts: Mount[]
  logFile: string
  /** Appends each mount point created on the host, so `lab down` can remove it. */
  mountpointRecord: string
}

export interface ExitInfo {
  code: number
  signal: string | null
  finishedAt: Date
}

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`

/** Creates a missing mount point on the host (private mounts still need one) and records what it made. */
function ensureMountpoint(target: string, isFile: boolean, record: string): void {
  if (existsSync(target)) return
  const missing: string[] = []
  let directory = isFile ? dirname(target) : target
  while (!existsSync(directory)) {
    missing.unshift(directory)
    directory = dirname(directory)
  }

  for (const path of missing) {
    mkdirSync(path)
    appendFileSync(record, `${path}\n`)
  }

  if (isFile) {
    closeSync(openSync(target, 'a'))
    appendFileSync(record, `${target}\n`)
  }
}

function initScript(launch: ContainerLaunch, fileMounts: Set<string>): string {
  const lines = ['set -e']
  // A sysfs mounted in this namespace shows the pod's own interfaces, as `ip netns exec` arranges.
  lines.push('mount -t sysfs sysfs /sys 2>/dev/null || true')
  lines.push(`hostname ${quote(launch.hostname)}`)
  for (const mount of launch.mounts) {
    lines.push(`mount --bind ${quote(mount.source)} ${quote(mount.target)}`)
    if (mount.readOnly && !fileMounts.has(mount.target)) lines.push(`mount -o remount,bind,ro ${quote(mount.target)}`)
  }

  lines.push(`cd ${quote(launch.workingDir)}`, 'exec "$@"')
  return lines.join('\n')
}

export class ContainerProcess {
  readonly pid: number
  readonly startedAt = new Date()
  readonly exited: Promise<ExitInfo>
  readonly #child: ChildProcess

  constructor(launch: ContainerLaunch) {
    const fileMounts = new Set<string>()
    for (const mount of launch.mounts) {
      const isFile = existsSync(mount.source) && !isDirectory(mount.source)
      if (isFile) fileMounts.add(mount.target)
      ensureMountpoint(mount.target, isFile, launch.mountpointRecord)
    }

    mkdirSync(dirname(launch.logFile), {recursive: true})
    const namespaces = launch.netnsPath ? ['nsenter', `--net=${launch.netnsPath}`, '--'] : []
    const command = [...namespaces, 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'sh', '-c', initScript(launch, fileMounts), 'lab-init', ...launch.argv]
    this.#child = spawn(command[0] as string, command.slice(1), {
      detached: true,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (this.#child.pid === undefined) throw new Error(`could not start ${launch.argv.join(' ')}`)
    this.pid = this.#child.pid

    const log = openSync(launch.logFile, 'a')
    const pending = {stderr: '', stdout: ''}
    const write = (stream: 'stdout' | 'stderr', chunk: Buffer | null) => {
      const text = pending[stream] + (chunk ? chunk.toString('utf8') : '')
      const lines = text.split('\n')
      pending[stream] = chunk ? (lines.pop() ?? '') : ''
      for (const line of lines) {
        if (chunk === null && line === '') continue
        writeSync(log, `${new Date().toISOString()} ${stream} F ${line}\n`)
      }
    }

    this.#child.stdout?.on('data', (chunk: Buffer) => write('stdout', chunk))
    this.#child.stderr?.on('data', (chunk: Buffer) => write('stderr', chunk))
    this.exited = new Promise((resolve) => {
      this.#child.on('close', (code, signal) => {
        write('stdout', null)
        write('stderr', null)
        closeSync(log)
        resolve({code: code ?? (signal ? 128 + signalNumber(signal) : 1), finishedAt: new Date(), signal})
      })
    })
  }

  /** Signals the container's whole process group. */
  kill(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal)
    } catch {
      // already gone
    }
  }
}

function isDirectory(path: string): boolean {
  return statSync(path).isDirectory()
}

function signalNumber(signal: NodeJS.Signals): number {
  return {SIGINT: 2, SIGKILL: 9, SIGTERM: 15}[signal as string] ?? 1
}
