/**
 * subctl diagnose and subctl gather on the lab's joined clusterset (vxlan). A healthy clusterset
 * passes every check, the inter-cluster ones on both pairs included; then each test breaks
 * something as a user's cluster breaks and checks that diagnose names it with its fix, in the
 * table and in -o json, and mends it. gather writes the bundle of c1 and c2 with nothing secret
 * in it.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Endpoint} from '../../src/api/submariner.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {ConfigMap, DaemonSetObject, DeploymentObject, PodObject, Secret} from '../../src/k8s/objects.js'
import {Resources} from '../../src/k8s/resources.js'
import type {CheckResult, DiagnoseReport} from '../../src/lib/diagnose-report.js'
import {removeLighthouseSection} from '../../src/lib/corefile.js'
import {eventually} from '../helpers/lab.js'
import {sh, type RunResult} from '../lab/sh.js'
import {addSecondGateway, deployEcho, dig, ensureClusterset, removeSecondGateway, scratchDir, subctl, waitConnected, withClient} from './clusterset.js'

const NAMESPACE = 'diagnose-e2e'
const OPERATOR = 'submariner-operator'

function report(stdout: string): DiagnoseReport {
  return JSON.parse(stdout) as DiagnoseReport
}

function failures(document: DiagnoseReport): CheckResult[] {
  return document.results.filter((result) => result.status === 'failed')
}

/** The same diagnose as -o json and as a table, one after the other. */
async function diagnoseBoth(args: string[]): Promise<{json: RunResult; table: RunResult}> {
  const json = await subctl([...args, '-o', 'json'])
  return {json, table: await subctl(args)}
}

/** The finding of the JSON document is in the table too: its line with its glyph, then its fix. */
function expectInTable(table: RunResult, finding: CheckResult | undefined): void {
  expect(finding).toBeDefined()
  const glyph = finding?.status === 'failed' ? '✗' : '⚠'
  // What a probe pod printed (packet counts) differs between the two runs: compare the message up to it.
  expect(table.stderr).toContain(` ${glyph} ${finding?.message.split('\n')[0]?.split(' Actual pod output:')[0]}`)
  if (finding?.fix) expect(table.stderr).toContain(`    Fix: ${finding.fix}\n`)
}

/** Scales the operator to 0 (so that it does not undo a breakage), runs `work`, and brings it back. */
async function withOperatorPaused<T>(cluster: string, work: (client: KubeClient) => Promise<T>): Promise<T> {
  return withClient(cluster, async (client) => {
    await client.mergePatch(Resources.Deployment, OPERATOR, OPERATOR, {spec: {replicas: 0}})
    await eventually(`the operator of ${cluster} to stop`, async () => (await client.list<PodObject>(Resources.Pod, {labelSelector: 'name=submariner-operator', namespace: OPERATOR})).items.length === 0)
    try {
      return await work(client)
    } finally {
      await client.mergePatch(Resources.Deployment, OPERATOR, OPERATOR, {spec: {replicas: 1}})
    }
  })
}

async function scaleLighthouseDns(client: KubeClient, replicas: number): Promise<void> {
  await client.mergePatch(Resources.Deployment, 'submariner-lighthouse-coredns', OPERATOR, {spec: {replicas}})
  await eventually(`lighthouse DNS at ${replicas} replicas`, async () => {
    const deployment = await client.get<DeploymentObject>(Resources.Deployment, 'submariner-lighthouse-coredns', OPERATOR)
    return (deployment.status?.availableReplicas ?? 0) === replicas && (replicas > 0 || (await client.list(Resources.Pod, {labelSelector: 'app=submariner-lighthouse-coredns', namespace: OPERATOR})).items.length === 0)
  })
}

