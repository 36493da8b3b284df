/**
 * Issue 4 on the lab: deploy-broker, join through a prompt (a real pseudo-terminal) and through
 * flags, the objects and their status, the broker token's limits, and every bad input refused
 * with one line, a non-zero exit and nothing written anywhere.
 */
import {mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import type {Broker, Submariner} from '../../src/api/submariner.js'
import {clientForServer} from '../../src/k8s/clients.js'
import type {KubeObject} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import {decodeBrokerInfo} from '../../src/lib/broker-info.js'
import {HOST_API_PORT_BASE, HOST_NETNS} from '../lab/config.js'
import {execEnvironment} from '../lab/operations.js'
import {ROOT} from '../helpers/cli.js'
import {eventually} from '../helpers/lab.js'
import {BROKER_INFO, scratchDir, subctl, subctlOk, withClient, WORKDIR} from './clusterset.js'
import {startProcess} from '../lab/sh.js'
import {saveStateBeforeJoin} from './node-state.js'

/** What a failed join must not leave behind on the joining cluster and the broker. */
async function nothingWritten(cluster: string): Promise<void> {
  await withClient(cluster, async (client) => {
    expect(await client.tryGet(Resources.Namespace, 'submariner-operator'), `no operator namespace on ${cluster}`).toBeUndefined()
    const nodes = await client.list<KubeObject>(Resources.Node, {labelSelector: 'submariner.io/gateway=true'})
    expect(nodes.items, `no gateway label on ${cluster}`).toEqual([])
  })
  await withClient('broker', async (client) => {
    expect(await client.tryGet(Resources.ServiceAccount, `cluster-${cluster}`, 'submariner-k8s-broker')).toBeUndefined()
    expect(await client.tryGet(Resources.Cluster, cluster, 'submariner-k8s-broker')).toBeUndefined()
  })
}

function expectOneLineError(result: {code: number | null; stderr: string}, message: RegExp, code?: number): void {
  expect(result.code, result.stderr).not.toBe(0)
  if (code !== undefined) expect(result.code).toBe(code)
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error: '))
  expect(errors, result.stderr).toHaveLength(1)
  expect(errors[0]).toMatch(message)
  expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/)
}

beforeAll(async () => {
  // A re-run on a used lab starts from nothing too: no Submariner, no broker-info.subm.
  for (const context of ['c1', 'c2', 'broker']) {
    await subctl(['uninstall', '--context', context, '--yes', '--force'])
  }

  rmSync(WORKDIR, {force: true, recursive: true})
  mkdirSync(WORKDIR, {recursive: true})
  saveStateBeforeJoin()
}, 600_000)

describe('deploy-broker', () => {
  it('turns the broker cluster into a broker and writes broker-info.subm (0600)', async () => {
    const dryRun = await subctlOk(['deploy-broker', '--context', 'broker', '--dry-run'])
    expect(dryRun.stdout).toMatch(/kind: Broker/)
    expect(dryRun.stdout).toMatch(/kind: Deployment[\s\S]*name: submariner-operator/)
    expect(readdirSync(WORKDIR)).not.toContain('broker-info.subm')
    await withClient('broker', async (client) => expect(await client.tryGet(Resources.Namespace, 'submariner-k8s-broker')).toBeUndefined())

    await subctlOk(['deploy-broker', '--context', 'broker'])
    expect(statSync(BROKER_INFO).mode & 0o777).toBe(0o600)
    const info = decodeBrokerInfo(readFileSync(BROKER_INFO, 'utf8'))
    expect(info.brokerURL).toBe('https://172.30.1.10:6443')
    expect(info.components).toEqual(['connectivity', 'service-discovery'])
    expect(Buffer.from(info.ipsecPSK.data?.psk ?? '', 'base64')).toHaveLength(48)

    await withClient('broker', async (client) => {
      const broker = await client.get<Broker>(Resources.Broker, 'submariner-broker', 'submariner-k8s-broker')
      expect(broker.spec).toMatchObject({clustersetIPCIDRRange: '243.0.0.0/8', components: ['service-discovery', 'connectivity'], globalnetEnabled: false})
      for (const role of ['submariner-k8s-broker-admin', 'submariner-k8s-broker-cluster']) expect(await client.tryGet(Resources.Role, role, 'submariner-k8s-broker')).toBeDefined()
      for (const configMap of ['submariner-globalnet-info', 'submariner-clustersetip-info']) expect(await client.tryGet(Resources.ConfigMap, configMap, 'submariner-k8s-broker')).toBeDefined()
      expect(await client.tryGet(Resources.CustomResourceDefinition, 'endpoints.submariner.io')).toBeDefined()
      const operator = await client.get<KubeObject & {status?: {availableReplicas?: number}}>(Resources.Deployment, 'submariner-operator', 'submariner-operator')
      expect(operator.status?.availableReplicas).toBe(1)
    })

    // Running it again converges and keeps the previous file as a backup.
    await subctlOk(['deploy-broker', '--context', 'broker', '--ipsec-psk-from', BROKER_INFO])
    expect(readdirSync(WORKDIR).filter((file) => file.startsWith('broker-info.subm.'))).not.toEqual([])
    expect(decodeBrokerInfo(readFileSync(BROKER_INFO, 'utf8')).ipsecPSK.data?.psk).toBe(info.ipsecPSK.data?.psk)
  })
})

