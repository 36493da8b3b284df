/**
 * The agents' netlink layer against the real kernel, in a network namespace of its own: what
 * `ip` prints for absent things, and the VXLAN devices the cable and the route agent make.
 */

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LibreswanDriver} from '../../src/agent/gateway/cable/libreswan.js'
import {createTools, type Tools} from '../../src/agent/netlink/exec.js'
import {Net, vtepMac} from '../../src/agent/netlink/ip.js'
import {nullLogger} from '../../src/agent/runtime/log.js'
import {endpointSpec} from '../helpers/endpoints.js'
import {sh} from './sh.js'

const NETNS = `subctl-netlink-${process.pid}`
const base = createTools(nullLogger)
/** Every tool runs inside the test's namespace. */
const tools: Tools = {run: (file, args, options) => base.run('ip', ['netns', 'exec', NETNS, file, ...args], options)}
const net = new Net(tools)

beforeAll(() => {
  sh(['ip', 'netns', 'add', NETNS])
  sh(['ip', '-n', NETNS, 'link', 'set', 'lo', 'up'])
  sh(['ip', '-n', NETNS, 'addr', 'add', '192.0.2.10/24', 'dev', 'lo'])
})

afterAll(() => {
  sh(['ip', 'netns', 'delete', NETNS])
})

describe('Net in a network namespace', () => {
  it('lists a routing table nothing was ever put in as empty', async () => {
    expect(await net.routes(150)).toEqual([])
    await net.ensureVxlan('vxlan-test', {address: vtepMac('241.0.2.10'), mtu: 1450, port: 4500, vni: 1000})
    await net.setAddress('vxlan-test', '241.0.2.10/8')
    await net.replaceRoute({dev: 'vxlan-test', dst: '10.9.0.0/16', table: 150, via: '241.0.2.11'})
    expect((await net.routes(150)).map((route) => route.dst)).toEqual(['10.9.0.0/16'])
    await net.flushTable(150)
    expect(await net.routes(150)).toEqual([])
  })

  it('makes a VXLAN device with the MAC of its VTEP, and the same MAC when it is made again differently', async () => {
    const mac = vtepMac('240.0.2.10')
    await net.ensureVxlan('vx-test', {address: mac, mtu: 1450, port: 4800, vni: 100})
    expect(await net.link('vx-test')).toMatchObject({address: mac, kind: 'vxlan', mtu: 1450, up: true, vxlan: {id: 100, port: 4800}})
    // A remote makes it a different device (recreated): the MAC stays.
    await net.ensureVxlan('vx-test', {address: mac, mtu: 1400, port: 4800, remote: '192.0.2.11', vni: 100})
    expect(await net.link('vx-test')).toMatchObject({address: mac, mtu: 1400, vxlan: {remote: '192.0.2.11'}})
    await net.deleteLink('vx-test')
    expect(await net.link('vx-test')).toBeUndefined()
  })

  it('refuses the libreswan driver with a clear error on a kernel without ESP, leaving no probe behind', async () => {
    const driver = new LibreswanDriver({cniIp: undefined, debug: false, forceEncapsulation: false, log: nullLogger, net, psk: 'cHNr', tools}, false)
    const local = endpointSpec('c1', '192.0.2.10', {backend: 'libreswan', subnets: ['10.8.0.0/16']})
    const sa = ['src', '192.0.2.3', 'dst', '192.0.2.4', 'proto', 'esp', 'spi', '0x202']
    const esp = await tools.run('ip', ['xfrm', 'state', 'add', ...sa, 'enc', 'cbc(aes)', `0x${'00'.repeat(16)}`]).then(
      () => true,
      () => false,
    )
    if (esp) await tools.run('ip', ['xfrm', 'state', 'delete', ...sa])
    // Where the kernel has ESP, the next requirement (libreswan's ipsec command) is what is missing here.
    await expect(driver.init(local)).rejects.toThrow(esp ? /needs libreswan \(the ipsec command\)/ : /needs kernel IPsec \(XFRM with ESP\).*use --cable-driver wireguard or vxlan/)
    expect(await tools.run('ip', ['xfrm', 'state', 'list', 'spi', '0x00000101'])).toBe('')
  })
})