describe('subctl diagnose', () => {
  beforeAll(async () => {
    await ensureClusterset('vxlan')
    await waitConnected('vxlan')
    await withClient('c2', async (client) => {
      await deployEcho(client, NAMESPACE)
    })
    await subctl(['export', 'service', 'echo', '-n', NAMESPACE, '--context', 'c2'])
    await eventually('echo.diagnose-e2e to resolve in c2', async () => (await dig('c2', 'c2-worker', `echo.${NAMESPACE}.svc.clusterset.local`)).answers.length > 0)
  }, 600_000)

  afterAll(async () => {
    await subctl(['unexport', 'service', 'echo', '-n', NAMESPACE, '--context', 'c2'])
    await withClient('c2', (client) => client.delete(Resources.Namespace, NAMESPACE))
  })

  it('passes every check on a healthy clusterset, the inter-cluster pairs included', async () => {
    const started = Date.now()
    const table = await subctl(['diagnose', 'all', '--context', 'c1'])
    const wall = (Date.now() - started) / 1000
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^Cluster "c1"$/m)
    expect(table.stderr).toMatch(/✓ The firewall configuration allows intra-cluster VXLAN traffic/)
    expect(table.stdout).toMatch(/^\d+ passed, 0 failed, \d+ warnings, 0 skipped$/m)
    console.log(`diagnose all on c1: ${wall.toFixed(1)} s`)

    const json = await subctl(['diagnose', 'all', '--contexts', 'c1,c2', '-o', 'json'])
    expect(json.code, json.stdout + json.stderr).toBe(0)
    const document = report(json.stdout)
    expect(document).toMatchObject({apiVersion: 'subctl/v1', kind: 'DiagnoseReport', passed: true})
    expect(failures(document)).toEqual([])
    const checks = new Set(document.results.map((result) => `${result.check}@${result.cluster}`))
    for (const cluster of ['c1', 'c2']) {
      for (const check of ['k8s-version', 'deployment', 'cni', 'connections', 'kube-proxy-mode', 'firewall intra-cluster', 'firewall inter-cluster', 'firewall nat-discovery', 'service-discovery']) {
        expect(checks, `${check} on ${cluster}`).toContain(`${check}@${cluster}`)
      }
    }

    const endToEnd = document.results.find((result) => result.cluster === 'c2' && result.message.startsWith(`echo.${NAMESPACE}.svc.clusterset.local resolves to`))
    expect(endToEnd?.message).toMatch(/and answers on TCP \d+$/)
  }, 600_000)

  it('names UDP 4800 dropped between the nodes of a cluster', async () => {
    const rule = ['-p', 'udp', '--dport', '4800', '-j', 'DROP']
    sh(['ip', 'netns', 'exec', 'lab-c1-worker', 'iptables', '-I', 'INPUT', ...rule])
    let json, table
    try {
      json = await subctl(['diagnose', 'firewall', 'intra-cluster', '--context', 'c1', '--validation-timeout', '15', '-o', 'json'])
      table = await subctl(['diagnose', 'firewall', 'intra-cluster', '--context', 'c1', '--validation-timeout', '15'])
    } finally {
      sh(['ip', 'netns', 'exec', 'lab-c1-worker', 'iptables', '-D', 'INPUT', ...rule])
    }

    expect(json.code).toBe(1)
    const [failure] = failures(report(json.stdout))
    expect(failure).toMatchObject({check: 'firewall intra-cluster', cluster: 'c1', fix: 'Allow UDP/4800 between the nodes of c1'})
    expect(failure?.message).toMatch(/^UDP 4800 from c1-control-plane to c1-worker is dropped: /)
    expect(failure?.details).toMatchObject({client: 'c1-control-plane', gateway: 'c1-worker', port: 4800, protocol: 'UDP'})
    expect(table.code).toBe(1)
    expect(table.stderr).toMatch(/✗ UDP 4800 from c1-control-plane to c1-worker is dropped: .*\n\s+Cause: .+\n\s+Fix: Allow UDP\/4800 between the nodes of c1$/m)
    expect(table.stderr).toMatch(/^Error: 1 check failed \(firewall intra-cluster on c1\)/m)
  }, 300_000)

  it('names the tunnel port dropped on the way to a gateway, with the address and port probed', async () => {
    const rule = ['-p', 'udp', '--dport', '4500', '-j', 'DROP']
    for (const node of ['lab-c2-control-plane', 'lab-c2-worker']) sh(['ip', 'netns', 'exec', node, 'iptables', '-I', 'OUTPUT', ...rule])
    let json, nat, table
    try {
      ;({json, table} = await diagnoseBoth(['diagnose', 'firewall', 'inter-cluster', '--context', 'c1', '--remotecontext', 'c2', '--validation-timeout', '15']))
      nat = await subctl(['diagnose', 'firewall', 'nat-discovery', '--context', 'c1', '--remotecontext', 'c2', '--validation-timeout', '15', '-o', 'json'])
    } finally {
      for (const node of ['lab-c2-control-plane', 'lab-c2-worker']) sh(['ip', 'netns', 'exec', node, 'iptables', '-D', 'OUTPUT', ...rule])
    }

    expect(json.code).toBe(1)
    const [failure] = failures(report(json.stdout))
    expect(failure?.check).toBe('firewall inter-cluster')
    expect(failure?.details).toMatchObject({address: '172.30.2.11', port: 4500, protocol: 'UDP', to: 'c1/c1-worker'})
    expect(failure?.cause).toMatch(/^UDP 4500 \(the tunnel port\) from c2\/c2-control-plane to 172\.30\.2\.11 on gateway c1-worker of c1 is dropped/)
    expect(failure?.fix).toMatch(/^Allow UDP\/4500 into c1-worker \(172\.30\.2\.11\) from the nodes of c2/)
    expectInTable(table, failure)
    // The NAT discovery port (4490) is not blocked: that check passes.
    expect(nat.code, nat.stdout).toBe(0)
    expect(report(nat.stdout).results[0]).toMatchObject({message: 'nat-discovery port is allowed in the cluster "c1"', status: 'passed'})
    await waitConnected('vxlan')
  }, 300_000)

  it('names the Lighthouse DNS scaled to 0, as a Deployment and as the hop that fails', async () => {
    const {json, table} = await withOperatorPaused('c2', async (client) => {
      await scaleLighthouseDns(client, 0)
      try {
        return await diagnoseBoth(['diagnose', 'all', '--context', 'c2'])
      } finally {
        await scaleLighthouseDns(client, 2)
      }
    })
    expect(json.code).toBe(1)
    const found = failures(report(json.stdout))
    expect(found.find((result) => result.check === 'deployment')).toMatchObject({
      cause: 'It is scaled to 0 replicas, so nothing serves',
      fix: 'kubectl scale deployment submariner-lighthouse-coredns -n submariner-operator --replicas=1',
      message: 'The Deployment "submariner-lighthouse-coredns" is not ready: it is scaled to 0 replicas',
    })
    const hop = found.find((result) => result.check === 'service-discovery')
    expect(hop?.message).toBe(`echo.${NAMESPACE}.svc.clusterset.local does not resolve: the Lighthouse DNS does not answer for it`)
    expect(hop?.details).toMatchObject({hop: 'lighthouse DNS'})
    expect(hop?.fix).toMatch(/submariner-lighthouse-coredns Deployment runs/)
    expectInTable(table, hop)
    expectInTable(table, found.find((result) => result.check === 'deployment'))
  }, 300_000)

  it('names the CoreDNS forward of clusterset.local removed', async () => {
    const name = `echo.${NAMESPACE}.svc.clusterset.local`
    const {json, table} = await withOperatorPaused('c2', async (client) => {
      const original = await client.get<ConfigMap>(Resources.ConfigMap, 'coredns', 'kube-system')
      const corefile = original.data?.Corefile as string
      await client.mergePatch(Resources.ConfigMap, 'coredns', 'kube-system', {data: {Corefile: removeLighthouseSection(corefile)}})
      try {
        await eventually('CoreDNS to stop forwarding clusterset.local', async () => (await dig('c2', 'c2-worker', name)).answers.length === 0, 120_000, 2000)
        return await diagnoseBoth(['diagnose', 'service-discovery', '--context', 'c2'])
      } finally {
        await client.mergePatch(Resources.ConfigMap, 'coredns', 'kube-system', {data: {Corefile: corefile}})
      }
    })
    await eventually('CoreDNS to forward clusterset.local again', async () => (await dig('c2', 'c2-worker', name)).answers.length > 0, 120_000, 2000)
    expect(json.code).toBe(1)
    const [hop] = failures(report(json.stdout))
    expect(hop?.message).toBe(`${name} does not resolve through the cluster DNS: clusterset.local is not forwarded to Lighthouse`)
    expect(hop?.details).toMatchObject({hop: 'CoreDNS forward'})
    expect(hop?.cause).toMatch(/its Corefile has no clusterset\.local block forwarding to that address/)
    expect(hop?.fix).toMatch(/^Add back the clusterset\.local server block forwarding to \d+\.\d+\.\d+\.\d+ in the kube-system\/coredns ConfigMap/)
    expectInTable(table, hop)
  }, 300_000)

  it('names a ServiceExport whose Service is gone', async () => {
    await withClient('c2', (client) => client.create({apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name: 'ghost', namespace: NAMESPACE}}))
    try {
      const json = await eventually('the ghost export to be judged', async () => {
        const result = await subctl(['diagnose', 'service-discovery', '--context', 'c2', '-o', 'json'])
        return report(result.stdout).results.some((entry) => entry.message === `Exported Service ${NAMESPACE}/ghost not found`) ? result : undefined
      }, 60_000, 2000)
      const ghost = report(json.stdout).results.find((entry) => entry.message === `Exported Service ${NAMESPACE}/ghost not found`)
      expect(ghost).toMatchObject({fix: `Create the Service again, or unexport it: subctl unexport service ghost -n ${NAMESPACE}`, status: 'warning'})
      // Lighthouse marks it not valid, so it is a warning only: the run passes.
      expect(json.code, json.stdout).toBe(0)
      expectInTable(await subctl(['diagnose', 'service-discovery', '--context', 'c2']), ghost)
    } finally {
      await withClient('c2', (client) => client.delete(Resources.ServiceExport, 'ghost', NAMESPACE))
    }
  }, 300_000)

  it('names a crash-looping route agent', async () => {
    const {json, table} = await withOperatorPaused('c1', async (client) => {
      const setArgs = async (args: string[] | undefined) => {
        const daemonSet = await client.get<DaemonSetObject>(Resources.DaemonSet, 'submariner-routeagent', OPERATOR)
        const [container] = daemonSet.spec?.template.spec?.containers ?? []
        const previous = container?.args
        if (container) container.args = args
        await client.update(daemonSet)
        return previous
      }
      const original = await setArgs(['no-such-role'])
      try {
        await eventually('a route agent in CrashLoopBackOff', async () =>
          (await client.list<PodObject>(Resources.Pod, {labelSelector: 'app=submariner-routeagent', namespace: OPERATOR})).items.some((pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'),
        )
        // Both route agent pods are replaced by the rollout; judge once one of them loops.
        return await eventually('diagnose to see the crash loop', async () => {
          const result = await diagnoseBoth(['diagnose', 'deployment', '--context', 'c1'])
          const seen = (text: string) => text.includes('is crash-looping')
          return seen(result.json.stdout) && seen(result.table.stderr) ? result : undefined
        }, 90_000, 1000)
      } finally {
        await setArgs(original)
      }
    })
    await withClient('c1', (client) =>
      eventually('the route agents to run again', async () => {
        const pods = (await client.list<PodObject>(Resources.Pod, {labelSelector: 'app=submariner-routeagent', namespace: OPERATOR})).items
        return pods.length === 2 && pods.every((pod) => pod.status?.containerStatuses?.[0]?.ready === true)
      }),
    )
    expect(json.code).toBe(1)
    const crash = failures(report(json.stdout)).find((result) => /^Container "submariner-routeagent" of pod "submariner-routeagent-\S+" on node "c1-\S+" is crash-looping/.test(result.message))
    expect(crash?.fix).toMatch(/^Read why: kubectl logs submariner-routeagent-\S+ -n submariner-operator -c submariner-routeagent --previous$/)
    expect(crash?.cause).toMatch(/^It exits with code [1-9]\d*/)
    expect(table.stderr).toMatch(/ ✗ Container "submariner-routeagent" of pod "submariner-routeagent-\S+" on node "c1-\S+" is crash-looping .*\n\s+Cause: It exits with code \d+.*\n\s+Fix: Read why: kubectl logs /)
  }, 300_000)

  it('names overlapping CIDRs on the broker, with the fix', async () => {
    const endpoint: Endpoint = {
      apiVersion: 'submariner.io/v1',
      kind: 'Endpoint',
      metadata: {labels: {'submariner-io/clusterID': 'c9'}, name: 'c9-submariner-cable-c9-172-30-9-99', namespace: 'submariner-k8s-broker'},
      spec: {backend: 'vxlan', backend_config: {}, cable_name: 'submariner-cable-c9-172-30-9-99', cluster_id: 'c9', hostname: 'c9-worker', nat_enabled: false, private_ip: '172.30.9.99', public_ip: '', subnets: ['10.9.128.0/17']},
    }
    await withClient('broker', (client) => client.create(endpoint))
    let json, table
    try {
      ;({json, table} = await diagnoseBoth(['diagnose', 'deployment', '--context', 'c1']))
    } finally {
      await withClient('broker', (client) => client.delete(Resources.Endpoint, endpoint.metadata.name as string, 'submariner-k8s-broker'))
    }

    expect(json.code).toBe(1)
    const overlap = failures(report(json.stdout)).find((result) => result.message.startsWith('CIDR "10.9.128.0/17" in cluster "c9" overlaps with cluster "c2"'))
    expect(overlap?.fix).toMatch(/--globalnet/)
    expect(overlap?.details).toMatchObject({clusters: ['c2', 'c9'], overlapping: ['10.9.0.0/16', '10.9.128.0/17']})
    expectInTable(table, overlap)
  }, 300_000)

  it('names two gateway pods labelled active', async () => {
    await addSecondGateway('c1')
    let json, table
    try {
      ;({json, table} = await withClient('c1', async (client) => {
        const pods = (await client.list<PodObject>(Resources.Pod, {labelSelector: 'app=submariner-gateway,gateway.submariner.io/status=passive', namespace: OPERATOR})).items
        expect(pods.length).toBe(1)
        await client.mergePatch(Resources.Pod, pods[0]?.metadata.name as string, OPERATOR, {metadata: {labels: {'gateway.submariner.io/status': 'active'}}})
        return diagnoseBoth(['diagnose', 'deployment', '--context', 'c1'])
      }))
    } finally {
      await removeSecondGateway('c1')
      await waitConnected('vxlan')
    }

    const twoActive = report(json.stdout).results.find((result) => result.message.startsWith('Expected one Gateway pod to be labeled as active. Found 2 on nodes'))
    expect(twoActive).toMatchObject({status: 'warning'})
    expect(twoActive?.fix).toMatch(/submariner-gateway-lock Lease/)
    expectInTable(table, twoActive)
  }, 300_000)
})

