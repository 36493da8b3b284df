import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadKubeconfig, resolveTarget} from './kubeconfig.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-kubeconfig-'))
const write = (path: string, text: string) => {
  writeFileSync(join(dir, path), text)
  return join(dir, path)
}

mkdirSync(join(dir, 'pki'))
write('pki/ca.pem', 'the CA')
write('pki/client.pem', 'the client certificate')
write('pki/client.key', 'the client key')
// Paths relative to the file, as kubeadm and kind write them; and a second file that redefines c1.
const first = write(
  'first.yaml',
  `apiVersion: v1
kind: Config
current-context: c1
clusters:
- name: c1
  cluster: {server: 'https://127.0.0.1:6443', certificate-authority: pki/ca.pem}
users:
- name: admin
  user: {client-certificate: pki/client.pem, client-key: pki/client.key}
contexts:
- name: c1
  context: {cluster: c1, user: admin, namespace: team}
`,
)
const second = write(
  'second.yaml',
  `clusters:
- name: c1
  cluster: {server: 'https://127.0.0.2:6443'}
- name: c2
  cluster: {server: 'https://127.0.0.3:6443', insecure-skip-tls-verify: true}
users:
- name: other
  user: {token: abc}
contexts:
- name: c2
  context: {cluster: c2, user: other}
`,
)

describe('loadKubeconfig', () => {
  it('reads paths in the file relative to the file, wherever subctl runs', async () => {
    const loaded = await loadKubeconfig({kubeconfig: first})
    const target = resolveTarget(loaded, {})
    expect(target).toMatchObject({clusterName: 'c1', contextName: 'c1', namespace: 'team', server: 'https://127.0.0.1:6443'})
    expect(String(target.endpoint.tls.ca)).toBe('the CA')
    expect(String(target.endpoint.tls.cert)).toBe('the client certificate')
    expect(String(target.endpoint.tls.key)).toBe('the client key')
  })

  it('merges $KUBECONFIG as kubectl does: the first definition of a name wins', async () => {
    const previous = process.env.KUBECONFIG
    process.env.KUBECONFIG = [first, join(dir, 'missing.yaml'), second].join(':')
    try {
      const loaded = await loadKubeconfig({})
      expect(loaded.files).toEqual([first, second])
      expect(loaded.contexts.map((context) => context.name)).toEqual(['c1', 'c2'])
      expect(loaded.currentContext).toBe('c1')
      expect(resolveTarget(loaded, {}).server).toBe('https://127.0.0.1:6443')
      const c2 = resolveTarget(loaded, {context: 'c2'})
      expect(c2.server).toBe('https://127.0.0.3:6443')
      expect(c2.endpoint.tls.rejectUnauthorized).toBe(false)
      expect(await c2.endpoint.headers()).toMatchObject({Authorization: 'Bearer abc'})
    } finally {
      if (previous === undefined) delete process.env.KUBECONFIG
      else process.env.KUBECONFIG = previous
    }
  })
})
