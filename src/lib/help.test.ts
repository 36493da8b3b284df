import {describe, expect, it} from 'vitest'

import {type HelpCommand, type HelpContext, helpTarget, renderHelp, wrap} from './help.js'

const join: HelpCommand = {
  args: {'broker-info': {description: 'The broker-info.subm', name: 'broker-info', required: true}},
  examples: ['<%= config.bin %> join broker-info.subm --context c1'],
  flags: {
    'cable-driver': {default: 'libreswan', description: 'Cable driver', name: 'cable-driver', type: 'option'},
    debug: {default: false, description: 'Stack traces', helpGroup: 'GLOBAL', name: 'debug', type: 'boolean'},
    'globalnet-cluster-size': {default: 0, description: 'Global IPs (default: the broker’s)', name: 'globalnet-cluster-size', type: 'option'},
    natt: {allowNo: true, default: true, description: 'NAT traversal', name: 'natt', type: 'boolean'},
    namespace: {char: 'n', description: 'Namespace', name: 'namespace', type: 'option'},
  },
  id: 'join',
  summary: 'Connect the cluster',
}
const context: HelpContext = {
  bin: 'subctl',
  commands: [join, {args: {}, flags: {}, id: 'show:connections', summary: 'Show the connections'}, {args: {}, flags: {}, id: 'show:all', summary: 'Show all'}],
  description: 'The CLI',
  topics: {show: 'Show things'},
  width: 200,
}

describe('help', () => {
  it('finds the command, the topic or the root that the words name, past flags and help', () => {
    expect(helpTarget(['join', 'file.subm', '--help'], context)).toEqual({command: join, kind: 'command'})
    expect(helpTarget(['help', 'show', 'connections'], context)).toMatchObject({command: {id: 'show:connections'}, kind: 'command'})
    expect(helpTarget(['show', '-h'], context)).toEqual({kind: 'topic', name: 'show'})
    expect(helpTarget(['--help'], context)).toEqual({kind: 'root'})
    expect(helpTarget(['jion', '--help'], context)).toBeUndefined()
  })

  it('shows a required argument bare, and every default unless the description states its own', () => {
    const text = renderHelp({command: join, kind: 'command'}, context)
    expect(text).toContain('$ subctl join BROKER-INFO [FLAGS]')
    expect(text).toContain('BROKER-INFO  (required) The broker-info.subm')
    expect(text).toMatch(/ {4}--\[no-\]natt +NAT traversal \[default: true\]/)
    expect(text).toMatch(/--cable-driver=<value> +Cable driver \[default: libreswan\]/)
    expect(text).toMatch(/Global IPs \(default: the broker’s\)\n/)
    expect(text).toMatch(/-n, --namespace=<value> +Namespace\n/)
    expect(text).toMatch(/GLOBAL FLAGS\n {2}--debug +Stack traces\n/)
    expect(text).toMatch(/EXAMPLES\n {2}\$ subctl join broker-info.subm --context c1\n$/)
  })

  it('lists topics and commands one level down', () => {
    expect(renderHelp({kind: 'root'}, context)).toMatch(/TOPICS\n {2}show +Show things\n\nCOMMANDS\n {2}join +Connect the cluster\n$/)
    expect(renderHelp({kind: 'topic', name: 'show'}, context)).toMatch(/COMMANDS\n {2}show all +Show all\n {2}show connections +Show the connections\n$/)
  })

  it('wraps words to the width', () => {
    expect(wrap('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd'])
    expect(wrap('averylongword x', 4)).toEqual(['averylongword', 'x'])
  })
})
