/**
 * What the lab needs on the machine: Debian packages (installed when missing) and the Kubernetes,
 * etcd, CoreDNS and helper binaries, built from their pinned Go modules and cached by version.
 */
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {CACHE_DIR, LAB_SOURCE} from './config.js'
import {imageCommands} from './node/images.js'
import {sh, shAsync} from './sh.js'

/**
 * Commands the lab, its images (node/images.ts) and the benchmarks run, and the Debian package
 * that provides each.
 */
const PACKAGES: Record<string, string> = {
  ...imageCommands(),
  conntrack: 'conntrack',
  dig: 'dnsutils',
  dnsperf: 'dnsperf',
  iperf3: 'iperf3',
  ip: 'iproute2',
  ipset: 'ipset',
  iptables: 'iptables',
  killall: 'psmisc',
  nsenter: 'util-linux',
  openssl: 'openssl',
  ping: 'iputils-ping',
  tcpdump: 'tcpdump',
  wg: 'wireguard-tools',
  'wireguard-go': 'wireguard-go',
  // Unpacks upstream's reference binaries (../shared/upstream) for the interoperability tests and bench/dns.
  xz: 'xz-utils',
}

const has = (command: string) => sh(['sh', '-c', `command -v ${command}`], {allowFailure: true}).trim() !== ''

/** Installs the Debian packages whose commands are missing. */
export function ensurePackages(log: (line: string) => void): void {
  const missing = [...new Set(Object.entries(PACKAGES).filter(([command]) => !has(command)).map(([, pkg]) => pkg))]
  if (missing.length === 0) return
  log(`installing Debian packages: ${missing.join(' ')}`)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  sh(['apt-get', 'update', '-qq'], {env})
  sh(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], {env})
}

const KUBE_MODULE = join(LAB_SOURCE, 'go', 'kube')
const COREDNS_MODULE = join(LAB_SOURCE, 'go', 'coredns')
const TOOLS_MODULE = join(LAB_SOURCE, 'go', 'tools')

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'kubectl', 'coredns', 'netns-forward'] as const
export type Binary = (typeof BINARIES)[number]
const NODE_HELPER_SOURCE = join(KUBE_MODULE, 'node-helper')

/** The pinned Kubernetes version, read from the lab's go.mod. */
export function kubernetesVersion(): string {
  const match = /k8s\.io\/kubernetes (v\d+\.\d+\.\d+)/.exec(readFileSync(join(KUBE_MODULE, 'go.mod'), 'utf8'))
  if (!match?.[1]) throw new Error('test/lab/go/kube/go.mod does not pin k8s.io/kubernetes')
  return match[1]
}

/** The cache key: every pinned version and every helper source, and the Go toolchain. */
function cacheKey(): string {
  const hash = createHash('sha256')
  for (const file of [
    join(KUBE_MODULE, 'go.mod'),
    join(KUBE_MODULE, 'go.sum'),
    join(COREDNS_MODULE, 'go.mod'),
    join(COREDNS_MODULE, 'go.sum'),
    join(TOOLS_MODULE, 'go.mod'),
    join(TOOLS_MODULE, 'go.sum'),
    join(TOOLS_MODULE, 'netns-forward', 'main.go'),
  ]) {
    // By content and path within the checkout, so that every checkout shares the cache.
    hash.update(relative(LAB_SOURCE, file)).update(readFileSync(file))
  }

  hash.update(sh(['go', 'env', 'GOVERSION']).trim())
  return `${kubernetesVersion()}-${hash.digest('hex').slice(0, 12)}`
}

const goBuild = (module: string, args: string[], log: string) =>
  shAsync(['go', 'build', '-trimpath', '-buildvcs=false', ...args], {cwd: module, env: {...process.env, CGO_ENABLED: '0'}, log})

/**
 * The node runtime's Go helper (node/main.ts), cached apart from the Kubernetes binaries: it is
 * built against the same pinned modules, and an edit to it relinks only itself.
 */
export async function ensureNodeHelper(log: (line: string) => void): Promise<string> {
  const hash = createHash('sha256')
  for (const file of [join(KUBE_MODULE, 'go.mod'), join(KUBE_MODULE, 'go.sum'), ...readdirSync(NODE_HELPER_SOURCE).sort().map((name) => join(NODE_HELPER_SOURCE, name))]) {
    hash.update(relative(LAB_SOURCE, file)).update(readFileSync(file))
  }

  hash.update(sh(['go', 'env', 'GOVERSION']).trim())
  const binary = join(CACHE_DIR, `node-helper-${hash.digest('hex').slice(0, 12)}`)
  if (existsSync(binary)) return binary
  mkdirSync(CACHE_DIR, {recursive: true})
  const staging = `${binary}.building-${process.pid}`
  log('building the node runtime\'s Go helper')
  await goBuild(KUBE_MODULE, ['-ldflags', '-s -w', '-o', staging, './node-helper'], `${staging}.log`)
  renameSync(staging, binary)
  rmSync(`${staging}.log`, {force: true})
  return binary
}

/** Returns the directory holding the built binaries, building them first when the cache lacks them. */
export async function ensureBinaries(log: (line: string) => void): Promise<{dir: string; builtInSeconds?: number}> {
  const dir = join(CACHE_DIR, cacheKey())
  if (BINARIES.every((binary) => existsSync(join(dir, binary)))) return {dir}

  const started = Date.now()
  const staging = `${dir}.building-${process.pid}`
  rmSync(staging, {force: true, recursive: true})
  mkdirSync(staging, {recursive: true})
  const buildLog = join(staging, 'build.log')
  const version = kubernetesVersion()
  const [major, minor] = version.slice(1).split('.')
  // Without these the binaries report v0.0.0 and version checks (subctl's own among them) fail.
  const versionFlags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
  ])
  const go = (module: string, args: string[]) => goBuild(module, args, buildLog)

  log(`building Kubernetes ${version}, etcd, CoreDNS and the lab helpers (first run only; see ${buildLog})`)
  await go(KUBE_MODULE, [
    '-ldflags',
    ['-s', '-w', ...versionFlags].join(' '),
    '-o',
    staging + '/',
    'k8s.io/kubernetes/cmd/kube-apiserver',
    'k8s.io/kubernetes/cmd/kube-controller-manager',
    'k8s.io/kubernetes/cmd/kube-scheduler',
    'k8s.io/kubernetes/cmd/kube-proxy',
    'k8s.io/kubernetes/cmd/kubectl',
  ])
  await go(KUBE_MODULE, ['-ldflags', '-s -w', '-o', join(staging, 'etcd'), 'go.etcd.io/etcd/server/v3'])
  await go(COREDNS_MODULE, ['-ldflags', '-s -w', '-o', join(staging, 'coredns'), 'github.com/coredns/coredns'])
  await go(TOOLS_MODULE, ['-ldflags', '-s -w', '-o', join(staging, 'netns-forward'), './netns-forward'])

  const builtInSeconds = Math.round((Date.now() - started) / 1000)
  writeFileSync(join(staging, 'build-seconds'), `${builtInSeconds}\n`)
  rmSync(dir, {force: true, recursive: true})
  renameSync(staging, dir)
  log(`built in ${builtInSeconds} s`)
  return {builtInSeconds, dir}
}
