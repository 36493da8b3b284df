import {createPrivateKey, createPublicKey, diffieHellman} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {parseDump, peerStatus, wireguardKeys, wireguardPsk} from './wireguard.js'

// DER prefixes of X25519 keys: the raw 32 bytes follow them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')
const privateKeyOf = (base64: string) => createPrivateKey({format: 'der', key: Buffer.concat([PKCS8_PREFIX, Buffer.from(base64, 'base64')]), type: 'pkcs8'})
const publicKeyOf = (base64: string) => createPublicKey({format: 'der', key: Buffer.concat([SPKI_PREFIX, Buffer.from(base64, 'base64')]), type: 'spki'})

describe('wireguardKeys', () => {
  it('gives 32-byte base64 keys that agree on a shared secret, as wg genkey | wg pubkey would', () => {
    const a = wireguardKeys()
    const b = wireguardKeys()
    for (const key of [a.privateKey, a.publicKey, b.privateKey, b.publicKey]) expect(Buffer.from(key, 'base64')).toHaveLength(32)
    const ab = diffieHellman({privateKey: privateKeyOf(a.privateKey), publicKey: publicKeyOf(b.publicKey)})
    const ba = diffieHellman({privateKey: privateKeyOf(b.privateKey), publicKey: publicKeyOf(a.publicKey)})
    expect(ab.equals(ba)).toBe(true)
    expect(a.publicKey).not.toBe(b.publicKey)
  })
})

describe('wireguardPsk', () => {
  it('is the SHA-256 of the PSK string, the same on every cluster', () => {
    expect(wireguardPsk('secret')).toBe('K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=')
    expect(Buffer.from(wireguardPsk('another'), 'base64')).toHaveLength(32)
  })
})

const DUMP = [
  'cHJpdmF0ZQ==\tcHVibGlj\t4500\toff',
  'cGVlcjE=\t(none)\t172.30.3.11:4500\t10.9.0.0/16,10.99.0.0/16\t1764090000\t1200\t3400\t10',
  'cGVlcjI=\t(none)\t(none)\t10.10.0.0/16\t0\t0\t148\t10',
].join('\n')

describe('parseDump', () => {
  it('reads every peer line of `wg show DEVICE dump`, skipping the interface line', () => {
    expect(parseDump(DUMP)).toEqual([
      {endpoint: '172.30.3.11:4500', latestHandshake: 1_764_090_000, publicKey: 'cGVlcjE=', rxBytes: 1200, txBytes: 3400},
      {endpoint: '(none)', latestHandshake: 0, publicKey: 'cGVlcjI=', rxBytes: 0, txBytes: 148},
    ])
    expect(parseDump('cHJpdmF0ZQ==\tcHVibGlj\t4500\toff\n')).toEqual([])
  })
})

describe('peerStatus', () => {
  const now = 1_764_090_060_000
  it('is connected after a recent handshake, with the byte counts', () => {
    expect(peerStatus({endpoint: '', latestHandshake: 1_764_090_000, publicKey: 'k', rxBytes: 5, txBytes: 6}, now - 100_000, now)).toEqual({message: 'Rx=5 Bytes, Tx=6 Bytes', status: 'connected'})
  })

  it('is connecting before the first handshake, and an error when it never comes or goes stale', () => {
    const fresh = {endpoint: '', latestHandshake: 0, publicKey: 'k', rxBytes: 0, txBytes: 0}
    expect(peerStatus(fresh, now - 5000, now).status).toBe('connecting')
    expect(peerStatus(fresh, now - 200_000, now)).toEqual({message: 'no initial handshake for 200 seconds', status: 'error'})
    expect(peerStatus({...fresh, latestHandshake: 1_764_089_000}, now - 2_000_000, now)).toEqual({message: 'no handshake for 1060 seconds', status: 'error'})
    expect(peerStatus(undefined, now, now).status).toBe('error')
  })
})