describe('join refuses bad input with one line, a non-zero exit and nothing written', () => {
  const bad = scratchDir()
  writeFileSync(join(bad, 'empty.subm'), '')
  writeFileSync(join(bad, 'garbled.subm'), 'bm90IGpzb24=')
  mkdirSync(join(bad, 'a-directory'))

  const cases: Array<[string, string[], RegExp, number?]> = [
    ['a missing broker-info argument', [], /broker-info\.subm file argument .* is missing/, 2],
    ['a broker-info file that does not exist', [join(bad, 'nope.subm')], /nope\.subm": it does not exist/, 2],
    ['an unreadable broker-info path', [join(bad, 'a-directory')], /it is a directory/, 2],
    ['an empty broker-info file', [join(bad, 'empty.subm')], /the file is empty/, 2],
    ['a garbled broker-info file', [join(bad, 'garbled.subm')], /does not decode to JSON/, 2],
    ['an invalid cluster ID', [BROKER_INFO, '--clusterid', 'Not_Valid'], /Invalid cluster ID: Not_Valid is not a valid ClusterID/, 2],
    ['an unknown cable driver', [BROKER_INFO, '--cable-driver', 'ipip'], /Unknown cable driver "ipip"/, 2],
    ['an unreachable broker URL', [BROKER_INFO, '--broker-url', 'https://172.30.0.1:1'], /Cannot reach the broker at https:\/\/172\.30\.0\.1:1/],
    ['no terminal and no gateway flag', [BROKER_INFO], /could be the gateway \(c1-control-plane, c1-worker\).*--gateway-nodes/],
  ]
  it.each(cases)('%s', async (_name, args, message, code) => {
    const result = await subctl(['join', ...args, '--context', 'c1'], {cwd: bad})
    expectOneLineError(result, message, code)
    await nothingWritten('c1')
  })

  it('a kube context that does not exist', async () => {
    expectOneLineError(await subctl(['join', BROKER_INFO, '--context', 'nowhere']), /No Kubernetes context found named "nowhere"/, 2)
    await nothingWritten('c1')
  })
})

/** Drives `subctl join` in a pseudo-terminal (util-linux script), answering the gateway prompt. */
function joinThroughPrompt(cluster: string, choice: 'first' | 'second'): Promise<{code: number | null; output: string}> {
  return new Promise((resolve, reject) => {
    const command = `${process.execPath} ${join(ROOT, 'bin', 'run.cjs')} join ${BROKER_INFO} --context ${cluster} --cable-driver vxlan --air-gapped`
    const child = startProcess(['ip', 'netns', 'exec', HOST_NETNS, 'script', '-qfec', command, '/dev/null'], {
      cwd: WORKDIR,
      env: {...execEnvironment(), COLUMNS: '200', LINES: '50', TERM: 'xterm'},
    })
    let output = ''
    let answered = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (!answered && output.includes('Which node should be used as the gateway?')) {
        answered = true
        // The candidates are sorted: c1-control-plane, then c1-worker.
        setTimeout(() => child.stdin?.write(choice === 'second' ? '\u001B[B\r' : '\r'), 300)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, output})
    })
  })
}

