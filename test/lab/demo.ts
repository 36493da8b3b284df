/**
 * npm run demo: the whole subctl flow on the lab, every command shown as a user would type it.
 *
 *   lab up (or, on a lab that is up, uninstall what a previous run left) -> deploy-broker on
 *   `broker` -> join c1 and c2 -> show all / show topology -> an echo Service in c2, exported ->
 *   c1 resolves echo.demo.svc.clusterset.local through its cluster DNS and a pod of c1 calls it
 *   by that name, through the tunnel -> subctl verify of basic connectivity and service discovery
 *   -> subctl diagnose all on both clusters.
 *
 * The lab stays up afterwards for exploring (npm run lab -- exec -- ...; npm run lab -- down).
 */
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {DEFAULT_CLUSTERS, HOST_NETNS, parseClusters, dnsServiceIP} from './config.js'
import {readState, up} from './lab.js'
import {execEnvironment} from './operations.js'
import {sh, shOnTerminal} from './sh.js'

const IMAGE = 'quay.io/submariner/nettest:devel'
const NAMESPACE = 'demo'
const workdir = mkdtempSync(join(tmpdir(), 'subctl-demo-'))

const say = (line: string) => process.stdout.write(`\n\u001B[1m# ${line}\u001B[0m\n`)

/** Runs a command inside the lab network, in the demo's working directory, showing it first. */
function inLab(command: string[], options: {input?: string; allowFailure?: boolean; quiet?: boolean} = {}): number {
  if (!options.quiet) process.stdout.write(`$ ${command.join(' ')}\n`)
  const status = shOnTerminal(['ip', 'netns', 'exec', HOST_NETNS, ...command], {cwd: workdir, env: {...execEnvironment(), CI: 'true'}, input: options.input, quiet: options.quiet})
  if (status !== 0 && !options.allowFailure) throw new Error(`${command.join(' ')} failed`)
  return status
}

/** Whether each cluster's active gateway reports its connection to the other as connected. */
function bothConnected(): boolean {
  const stdout = sh(['ip', 'netns', 'exec', HOST_NETNS, 'subctl', 'show', 'connections', '--contexts', 'c1,c2', '-o', 'json'], {allowFailure: true, env: execEnvironment()})
  try {
    const {clusters} = JSON.parse(stdout) as {clusters: Array<{connections?: Array<{status: string}>}>}
    return clusters.length === 2 && clusters.every((cluster) => cluster.connections?.some((connection) => connection.status === 'connected'))
  } catch {
    return false
  }
}

const ECHO = `apiVersion: v1
kind: Namespace
metadata: {name: ${NAMESPACE}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: ${NAMESPACE}}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
        - name: echo
          image: ${IMAGE}
          args: [nettest, serve, --http-port, "8000"]
          readinessProbe: {tcpSocket: {port: 8000}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: ${NAMESPACE}}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: 8000}]
`

const CLIENT = `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${NAMESPACE}}
spec:
  restartPolicy: Never
  containers:
    - name: client
      image: ${IMAGE}
      args: [nettest, connect, --target, "echo.${NAMESPACE}.svc.clusterset.local:80", --protocol, http, --count, "3"]
`

async function main(): Promise<void> {
  const clusters = parseClusters(DEFAULT_CLUSTERS)
  if (readState()?.up) {
    say('The lab is up: removing what an earlier run left, so the story starts from nothing')
    for (const context of ['c1', 'c2', 'broker']) inLab(['subctl', 'uninstall', '--context', context, '--yes', '--force'], {quiet: true})
    for (const context of ['c1', 'c2']) inLab(['kubectl', '--context', context, 'delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=false'], {quiet: true})
  } else {
    say('Bringing the lab up: three real control planes (broker, c1, c2), nodes as network namespaces')
    await up(DEFAULT_CLUSTERS, (line) => process.stdout.write(`lab: ${line}\n`))
  }

  inLab(['kubectl', '--context', 'c1', 'get', 'nodes', '-o', 'wide'])

  say('Deploy the broker on the broker cluster; it writes broker-info.subm here')
  inLab(['subctl', 'deploy-broker', '--context', 'broker'])

  say('Join c1 and c2 to the broker (each with its worker as the gateway, over the vxlan cable)')
  for (const cluster of ['c1', 'c2']) {
    inLab(['subctl', 'join', 'broker-info.subm', '--context', cluster, '--clusterid', cluster, '--gateway-nodes', `${cluster}-worker`, '--cable-driver', 'vxlan', '--air-gapped'])
  }

  say('What is connected: every cluster, gateway and tunnel')
  for (let attempt = 0; attempt < 60 && !bothConnected(); attempt++) await sleep(1000)

  inLab(['subctl', 'show', 'all', '--contexts', 'c1,c2'])
  inLab(['subctl', 'show', 'topology', '--contexts', 'c1,c2'])

  say('An echo Service in c2, exported to the clusterset (its namespace exists in c1 too: namespace sameness)')
  inLab(['kubectl', '--context', 'c2', 'apply', '-f', '-'], {input: ECHO})
  inLab(['kubectl', '--context', 'c1', 'create', 'namespace', NAMESPACE])
  inLab(['kubectl', '--context', 'c2', '-n', NAMESPACE, 'rollout', 'status', 'deployment/echo', '--timeout=120s'])
  inLab(['subctl', 'export', 'service', 'echo', '--namespace', NAMESPACE, '--context', 'c2'])

  say('c1 resolves echo.demo.svc.clusterset.local through its own cluster DNS (CoreDNS -> Lighthouse)')
  const c1 = clusters.find((cluster) => cluster.name === 'c1')
  const dns = c1 ? dnsServiceIP(c1) : ''
  const dig = ['ip', 'netns', 'exec', 'lab-c1-worker', 'dig', '+short', `@${dns}`, `echo.${NAMESPACE}.svc.clusterset.local`]
  for (let attempt = 0; attempt < 30; attempt++) {
    const answer = sh(dig, {allowFailure: true}).trim()
    if (answer) break
    await sleep(500)
  }

  process.stdout.write(`$ ${dig.slice(4).join(' ')}   (from node c1-worker)\n`)
  shOnTerminal(dig)

  say('A pod in c1 calls the Service by that name: the answer comes from a pod in c2, through the tunnel')
  inLab(['kubectl', '--context', 'c1', 'apply', '-f', '-'], {input: CLIENT})
  inLab(['kubectl', '--context', 'c1', '-n', NAMESPACE, 'wait', 'pod/client', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=120s'])
  inLab(['kubectl', '--context', 'c1', '-n', NAMESPACE, 'logs', 'client'])

  say('Verify the clusterset both ways: pod to pod, pod to Service, the Gateway, and service discovery')
  inLab(['subctl', 'verify', '--context', 'c1', '--tocontext', 'c2', '--only', 'basic-connectivity,service-discovery'])

  say('Diagnose both clusters: every check, the firewalls between them, and the exported name end to end')
  inLab(['subctl', 'diagnose', 'all', '--contexts', 'c1,c2'])

  say(`Done. broker-info.subm is in ${workdir}. Explore with npm run lab -- exec -- subctl show all; tear down with npm run lab -- down`)
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`)
  process.exit(1)
})
