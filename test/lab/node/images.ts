/**
 * The images the lab can run, in one table. The lab has no image store: a container runs its
 * command in the pod's namespaces with the node's own binaries, so each image here says what its
 * image config would (Docker's ENTRYPOINT and CMD, PATH), which of its programs the node provides
 * under another path, and which Debian packages bring the commands its users run in it. An image
 * that is not in the table leaves its pod Pending with a Failed event, as a pull error would.
 */
import {join} from 'node:path'

export interface NodeFiles {
  /** The agent bundle (dist/agent.js) and the Node.js that runs it. */
  agentBundle: string
  node: string
  coredns: string
  /** The lab's Go helper: its `pause` command is the pause image's program. */
  nodeHelper: string
  /** A directory of links to busybox, one per applet: the userland of busybox and alpine. */
  busyboxBin: string
}

export interface ImageConfig {
  /** Docker semantics: `command` replaces the entrypoint, `args` replace the cmd. */
  entrypoint: string[]
  cmd: string[]
  /** Directories ahead of the default PATH (the image's own userland). */
  path: string[]
  /** Programs of the image at their image paths, and the node's argv that stands for each. */
  programs: Record<string, string[]>
}

interface ImageEntry {
  /** Repositories (without registry docker.io and library/) that name this image. */
  names: string[]
  /** Whether any repository ending in one of the names matches (the agent under --repository). */
  anyRegistry?: boolean
  config: (files: NodeFiles) => ImageConfig
  /** The commands its users run, and the Debian package of each. */
  commands: Record<string, string>
}

const BUSYBOX_COMMANDS = {busybox: 'busybox'}
const busyboxUserland = (files: NodeFiles): Pick<ImageConfig, 'path' | 'programs'> => ({
  path: [files.busyboxBin],
  programs: {'/bin/ash': [join(files.busyboxBin, 'ash')], '/bin/sh': [join(files.busyboxBin, 'sh')]},
})

const AGENT_IMAGES = [
  'lighthouse-agent',
  'lighthouse-coredns',
  'nettest',
  'subctl-agent',
  'submariner-gateway',
  'submariner-globalnet',
  'submariner-nettest',
  'submariner-operator',
  'submariner-route-agent',
]

const TABLE: ImageEntry[] = [
  {
    // The project's agent image (Dockerfile) under each of upstream's component names; benchmark runs
    // iperf3 in it, diagnose's probe pods tcpdump, nc, curl and ip, gather's commands ipset and iptables-save.
    anyRegistry: true,
    commands: {curl: 'curl', ip: 'iproute2', ipset: 'ipset', iperf3: 'iperf3', 'iptables-save': 'iptables', nc: 'netcat-openbsd', tcpdump: 'tcpdump', wg: 'wireguard-tools'},
    config: (files) => ({cmd: ['--help'], entrypoint: ['node', '/app/agent.js'], path: [], programs: {'/app/agent.js': [files.agentBundle], node: [files.node]}}),
    names: AGENT_IMAGES,
  },
  {
    anyRegistry: true,
    commands: {},
    config: (files) => ({cmd: [], entrypoint: ['/coredns'], path: [], programs: {'/coredns': [files.coredns]}}),
    names: ['coredns'],
  },
  {
    commands: {},
    config: (files) => ({cmd: [], entrypoint: ['/pause'], path: [], programs: {'/pause': [files.nodeHelper, 'pause']}}),
    names: ['registry.k8s.io/pause', 'k8s.gcr.io/pause'],
  },
  {
    commands: BUSYBOX_COMMANDS,
    config: (files) => ({cmd: ['sh'], entrypoint: [], ...busyboxUserland(files)}),
    names: ['busybox'],
  },
  {
    commands: BUSYBOX_COMMANDS,
    config: (files) => ({cmd: ['/bin/sh'], entrypoint: [], ...busyboxUserland(files)}),
    names: ['alpine'],
  },
  {
    commands: {...BUSYBOX_COMMANDS, socat: 'socat'},
    config: (files) => ({cmd: [], entrypoint: ['socat'], ...busyboxUserland(files)}),
    names: ['alpine/socat'],
  },
  {
    // A network troubleshooting image: the suites run nc, nslookup, dig and curl in it.
    commands: {
      curl: 'curl',
      dig: 'dnsutils',
      ip: 'iproute2',
      iperf3: 'iperf3',
      nc: 'netcat-openbsd',
      nslookup: 'dnsutils',
      ping: 'iputils-ping',
      socat: 'socat',
      tcpdump: 'tcpdump',
      zsh: 'zsh',
    },
    config: () => ({cmd: ['zsh'], entrypoint: [], path: [], programs: {}}),
    names: ['nicolaka/netshoot'],
  },
]

/** The repository of an image reference: no tag, digest, docker.io/ or library/. */
export function repositoryOf(image: string): string {
  let name = image.split('@')[0] ?? image
  const lastSlash = name.lastIndexOf('/')
  const tag = name.lastIndexOf(':')
  if (tag > lastSlash) name = name.slice(0, tag)
  for (const prefix of ['docker.io/', 'index.docker.io/', 'library/']) if (name.startsWith(prefix)) name = name.slice(prefix.length)
  return name
}

function entryFor(image: string): ImageEntry | undefined {
  const repository = repositoryOf(image)
  const lastSegment = repository.split('/').pop() ?? repository
  return TABLE.find((entry) => entry.names.includes(repository) || (entry.anyRegistry === true && entry.names.includes(lastSegment)))
}

/** Every Debian package an image of the table needs, by the command that tells whether it is there. */
export function imageCommands(): Record<string, string> {
  return Object.assign({}, ...TABLE.map((entry) => entry.commands)) as Record<string, string>
}

export type Program = {argv: string[]; path: string[]} | {error: string}

/**
 * What a container runs: its entrypoint and cmd after Docker's rules, with the image's programs
 * replaced by the node's. `path` goes ahead of the container's PATH.
 */
export function resolveImage(image: string, command: string[] | undefined, args: string[] | undefined, files: NodeFiles): Program {
  const entry = entryFor(image)
  if (!entry) {
    const known = TABLE.flatMap((candidate) => candidate.names).join(', ')
    return {error: `image "${image}" is not runnable in the lab: it runs only the images of its table (${known})`}
  }

  const config = entry.config(files)
  const argv = command && command.length > 0 ? [...command, ...(args ?? [])] : [...config.entrypoint, ...(args && args.length > 0 ? args : config.cmd)]
  if (argv.length === 0) return {error: `image "${image}" has no entrypoint or cmd, and the container gives no command`}
  const [program = '', ...rest] = argv
  // The first word may be a bare name (`node`); later ones are replaced only as absolute paths.
  const mapped = [...(config.programs[program] ?? [program]), ...rest.flatMap((word) => (word.startsWith('/') && config.programs[word] ? config.programs[word] : [word]))]
  return {argv: mapped, path: config.path}
}
