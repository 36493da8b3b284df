/**
 * One container as a process: in the pod's network namespace (or the node's, for hostNetwork), in
 * a private mount and UTS namespace where the volumes, resolv.conf, hosts, hostname and the
 * termination log are bind-mounted at their paths, with its output kept as CRI-format log lines
 * ("<RFC 3339 time> stdout|stderr F <line>") so that `kubectl logs` works. A container with
 * `stdin` keeps its stdin open for attach; one with `tty` runs on a terminal of its own (the lab's
 * Go helper holds it), and its output, on stdout, is what an attached client sees.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {EventEmitter} from 'node:events'
import type {Writable} from 'node:stream'
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
  /** Keep stdin open (spec.stdin), for attach. */
  stdin: boolean
  /** Run on a terminal (spec.tty) through this helper's `tty` command. */
  tty: {helper: string} | undefined
}

export type OutputStream = 'stdout' | 'stderr'

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

/**
 * The node's own tools that set a container up, by absolute path: the container's PATH may lead
 * to its image's userland first (busybox has applets of the same names that behave otherwise).
 */
const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin'
const NSENTER = systemCommand('nsenter')
const UNSHARE = systemCommand('unshare')

function systemCommand(name: string): string {
  for (const dir of SYSTEM_PATH.split(':')) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`
  throw new Error(`${name} is missing: install util-linux`)
}

function initScript(launch: ContainerLaunch, fileMounts: Set<string>): string {
  // The container's PATH is restored for its command only.
  const lines = ['set -e', 'container_path=$PATH', `PATH=${SYSTEM_PATH}`]
  // A sysfs mounted in this namespace shows the pod's own interfaces, as `ip netns exec` arranges.
  lines.push('mount -t sysfs sysfs /sys 2>/dev/null || true')
  lines.push(`hostname ${quote(launch.hostname)}`)
  for (const mount of launch.mounts) {
    lines.push(`mount --bind ${quote(mount.source)} ${quote(mount.target)}`)
    if (mount.readOnly && !fileMounts.has(mount.target)) lines.push(`mount -o remount,bind,ro ${quote(mount.target)}`)
  }

  lines.push(`cd ${quote(launch.workingDir)}`, 'PATH=$container_path', 'exec "$@"')
  return lines.join('\n')
}

export class ContainerProcess {
  readonly pid: number
  readonly startedAt = new Date()
  readonly exited: Promise<ExitInfo>
  readonly tty: boolean
  readonly #child: ChildProcess
  /** Live output, for attached clients: ('output', stream, chunk). */
  readonly #output = new EventEmitter()

  constructor(launch: ContainerLaunch) {
    const fileMounts = new Set<string>()
    for (const mount of launch.mounts) {
      const isFile = existsSync(mount.source) && !isDirectory(mount.source)
      if (isFile) fileMounts.add(mount.target)
      ensureMountpoint(mount.target, isFile, launch.mountpointRecord)
    }

    mkdirSync(dirname(launch.logFile), {recursive: true})
    const namespaces = launch.netnsPath ? [NSENTER, `--net=${launch.netnsPath}`, '--'] : []
    const program = launch.tty ? [launch.tty.helper, 'tty', '--', ...launch.argv] : launch.argv
    const command = [...namespaces, UNSHARE, '--mount', '--uts', '--propagation', 'private', '--', '/bin/sh', '-c', initScript(launch, fileMounts), 'lab-init', ...program]
    this.tty = launch.tty !== undefined
    this.#output.setMaxListeners(0)
    this.#child = spawn(command[0] as string, command.slice(1), {
      detached: true,
      env: launch.env,
      // fd 3 carries terminal resizes to the tty helper.
      stdio: [launch.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(launch.tty ? ['pipe' as const] : [])],
    })
    // A client that writes to a container that has just exited must not crash the runtime.
    this.#child.stdin?.on('error', () => {})
    ;(this.#child.stdio[3] as Writable | null)?.on('error', () => {})
    if (this.#child.pid === undefined) throw new Error(`could not start ${launch.argv.join(' ')}`)
    this.pid = this.#child.pid

    const log = openSync(launch.logFile, 'a')
    const pending = {stderr: '', stdout: ''}
    const write = (stream: OutputStream, chunk: Buffer | null) => {
      if (chunk) this.#output.emit('output', stream, chunk)
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
        this.#output.emit('exit')
        resolve({code: code ?? (signal ? 128 + signalNumber(signal) : 1), finishedAt: new Date(), signal})
      })
    })
  }

  /** Follows the container's output from now on until it exits; returns the unsubscribe. */
  follow(onChunk: (stream: OutputStream, chunk: Buffer) => void, onExit: () => void): () => void {
    this.#output.on('output', onChunk)
    this.#output.on('exit', onExit)
    return () => {
      this.#output.off('output', onChunk)
      this.#output.off('exit', onExit)
    }
  }

  /** The container's stdin, when the spec keeps it open. */
  get stdin(): Writable | undefined {
    return this.#child.stdin && !this.#child.stdin.destroyed ? this.#child.stdin : undefined
  }

  /** Resizes a tty container's terminal. */
  resize(columns: number, rows: number): void {
    const channel = this.#child.stdio[3] as Writable | null
    if (channel && !channel.destroyed) channel.write(`${columns} ${rows}\n`)
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
