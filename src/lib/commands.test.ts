import {describe, expect, it} from 'vitest'

import {unknownCommandMessage} from './commands.js'

const known = ['join', 'deploy-broker', 'show all', 'show connections', 'export service', 'uninstall', 'version']

describe('an unknown command', () => {
  it('gets the nearest command, for a typo of a command or of a topic', () => {
    expect(unknownCommandMessage('joni', known, 'subctl')).toBe('Unknown command "joni". Did you mean "subctl join"? Run "subctl --help" to list the commands')
    expect(unknownCommandMessage('shwo connections', known, 'subctl')).toContain('Did you mean "subctl show connections"?')
    expect(unknownCommandMessage('frobnicate', known, 'subctl')).toBe('Unknown command "frobnicate". Run "subctl --help" to list the commands')
  })

  it('says when it is an upstream command this version does not provide, and why', () => {
    expect(unknownCommandMessage('cloud prepare aws', known, 'subctl')).toMatch(/^"subctl cloud" is an upstream command that this version does not provide: .*cloud APIs/)
  })
})