describe('subctl gather', () => {
  it('writes the bundle of c1 and c2 with upstream file names, nothing secret in it, and an archive that extracts', async () => {
    const work = scratchDir()
    const started = Date.now()
    const result = await subctl(['gather', '--contexts', 'c1,c2', '--dir', 'bundle', '--archive'], {cwd: work})
    const wall = (Date.now() - started) / 1000
    expect(result.code, result.stderr).toBe(0)
    console.log(`gather on c1 and c2: ${wall.toFixed(1)} s`)
    expect(result.stdout).toMatch(/^Gathering information from cluster "c1"$/m)
    expect(result.stdout).toContain(`Files are stored under directory "${join(work, 'bundle')}"`)
    expect(result.stdout).toContain(`Archive written to "${join(work, 'bundle.tar.gz')}"`)
    for (const cluster of ['c1', 'c2']) {
      const files = readdirSync(join(work, 'bundle', cluster))
      for (const expected of [
        'summary.html',
        `${cluster}-worker_ip-routes-table150.log`,
        `${cluster}-worker_ip-routes-table100.log`,
        `${cluster}-control-plane_iptables-save.log`,
        `${cluster}-control-plane_ipset-list.log`,
        `${cluster}-control-plane_ip-rules.log`,
        `submariners_submariner-operator_submariner.yaml`,
        `gateways_submariner-operator_${cluster}-worker.yaml`,
        `routeagents_submariner-operator_${cluster}-control-plane.yaml`,
        'clusters_submariner-k8s-broker_c1.yaml',
        'configmaps_kube-system_coredns.yaml',
        'deployments_submariner-operator_submariner-operator.yaml',
      ]) {
        expect(files, expected).toContain(expected)
      }

      expect(files.some((file) => /^submariner-gateway-\w+\.log$/.test(file))).toBe(true)
      expect(readFileSync(join(work, 'bundle', cluster, `${cluster}-worker_ip-routes-table150.log`), 'utf8').split('\n')[0]).toBe('ip route show table 150')
    }

    const secrets = await withClient('c1', async (client) => {
      const broker = await client.get<Secret>(Resources.Secret, 'submariner-broker-secret', OPERATOR)
      const psk = await client.get<Secret>(Resources.Secret, 'submariner-ipsec-psk', OPERATOR)
      return {psk: psk.data?.psk as string, token: Buffer.from(broker.data?.token as string, 'base64').toString('utf8')}
    })
    const grep = (text: string, dir: string) => sh(['grep', '-rlF', '--', text, dir]).trim()
    const grepNone = (text: string, dir: string) => {
      try {
        return grep(text, dir)
      } catch {
        return ''
      }
    }
    expect(grepNone(secrets.psk, join(work, 'bundle'))).toBe('')
    expect(grepNone(secrets.token, join(work, 'bundle'))).toBe('')
    expect(readFileSync(join(work, 'bundle', 'c1', 'submariners_submariner-operator_submariner.yaml'), 'utf8')).toContain('##redacted-token##')

    const extracted = join(work, 'extracted')
    mkdirSync(extracted)
    sh(['tar', '-xzf', join(work, 'bundle.tar.gz'), '-C', extracted])
    expect(existsSync(join(extracted, 'bundle', 'c2', 'summary.html'))).toBe(true)
    expect(readFileSync(join(extracted, 'bundle', 'c2', 'summary.html'), 'utf8')).toMatch(/<h1>Cluster "c2"<\/h1>/)

    // With --include-sensitive-data the token is there: the grep above can find it.
    const sensitive = await subctl(['gather', '--context', 'c1', '--dir', 'sensitive', '--module', 'operator', '--type', 'resources', '--include-sensitive-data'], {cwd: work})
    expect(sensitive.code, sensitive.stderr).toBe(0)
    expect(grep(secrets.token, join(work, 'sensitive'))).not.toBe('')
  }, 300_000)
})
