
import {describe, expect, it} from 'vitest'

import {sh} from '../../test/lab/sh.js'
import {completionScript, type CompletionCommand} from './completion.js'

const commands: CompletionCommand[] = [
  {flags: [{name: 'kubeconfig'}, {char: 'o', name: 'output'}], id: 'show connections'},
  {flags: [{name: 'kubeconfig'}], id: 'show gateways'},
  {flags: [{name: 'clusterid'}, {name: 'cable-driver'}], id: 'join'},
  {flags: [], id: 'version'},
]

/** Loads the bash script into a real bash and asks it to complete a command line. */
function complete(line: string[]): string[] {
  const script = completionScript('bash', 'subctl', commands)
  const words = line.map((word) => `'${word}'`).join(' ')
  const program = `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; __subctl; printf '%s\\n' "\${COMPREPLY[@]}"`
  return sh(['bash', '-c', program]).split('\n').filter(Boolean)
}

describe('bash completion', () => {
  it('completes top-level commands and topics', () => {
    expect(complete(['subctl', ''])).toEqual(['join', 'show', 'version'])
    expect(complete(['subctl', 'sh'])).toEqual(['show'])
  })

  it('completes subcommands of a topic and the flags of a command', () => {
    expect(complete(['subctl', 'show', ''])).toEqual(['connections', 'gateways'])
    expect(complete(['subctl', 'show', 'connections', '--'])).toEqual(['--kubeconfig', '--output'])
    expect(complete(['subctl', 'join', '--kubeconfig', 'x', '--c'])).toEqual(['--cable-driver', '--clusterid'])
  })
})

describe('other shells', () => {
  it('generates zsh, fish and PowerShell scripts naming every command', () => {
    for (const shell of ['zsh', 'fish', 'powershell'] as const) {
      const script = completionScript(shell, 'subctl', commands)
      for (const word of ['join', 'connections', 'gateways', 'version']) expect(script).toContain(word)
    }

    expect(completionScript('zsh', 'subctl', commands)).toMatch(/bashcompinit/)
    expect(completionScript('fish', 'subctl', commands)).toMatch(/complete -c subctl -n '__fish_seen_subcommand_from show; and not __fish_seen_subcommand_from connections gateways' -a connections/)
  })
})
