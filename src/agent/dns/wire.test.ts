import dnsPacket from 'dns-packet'
import {describe, expect, it} from 'vitest'

import {answerFor, QUESTION_START, readQueryHead} from './wire.js'

const encode = (options: {name?: string; type?: string; edns?: number; rd?: boolean; questions?: number; id?: number} = {}) =>
  dnsPacket.encode({
    additionals: options.edns ? [{name: '.', type: 'OPT', udpPayloadSize: options.edns} as never] : [],
    flags: options.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    id: options.id ?? 7,
    questions: Array.from({length: options.questions ?? 1}, () => ({class: 'IN', name: options.name ?? 'web.default.svc.clusterset.local', type: (options.type ?? 'A') as 'A'})),
    type: 'query',
  })

describe('readQueryHead', () => {
  it('reads the question bytes, its type and no EDNS0 from a plain query', () => {
    const message = encode({type: 'SRV'})
    const head = readQueryHead(message)
    expect(head?.type).toBe(33)
    expect(head?.ednsPayload).toBeUndefined()
    // The question: the encoded name, then type and class.
    expect(head?.questionEnd).toBe(message.length)
    expect(message.subarray(QUESTION_START, head?.questionEnd).length).toBe('web.default.svc.clusterset.local'.length + 2 + 4)
  })

  it('reads the EDNS0 payload size and leaves the OPT record out of the question', () => {
    const head = readQueryHead(encode({edns: 1232}))
    expect(head?.ednsPayload).toBe(1232)
    expect((head?.questionEnd ?? 0) - QUESTION_START).toBe('web.default.svc.clusterset.local'.length + 2 + 4)
  })


  it('reads undefined for what the general path must decode', () => {
    const response = encode()
    response[2] = (response[2] as number) | 0x80
    expect(readQueryHead(response)).toBeUndefined()
    const notify = encode()
    notify[2] = (notify[2] as number) | (4 << 3)
    expect(readQueryHead(notify)).toBeUndefined()
    expect(readQueryHead(encode({questions: 2}))).toBeUndefined()
    expect(readQueryHead(encode({questions: 0}))).toBeUndefined()
    expect(readQueryHead(Buffer.alloc(5))).toBeUndefined()
    expect(readQueryHead(encode().subarray(0, 20))).toBeUndefined()
    expect(readQueryHead(Buffer.concat([encode(), Buffer.from([0])]))).toBeUndefined()
    // A compression pointer in the question.
    const pointer = Buffer.from(encode())
    pointer[12] = 0xc0
    expect(readQueryHead(pointer)).toBeUndefined()
  })
})

describe('answerFor', () => {
  it('gives the cached answer the query id and echoes its RD bit, leaving the cache as it was', () => {
    const cached = dnsPacket.encode({
      answers: [{data: '10.0.0.1', name: 'web.default.svc.clusterset.local', ttl: 5, type: 'A'}],
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED,
      id: 1,
      questions: [{class: 'IN', name: 'web.default.svc.clusterset.local', type: 'A'}],
      type: 'response',
    })
    const copy = Buffer.from(cached)
    const reply = dnsPacket.decode(answerFor(encode({id: 0xbeef, rd: false}), cached))
    expect(reply.id).toBe(0xbeef)
    expect(reply.flags! & dnsPacket.RECURSION_DESIRED).toBe(0)
    expect(reply.flags! & dnsPacket.AUTHORITATIVE_ANSWER).toBeTruthy()
    expect(reply.answers?.[0]).toMatchObject({data: '10.0.0.1', type: 'A'})
    expect(cached.equals(copy)).toBe(true)
    expect(dnsPacket.decode(answerFor(encode({rd: true}), cached)).flags! & dnsPacket.RECURSION_DESIRED).toBeTruthy()
  })
})
