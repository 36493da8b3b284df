/**
 * What other people's suites need of the lab, through each cluster's API server as on a real
 * cluster: kubectl exec (WebSocket v5 and SPDY, stdin, tty, exit codes), a WebSocket v4 client,
 * attach, port-forward, the images of the table, the downward API, /etc/hosts and /etc/hostname,
 * cluster DNS from foreign images, and a kubelet port that only the API server may call.
 */
import {startProcess} from './sh.js'
import {readFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'

import type {KubeClient} from '../../src/k8s/client.js'
import {Resources} from '../../src/k8s/resources.js'
import {run} from '../helpers/cli.js'
import {clusterClient, eventually, kubectl, kubectlOk, labExec, labState, type PodLike} from '../helpers/lab.js'
import {hostApiPort, parseClusters, paths} from './config.js'
import {clusterPki} from './pki.js'

const NAMESPACE = `lab-streams-${Date.now().toString(36)}`
const c1Config = () => parseClusters(labState().clusters).find((cluster) => cluster.name === 'c1')!
let c1: KubeClient

/** The images of the table (node/images.ts), each with a container that stays up. */
const IMAGES: Array<{pod: string; image: string; command?: string[]; args?: string[]}> = [
  {args: ['nettest', 'serve', '--tcp-port', '8080'], image: 'quay.io/submariner/nettest:devel', pod: 'agent'},
  {command: ['sleep', '3600'], image: 'busybox:1.36', pod: 'busybox'},
  {command: ['sleep', '3600'], image: 'alpine:3.20', pod: 'alpine'},
  {command: ['sleep', '3600'], image: 'alpine/socat:1.7.4.4', pod: 'socat'},
  {command: ['sleep', '3600'], image: 'nicolaka/netshoot:v0.15', pod: 'netshoot'},
  {image: 'registry.k8s.io/pause:3.10', pod: 'pause'},
]

async function createPod(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Promise<void> {
  await c1.create({apiVersion: 'v1', kind: 'Pod', metadata: {annotations, labels, name, namespace: NAMESPACE}, spec: {terminationGracePeriodSeconds: 1, ...spec}})
}

async function running(name: string): Promise<PodLike> {
  return eventually(`pod ${name} to run`, async () => {
    const pod = await c1.get<PodLike>(Resources.Pod, name, NAMESPACE)
    return pod.status?.phase === 'Running' && pod.status.containerStatuses?.every((status) => status.ready) ? pod : undefined
  })
}

/** kubectl exec in c1; `spdy` turns client-go's WebSocket executor off, as older kubectls do. */
function exec(pod: string, command: string[], options: {stdin?: string; spdy?: boolean} = {}) {
  const env = options.spdy ? {KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false'} : {}
  const args = ['--kubeconfig', paths.hostKubeconfig, '--context', 'c1', 'exec', ...(options.stdin === undefined ? [] : ['-i']), '-n', NAMESPACE, pod, '--', ...command]
  return run(`${paths.bin}/kubectl`, args, {env, input: options.stdin})
}

/** kubectl exec -it on a terminal of its own (script(1) gives kubectl one). */
function execOnTerminal(pod: string, shellCommand: string, options: {spdy?: boolean} = {}) {
  const kubectlCommand = `${paths.bin}/kubectl --kubeconfig ${paths.hostKubeconfig} --context c1 exec -it -n ${NAMESPACE} ${pod} -- sh -c '${shellCommand}'`
  return run('script', ['-qec', `stty cols 91 rows 17; ${kubectlCommand}`, '/dev/null'], {env: options.spdy ? {KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false'} : {}})
}

beforeAll(async () => {
  c1 = await clusterClient('c1')
  await c1.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACE}})
  for (const {args, command, image, pod} of IMAGES) await createPod(pod, {containers: [{image, name: 'main', ...(command ? {command} : {}), ...(args ? {args} : {})}]})
})

afterAll(async () => {
  await c1?.delete(Resources.Namespace, NAMESPACE)
  c1?.close()
})

describe('kubectl exec through the API server', () => {
  it.each(IMAGES.map((entry) => [entry.image, entry.pod]))('runs a command in a pod of %s, with stdin, over WebSocket and SPDY', async (_image, pod) => {
    await running(pod)
    for (const spdy of [false, true]) {
      const result = await exec(pod, ['sh', '-c', 'read line; echo "got $line in $(hostname)"; echo to-stderr >&2'], {spdy, stdin: 'hello\n'})
      expect(result.stderr, `spdy=${spdy}`).toContain('to-stderr')
      expect(result.stdout).toBe(`got hello in ${pod}\n`)
      expect(result.code).toBe(0)
    }
  })

  it.each(IMAGES.map((entry) => [entry.image, entry.pod]))('gives a pod of %s a terminal of the client’s size, over WebSocket and SPDY', async (_image, pod) => {
    await running(pod)
    for (const spdy of [false, true]) {
      const result = await execOnTerminal(pod, 'tty; stty size; exit 5', {spdy})
      expect(result.stdout, `spdy=${spdy}`).toMatch(/\/dev\/pts\/\d+\r?\n17 91\r?\n/)
      expect(result.stdout).toContain('command terminated with exit code 5')
    }
  })

  it('returns the exit code of the command, and a clear error for a command that does not exist', async () => {
    const failed = await exec('busybox', ['sh', '-c', 'exit 3'])
    expect(failed.code).toBe(3)
    expect(failed.stderr).toContain('command terminated with exit code 3')
    const spdy = await exec('busybox', ['sh', '-c', 'exit 4'], {spdy: true})
    expect(spdy.code).toBe(4)

    const missing = await exec('busybox', ['no-such-command'])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('"no-such-command": executable file not found in $PATH')
  })

  it('serves a WebSocket client that speaks only v4.channel.k8s.io', async () => {
    await running('busybox')
    const cluster = c1Config()
    const pki = clusterPki(cluster)
    const query = ['sh', '-c', 'echo over-v4; exit 6'].map((word) => `command=${encodeURIComponent(word)}`).join('&')
    const socket = new WebSocket(`wss://127.0.0.1:${hostApiPort(cluster)}/api/v1/namespaces/${NAMESPACE}/pods/busybox/exec?${query}&stdout=1&stderr=1`, ['v4.channel.k8s.io'], {
      ca: readFileSync(pki.ca.cert),
      cert: readFileSync(pki.admin.cert),
      key: readFileSync(pki.admin.key),
    })
    const channels: Record<number, string> = {}
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data: Buffer) => {
        channels[data[0] as number] = (channels[data[0] as number] ?? '') + data.subarray(1).toString('utf8')
      })
      socket.on('close', () => resolve())
      socket.on('error', reject)
    })
    expect(socket.protocol).toBe('v4.channel.k8s.io')
    expect(channels[1]).toBe('over-v4\n')
    const status = JSON.parse(channels[3] ?? '{}') as {status: string; reason: string; details: {causes: Array<{reason: string; message: string}>}}
    expect(status).toMatchObject({reason: 'NonZeroExitCode', status: 'Failure'})
    expect(status.details.causes).toContainEqual({message: '6', reason: 'ExitCode'})
  })
})

