/**
 * The lab's lifecycle: up is idempotent and recovers from a crashed run; down leaves nothing
 * behind. Compares the host (network namespaces, links, processes, iptables, mounts, files)
 * before the lab and after it.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {lab, labState} from '../helpers/lab.js'
import {CACHE_DIR, NETNS_PREFIX, STATE_DIR} from './config.js'
import {sh} from './sh.js'

const LAB_PROGRAMS = /kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|\/etcd|coredns|netns-forward|node-helper|node-runtime\.js|dist\/agent\.js/

interface HostSnapshot {
  namespaces: string[]
  links: string[]
  iptables: string
  mounts: string[]
  labProcesses: string[]
  stateDir: boolean
  /** Mount points the node runtimes may have had to create on the host. */
  hostPaths: boolean[]
}

const MOUNTPOINTS = ['/etc/coredns', '/run/secrets', '/var/run/secrets/kubernetes.io', '/dev/termination-log']

function snapshot(): HostSnapshot {
  const processes: string[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (LAB_PROGRAMS.test(cmdline) || cmdline.includes(STATE_DIR) || cmdline.includes(CACHE_DIR)) processes.push(cmdline.trim())
    } catch {
      // gone
    }
  }

  return {
    iptables: sh(['iptables-save'])
      .split('\n')
      .filter((line) => !line.startsWith('#') && !line.startsWith(':'))
      .join('\n'),
    labProcesses: processes,
    links: sh(['ip', '-o', 'link', 'show'])
      .split('\n')
      .map((line) => line.split(':')[1]?.trim() ?? '')
      .filter(Boolean)
      .sort(),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter(Boolean)
      .sort(),
    namespaces: sh(['ip', 'netns', 'list'])
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name.startsWith(NETNS_PREFIX)),
    hostPaths: MOUNTPOINTS.map((path) => existsSync(path)),
    stateDir: existsSync(STATE_DIR),
  }
}

describe('lab up and down', () => {
  it('comes up, is idempotent, recovers from a crashed run, and goes down leaving nothing behind', async () => {
    // Given no lab
    expect((await lab(['down'])).code).toBe(0)
    const before = snapshot()
    expect(before.namespaces).toEqual([])
    expect(before.labProcesses).toEqual([])

    // When it comes up
    const first = await lab(['up', '--clusters', 'broker,c1'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toMatch(/the lab is up in/)
    const during = snapshot()
    expect(during.namespaces).toEqual(expect.arrayContaining(['lab-host', 'lab-br', 'lab-broker-control-plane', 'lab-c1-control-plane', 'lab-c1-worker']))
    expect(during.labProcesses.length).toBeGreaterThan(10)
    // Its interfaces live in its own namespaces: the host gets none
    expect(during.links).toEqual(before.links)
    expect(during.iptables).toEqual(before.iptables)

    // Then bringing it up again changes nothing
    const again = await lab(['up', '--clusters', 'broker,c1'])
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/already up/)

    // And after a crash (a control-plane process killed) `up` cleans up and starts afresh
    const apiserver = labState().processes.find((entry) => entry.name === 'c1-kube-apiserver')
    process.kill(apiserver?.pid as number, 'SIGKILL')
    const recovered = await lab(['up', '--clusters', 'broker,c1'])
    expect(recovered.code, recovered.stderr).toBe(0)
    expect(recovered.stderr).toMatch(/cleaning up a previous lab first/)
    expect(recovered.stderr).toMatch(/the lab is up in/)

    // When it goes down
    expect((await lab(['down'])).code).toBe(0)

    // Then the host is as it was
    const after = snapshot()
    expect(after.namespaces).toEqual([])
    expect(after.labProcesses).toEqual([])
    expect(after.links).toEqual(before.links)
    expect(after.iptables).toEqual(before.iptables)
    expect(after.mounts).toEqual(before.mounts)
    expect(after.stateDir).toBe(false)
    expect(after.hostPaths).toEqual(before.hostPaths)
  })
})
