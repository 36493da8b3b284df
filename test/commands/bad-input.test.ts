/**
 * Bad input that needs no cluster, as a user would type it: each gets one line that says what is
 * wrong and how to fix it, and exit 2.
 */
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {subctl} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-bad-input-'))
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
contexts: [{name: lab, context: {cluster: lab, user: lab}}]
current-context: lab
users: [{name: lab, user: {token: t}}]
`

const empty = file('empty.kubeconfig', '')
const notYaml = file('not-yaml.kubeconfig', 'key: [unclosed\n')
const notKubeconfig = file('not-kubeconfig.kubeconfig', 'just a sentence\n')
const noContexts = file('no-contexts.kubeconfig', 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n')
const good = file('good.kubeconfig', KUBECONFIG)
const directory = join(dir, 'a-directory')
mkdirSync(directory)

const cases: Array<[string, string[], RegExp]> = [
  ['an empty kubeconfig', ['show', 'connections', '--kubeconfig', empty], /The kubeconfig ".*empty.kubeconfig" is empty\. Check the file/],
  ['a kubeconfig that is not YAML', ['show', 'connections', '--kubeconfig', notYaml], /The kubeconfig ".*" is not valid YAML: .*[^:]\. Check the file/],
  ['YAML that is no kubeconfig', ['show', 'connections', '--kubeconfig', notKubeconfig], /is not a kubeconfig: it has no clusters, contexts or users/],
  ['a directory as the kubeconfig', ['show', 'connections', '--kubeconfig', directory], /The kubeconfig ".*a-directory" is a directory, not a file/],
  ['a kubeconfig without contexts', ['show', 'connections', '--kubeconfig', noContexts], /No Kubernetes configuration or context was found\. Set KUBECONFIG or pass --kubeconfig/],
  ['a context that does not exist, on a multi-cluster command', ['show', 'connections', '--kubeconfig', good, '--context', 'nope'], /No Kubernetes context found named "nope"\. Use one of: lab/],
  ['a context that does not exist, on a one-cluster command', ['export', 'service', 'web', '--kubeconfig', good, '--context', 'nope'], /No Kubernetes context found named "nope"\. Use one of: lab/],
  ['an empty namespace', ['export', 'service', 'web', '--kubeconfig', good, '-n', ''], /--namespace: The namespace is empty\. Pass a namespace name/],
  ['a broker-info path that is a directory', ['join', directory, '--kubeconfig', good], /Cannot read the broker information file ".*a-directory": it is a directory/],
  ['a typo of a command', ['joni'], /Unknown command "joni"\. Did you mean "subctl join"\?/],
  ['an upstream command this version lacks', ['cloud', 'prepare', 'aws'], /"subctl cloud" is an upstream command that this version does not provide: /],
  ['a proxy that is not an HTTP proxy', ['show', 'connections', '--kubeconfig', good, '--proxy-url', 'socks5://127.0.0.1:1080'], /--proxy-url: The proxy URL "socks5:\/\/127\.0\.0\.1:1080" is not an HTTP proxy: only http:\/\/ proxies are supported, not socks5:\/\/\. Pass an HTTP proxy/],
  ['verify without a second cluster', ['verify', '--kubeconfig', good], /This command requires two kube contexts corresponding to the two clusters to verify\. Pass --context A --tocontext B/],
  ['an unknown verification key', ['verify', '--tocontext', 'lab', '--only', 'connectivity,speed'], /unknown verification "speed"\. Pass --only with some of: connectivity, basic-connectivity/],
  ['a connection timeout below upstream’s minimum', ['verify', '--tocontext', 'lab', '--connection-timeout', '5'], /--connection-timeout must be >=20/],
  ['only disruptive verifications without a terminal', ['verify', '--tocontext', 'lab', '--only', 'gateway-failover'], /please specify at least one verification to be performed \(gateway-failover is disruptive and needs --disruptive-tests without a terminal\)/],
  ['a JUnit report in a directory that does not exist', ['verify', '--tocontext', 'lab', '--junit-report', '/nonexistent/junit.xml'], /--junit-report \/nonexistent\/junit\.xml: the directory \/nonexistent does not exist/],
  ['a benchmark against a context that does not exist', ['benchmark', 'latency', '--kubeconfig', good, '--context', 'nope'], /No Kubernetes context found named "nope"/],
  ['an unknown --image-override component among comma-separated ones', ['join', directory, '--image-override', 'submariner-gateway=a,frobnicator=b'], /invalid image override component "frobnicator"/],
  ['a gather type that does not exist', ['gather', '--kubeconfig', good, '--type', 'logs,log'], /Invalid argument: "log" is not a supported type\. Use one or more of logs, resources/],
  ['a gather module that does not exist', ['gather', '--kubeconfig', good, '--module', 'dns'], /Invalid argument: "dns" is not a supported module\. Use one or more of connectivity, service-discovery, broker, operator/],
  ['a gather directory that is a file', ['gather', '--kubeconfig', good, '--dir', good], /--dir .*good\.kubeconfig exists and is not a directory\. Name a new or an existing directory/],
  ['an inter-cluster firewall check without the remote cluster', ['diagnose', 'firewall', 'inter-cluster', '--kubeconfig', good], /no remote context was specified\. Name the other cluster with --remotecontext \(or --remoteconfig\)/],
  ['a validation timeout below the minimum', ['diagnose', 'all', '--kubeconfig', good, '--validation-timeout', '1'], /Expected an integer greater than or equal to 10 but received: 1/],
  ['a diagnose context that does not exist', ['diagnose', 'deployment', '--kubeconfig', good, '--context', 'nope'], /No Kubernetes context found named "nope"\. Use one of: lab/],
]

describe('bad input', () => {
  it.each(cases)('%s gets one line and exit 2', async (_name, args, message) => {
    const {code, stderr, stdout} = await subctl(args, {cwd: dir, env: {KUBECONFIG: ''}})
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(message)
  })
})