describe('join', () => {
  it('joins c1 through the gateway prompt on a terminal', async () => {
    const result = await joinThroughPrompt('c1', 'second')
    expect(result.output).toContain('Which node should be used as the gateway?')
    expect(result.code, result.output).toBe(0)
    await withClient('c1', async (client) => {
      const labelled = await client.list<KubeObject>(Resources.Node, {labelSelector: 'submariner.io/gateway=true'})
      expect(labelled.items.map((node) => node.metadata.name)).toEqual(['c1-worker'])
    })
  })

  it('refuses a cluster ID another cluster already uses, and overlapping CIDRs, before writing anything', async () => {
    expectOneLineError(
      await subctl(['join', BROKER_INFO, '--context', 'c2', '--clusterid', 'c1', '--gateway-nodes', 'c2-worker']),
      /existing joined cluster with the same ID "c1"/,
      2,
    )
    await nothingWritten('c2')
    expectOneLineError(
      await subctl(['join', BROKER_INFO, '--context', 'c2', '--clustercidr', '10.8.0.0/16', '--gateway-nodes', 'c2-worker']),
      /cluster CIDR 10\.8\.0\.0\/16 of cluster "c2" overlaps the cluster CIDR 10\.8\.0\.0\/16 of cluster "c1".*--globalnet/,
    )
    await nothingWritten('c2')
  })

  it('joins c2 through flags, and --dry-run prints the same objects without writing', async () => {
    const args = ['join', BROKER_INFO, '--context', 'c2', '--clusterid', 'c2', '--gateway-nodes', 'c2-worker', '--cable-driver', 'vxlan', '--air-gapped']
    const dryRun = await subctlOk([...args, '--dry-run'])
    expect(dryRun.stdout).toMatch(/# cluster: c2\napiVersion: submariner\.io\/v1alpha1\nkind: Submariner/)
    expect(dryRun.stdout).toMatch(/# cluster: broker\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n {2}name: cluster-c2/)
    await nothingWritten('c2')
    await subctlOk(args)
  })

  it('creates the objects, labels and status the reference specifies', async () => {
    for (const cluster of ['c1', 'c2']) {
      await withClient(cluster, async (client) => {
        const cr = await client.get<Submariner>(Resources.Submariner, 'submariner', 'submariner-operator')
        expect(cr.spec).toMatchObject({
          brokerK8sApiServer: '172.30.1.10:6443',
          brokerK8sRemoteNamespace: 'submariner-k8s-broker',
          brokerK8sSecret: 'submariner-broker-secret',
          cableDriver: 'vxlan',
          ceIPSecNATTPort: 4500,
          ceIPSecPSKSecret: 'submariner-ipsec-psk',
          clusterID: cluster,
          namespace: 'submariner-operator',
          serviceDiscoveryEnabled: true,
        })
        expect(cr.spec.clustersetIPCIDR).toMatch(/^243\.0\.\d+\.0\/20$/)
        expect(cr.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True')
        expect(cr.status).toMatchObject({clusterCIDR: cluster === 'c1' ? '10.8.0.0/16' : '10.9.0.0/16', networkPlugin: 'generic'})
        for (const [type, name] of [
          [Resources.DaemonSet, 'submariner-gateway'],
          [Resources.DaemonSet, 'submariner-routeagent'],
          [Resources.Deployment, 'submariner-lighthouse-agent'],
          [Resources.Deployment, 'submariner-lighthouse-coredns'],
          [Resources.Secret, 'submariner-broker-secret'],
          [Resources.Secret, 'submariner-ipsec-psk'],
          [Resources.ServiceDiscovery, 'service-discovery'],
        ] as const) {
          expect(await client.tryGet(type, name, 'submariner-operator'), `${type.kind} ${name} on ${cluster}`).toBeDefined()
        }

        const corefile = (await client.get<KubeObject & {data: Record<string, string>}>(Resources.ConfigMap, 'coredns', 'kube-system')).data.Corefile
        expect(corefile).toMatch(/#lighthouse-start AUTO-GENERATED SECTION\. DO NOT EDIT\nclusterset\.local:53 \{\n {4}forward \. 10\.\d+\.\d+\.\d+\n\}\n#lighthouse-end\n/)
        const gatewayPods = await client.list<KubeObject>(Resources.Pod, {labelSelector: 'app=submariner-gateway', namespace: 'submariner-operator'})
        expect(gatewayPods.items.map((pod) => pod.metadata.labels?.['gateway.submariner.io/status'])).toEqual(['active'])
      })
    }

    await withClient('broker', async (client) => {
      for (const cluster of ['c1', 'c2']) {
        expect(await client.tryGet(Resources.ServiceAccount, `cluster-${cluster}`, 'submariner-k8s-broker')).toBeDefined()
        expect(await client.tryGet(Resources.RoleBinding, `cluster-${cluster}-submariner-k8s-broker-cluster`, 'submariner-k8s-broker')).toBeDefined()
      }
    })
  })

  it('gives each cluster a broker token that only reaches the broker namespace', async () => {
    const secret = await withClient('c1', (client) => client.get<KubeObject & {data: Record<string, string>}>(Resources.Secret, 'submariner-broker-secret', 'submariner-operator'))
    const token = Buffer.from(secret.data.token as string, 'base64').toString()
    const broker = await clientForServer({ca: Buffer.from(secret.data['ca.crt'] as string, 'base64'), displayName: 'broker as c1', server: `https://127.0.0.1:${HOST_API_PORT_BASE}`, token}, 'e2e')
    try {
      expect((await broker.list(Resources.Cluster, {namespace: 'submariner-k8s-broker'})).items.length).toBeGreaterThan(0)
      await expect(broker.list(Resources.Secret, {namespace: 'kube-system'})).rejects.toMatchObject({statusCode: 403})
      await expect(broker.list(Resources.Namespace)).rejects.toMatchObject({statusCode: 403})
      await expect(broker.create({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x', namespace: 'default'}})).rejects.toMatchObject({statusCode: 403})
    } finally {
      broker.close()
    }
  })

  it('converges when run again with a changed flag', async () => {
    await subctlOk(['join', BROKER_INFO, '--context', 'c2', '--clusterid', 'c2', '--gateway-nodes', 'c2-worker', '--cable-driver', 'vxlan', '--air-gapped', '--health-check-interval', '2'])
    await withClient('c2', async (client) => {
      const cr = await client.get<Submariner>(Resources.Submariner, 'submariner', 'submariner-operator')
      expect(cr.spec.connectionHealthCheck?.intervalSeconds).toBe(2)
      await eventually('the gateway DaemonSet to carry the new interval', async () => {
        const daemonSet = await client.get<KubeObject & {spec: {template: {spec: {containers: Array<{env: Array<{name: string; value?: string}>}>}}}}>(Resources.DaemonSet, 'submariner-gateway', 'submariner-operator')
        return daemonSet.spec.template.spec.containers[0]?.env.find((variable) => variable.name === 'SUBMARINER_HEALTHCHECKINTERVAL')?.value === '2'
      })
    })
  })
})

describe('recover-broker-info', () => {
  it('rebuilds broker-info.subm from a joined cluster, equal to the original but for the token Secret metadata', async () => {
    const directory = scratchDir()
    await subctlOk(['recover-broker-info', '--context', 'c1'], {cwd: directory})
    const original = decodeBrokerInfo(readFileSync(BROKER_INFO, 'utf8'))
    const recovered = decodeBrokerInfo(readFileSync(join(directory, 'broker-info.subm'), 'utf8'))
    const strip = (info: typeof original) => ({...info, clientToken: {...info.clientToken, metadata: undefined}})
    expect(strip(recovered)).toEqual(strip(original))
  })
})