describe('kubectl attach and port-forward', () => {
  it('attaches to a running container’s output, and to its stdin', async () => {
    await createPod('ticker', {containers: [{command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'], image: 'busybox', name: 'main'}]})
    await createPod('reader', {containers: [{command: ['sh', '-c', 'while read line; do echo "heard $line"; done'], image: 'busybox', name: 'main', stdin: true}]})
    await running('ticker')
    await running('reader')

    const ticks = await run('timeout', ['3', `${paths.bin}/kubectl`, '--kubeconfig', paths.hostKubeconfig, '--context', 'c1', 'attach', '-n', NAMESPACE, 'ticker'])
    expect(ticks.stdout).toMatch(/tick \d+\ntick \d+\n/)

    const heard = await run('timeout', ['4', `${paths.bin}/kubectl`, '--kubeconfig', paths.hostKubeconfig, '--context', 'c1', 'attach', '-i', '-n', NAMESPACE, 'reader'], {
      input: 'one\ntwo\n',
    })
    // Without stdinOnce the container's stdin stays open after the client leaves, as on a kubelet.
    await eventually('the reader to log what it heard', async () => {
      const logs = await kubectlOk('c1', ['logs', '-n', NAMESPACE, 'reader'])
      return logs.includes('heard one\nheard two\n') ? logs : undefined
    })
    expect(heard.stdout).toContain('heard one')
  })

  it('attaches a terminal to a tty container, at the client’s size', async () => {
    await createPod('shell', {containers: [{command: ['sh'], image: 'busybox', name: 'main', stdin: true, tty: true}]})
    await running('shell')
    const attach = `${paths.bin}/kubectl --kubeconfig ${paths.hostKubeconfig} --context c1 attach -it -n ${NAMESPACE} shell`
    // script(1) gives kubectl a terminal and types what it reads from its own stdin.
    const result = await run('script', ['-qec', `stty cols 77 rows 19; ${attach}`, '/dev/null'], {input: 'echo "in $(hostname): $(stty size)"; exit 9\n'})
    expect(result.stdout).toContain('in shell: 19 77')
    // The shell was the container's main process: it exited with its code.
    const pod = await eventually('the shell container to exit', async () => {
      const current = await c1.get<PodLike>(Resources.Pod, 'shell', NAMESPACE)
      return current.status?.containerStatuses?.[0]?.state.terminated || (current.status as {containerStatuses?: Array<{lastState?: {terminated?: {exitCode: number}}}>})?.containerStatuses?.[0]?.lastState?.terminated
    })
    expect(pod.exitCode).toBe(9)
  })

  it('forwards a local port to an HTTP server on a privileged port of a pod, over WebSocket and SPDY', async () => {
    await createPod('web', {
      containers: [{command: ['sh', '-c', 'mkdir -p /tmp/www && echo "served by $(hostname) as uid $(id -u)" > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www'], image: 'busybox', name: 'main'}],
    })
    await running('web')
    for (const [port, env] of [
      [18481, {}],
      [18482, {KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false'}],
    ] as const) {
      const forward = startProcess([`${paths.bin}/kubectl`, '--kubeconfig', paths.hostKubeconfig, '--context', 'c1', 'port-forward', '-n', NAMESPACE, 'pod/web', `${port}:80`], {env: {...process.env, ...env}})
      try {
        const body = await eventually(`port ${port} to forward`, async () => {
          const response = await fetch(`http://127.0.0.1:${port}/`)
          return response.ok ? response.text() : undefined
        }, 10_000)
        expect(body).toBe('served by web as uid 0\n')
      } finally {
        forward.kill()
      }
    }
  })
})

describe('pods as a kubelet sets them up', () => {
  it('fills in the downward API in env and in a volume', async () => {
    await createPod(
      'downward',
      {
        containers: [
          {
            command: ['sleep', '3600'],
            env: [
              ...['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['app']", "metadata.annotations['note']", 'spec.nodeName', 'spec.serviceAccountName'].map((fieldPath, index) => ({
                name: `FIELD_${index}`,
                valueFrom: {fieldRef: {fieldPath}},
              })),
              ...['status.podIP', 'status.podIPs', 'status.hostIP', 'status.hostIPs'].map((fieldPath, index) => ({name: `STATUS_${index}`, valueFrom: {fieldRef: {fieldPath}}})),
            ],
            image: 'busybox',
            name: 'main',
            volumeMounts: [{mountPath: '/etc/podinfo', name: 'podinfo'}],
          },
        ],
        volumes: [
          {
            downwardAPI: {
              items: [
                {fieldRef: {fieldPath: 'metadata.labels'}, path: 'labels'},
                {fieldRef: {fieldPath: 'metadata.annotations'}, path: 'annotations'},
                {fieldRef: {fieldPath: 'metadata.name'}, path: 'name'},
              ],
            },
            name: 'podinfo',
          },
        ],
      },
      {app: 'downward', tier: 'test'},
      {note: 'hello'},
    )
    const pod = await running('downward')
    const env = (await exec('downward', ['env'])).stdout
    const node = pod.spec.nodeName as string
    const nodeIP = parseClusters(labState().clusters).flatMap((cluster) => cluster.nodes).find((entry) => entry.name === node)?.ip
    const podIP = pod.status?.podIP as string
    for (const line of [
      'FIELD_0=downward',
      `FIELD_1=${NAMESPACE}`,
      `FIELD_2=${pod.metadata.uid}`,
      'FIELD_3=downward',
      'FIELD_4=hello',
      `FIELD_5=${node}`,
      'FIELD_6=default',
      `STATUS_0=${podIP}`,
      `STATUS_1=${podIP}`,
      `STATUS_2=${nodeIP}`,
      `STATUS_3=${nodeIP}`,
    ]) {
      expect(env.split('\n')).toContain(line)
    }

    const files = await exec('downward', ['sh', '-c', 'cat /etc/podinfo/labels; echo; cat /etc/podinfo/annotations; echo; cat /etc/podinfo/name'])
    expect(files.stdout).toBe('app="downward"\ntier="test"\nnote="hello"\ndownward')
  })

  it('gives each pod /etc/hosts and /etc/hostname, with a StatefulSet pod’s hostname and subdomain', async () => {
    await c1.create({apiVersion: 'v1', kind: 'Service', metadata: {name: 'db', namespace: NAMESPACE}, spec: {clusterIP: 'None', ports: [{port: 80}], selector: {app: 'db'}}})
    await c1.create({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: {name: 'db', namespace: NAMESPACE},
      spec: {
        replicas: 1,
        selector: {matchLabels: {app: 'db'}},
        serviceName: 'db',
        template: {metadata: {labels: {app: 'db'}}, spec: {containers: [{command: ['sleep', '3600'], image: 'busybox', name: 'main'}], terminationGracePeriodSeconds: 1}},
      },
    })
    const pod = await eventually('the StatefulSet pod', () => c1.tryGet<PodLike>(Resources.Pod, 'db-0', NAMESPACE))
    expect(pod.metadata.name).toBe('db-0')
    const ready = await running('db-0')
    const result = await exec('db-0', ['sh', '-c', 'hostname; cat /etc/hostname; grep db-0 /etc/hosts; id -u'])
    expect(result.stdout).toBe(`db-0\ndb-0\n${ready.status?.podIP}\tdb-0.db.${NAMESPACE}.svc.cluster.local db-0\n0\n`)
  })

  it('resolves cluster names from foreign images through the cluster’s CoreDNS', async () => {
    await running('busybox')
    await running('netshoot')
    // busybox's own nslookup (as in the busybox image) looks up a name with a dot as it is, without
    // the search list; bind's, in netshoot, applies it, so the short name resolves there.
    const busybox = await exec('busybox', ['nslookup', 'kubernetes.default.svc.cluster.local'])
    expect(busybox.stdout).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local\nAddress:\s+10\.88\.0\.1/)
    const netshoot = await exec('netshoot', ['nslookup', 'kubernetes.default'])
    expect(netshoot.stdout).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local\nAddress:\s+10\.88\.0\.1/)
  })
})

describe('the kubelet port', () => {
  it('serves the API server’s kubelet client certificate and refuses any other caller', async () => {
    const cluster = c1Config()
    const pki = clusterPki(cluster)
    const url = `https://${cluster.nodes[1]?.ip}:10250/healthz`
    const curl = (extra: string[]) => labExec(['curl', '-sS', '--max-time', '5', '--cacert', pki.ca.cert, ...extra, url])
    const apiServer = await curl(['--cert', pki.kubeletClient.cert, '--key', pki.kubeletClient.key])
    expect(apiServer.stdout).toBe('ok')
    const admin = await curl(['--cert', pki.admin.cert, '--key', pki.admin.key, '-o', '/dev/null', '-w', '%{http_code}'])
    expect(admin.stdout).toBe('403')
    const anonymous = await curl([])
    expect(anonymous.code).not.toBe(0)
  })

  it('still serves container logs behind the port', async () => {
    await running('busybox')
    const result = await kubectl('c1', ['logs', '-n', NAMESPACE, 'ticker', '--tail', '1'])
    expect(result.stdout).toMatch(/^tick \d+\n$/)
  })
})
