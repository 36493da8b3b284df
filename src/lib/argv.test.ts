import {describe, expect, it} from 'vitest'

import {normalizeArgv, type Manifest} from './argv.js'

const manifest: Manifest = {
  commands: {
    join: {flags: {'air-gapped': {type: 'boolean'}, context: {type: 'option'}, natt: {allowNo: true, type: 'boolean'}, 'pod-debug': {aliases: ['enable-pod-debugging'], type: 'boolean'}}},
    'show:connections': {flags: {'dry-run': {type: 'boolean'}}},
  },
}

describe('upstream’s flag syntax', () => {
  it('turns --flag=true|false into --flag and --no-flag, in any case', () => {
    expect(normalizeArgv(['join', 'broker-info.subm', '--natt=false', '--air-gapped=TRUE'], manifest)).toEqual(['join', 'broker-info.subm', '--no-natt', '--air-gapped'])
    expect(normalizeArgv(['join', '--natt=true'], manifest)).toEqual(['join', '--natt'])
  })

  it('leaves out =false on a flag that has no negation (false is its default), and knows aliases', () => {
    expect(normalizeArgv(['join', '--air-gapped=false', '--enable-pod-debugging=true'], manifest)).toEqual(['join', '--pod-debug'])
  })

  it('finds the command of a topic, and leaves other flags and values alone', () => {
    expect(normalizeArgv(['show', 'connections', '--dry-run=false', '--context=c1'], manifest)).toEqual(['show', 'connections', '--context=c1'])
    expect(normalizeArgv(['join', '--context=false', '--natt=maybe'], manifest)).toEqual(['join', '--context=false', '--natt=maybe'])
  })

  it('makes -h help everywhere, and stops at --', () => {
    expect(normalizeArgv(['-h'], manifest)).toEqual(['--help'])
    expect(normalizeArgv(['join', '-h'], manifest)).toEqual(['join', '--help'])
    expect(normalizeArgv(['join', '--', '-h', '--natt=false'], manifest)).toEqual(['join', '--', '-h', '--natt=false'])
  })
})
