import {createServer, type Server} from 'node:net'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import type {KubeClient} from '../../k8s/client.js'
import {resolvePublicIp} from './local-endpoint.js'

// Only the lb: method reads the cluster; these tests use ipv4: and api: on loopback.
const options = {airGapped: false, client: undefined as unknown as KubeClient, namespace: 'submariner-operator'}
let silent: Server | undefined

afterEach(() => {
  silent?.close()
  silent = undefined
})

/** A loopback port that accepts connections and never answers. */
async function silentPort(): Promise<number> {
  silent = createServer(() => {})
  await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve))
  return (silent.address() as AddressInfo).port
}

describe('the gateway’s public IP', () => {
  it('takes the first resolver that answers, in the order given', async () => {
    expect(await resolvePublicIp('ipv4:198.51.100.7,ipv4:203.0.113.9', options)).toEqual({ip: '198.51.100.7'})
    expect(await resolvePublicIp('api:127.0.0.1:1,ipv4:203.0.113.9', options)).toEqual({ip: '203.0.113.9'})
  })

  it('air-gapped, uses only ipv4: entries and has no problem without one', async () => {
    expect(await resolvePublicIp('api:127.0.0.1:1', {...options, airGapped: true})).toEqual({ip: ''})
  })

  it('says why it has none when no resolver answers, within its deadline, with the way out', async () => {
    const port = await silentPort()
    const started = Date.now()
    const result = await resolvePublicIp(`api:127.0.0.1:${port},api:127.0.0.1:1`, {...options, timeoutMs: 300})
    expect(Date.now() - started).toBeLessThan(5000)
    expect(result.ip).toBe('')
    expect(result.problem).toMatch(new RegExp(`^could not determine the public IP with any resolver \\(api:127\\.0\\.0\\.1:${port}: no answer within 0\\.3 s; api:127\\.0\\.0\\.1:1: not tried, out of time\\)`))
    expect(result.problem).toContain('join with --air-gapped')
  })

  it('refuses a resolver spec it cannot read', async () => {
    await expect(resolvePublicIp('nonsense', options)).rejects.toThrow('public IP resolver "nonsense" is not method:value')
    await expect(resolvePublicIp('carrier-pigeon:x', options)).rejects.toThrow('unknown public IP resolver method "carrier-pigeon"')
  })
})
