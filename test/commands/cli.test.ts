import {describe, expect, it} from 'vitest'

import {subctl} from '../helpers/cli.js'

describe('subctl (the built CLI, run as a user would)', () => {
  it('lists the commands in --help', async () => {
    const {code, stdout} = await subctl(['--help'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/COMMANDS/)
    expect(stdout).toMatch(/version\s+Print the version of subctl/)
    expect(stdout).toMatch(/completion\s+Generate the shell completion script/)
  })

  it('prints its version like upstream, through the fast path and through oclif', async () => {
    expect((await subctl(['version'])).stdout).toBe('subctl version: 0.19.0\n')
    expect((await subctl(['--version'])).stdout).toBe('subctl version 0.19.0\n')
    // with any other argument the oclif command answers, with the same text
    const viaOclif = await subctl(['version', '--debug'])
    expect(viaOclif).toMatchObject({code: 0, stdout: 'subctl version: 0.19.0\n'})
  })

  it('answers an unknown flag with exit 2 and one line, no stack trace', async () => {
    const {code, stderr, stdout} = await subctl(['version', '--no-such-flag'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^Error: Nonexistent flag: --no-such-flag\. See --help/)
    expect(stderr).not.toMatch(/\bat .*\.js:\d+/)
  })

  it('takes upstream’s syntax: -h for help, and --flag=false on a boolean', async () => {
    for (const args of [['-h'], ['join', '-h'], ['show', 'connections', '-h']]) {
      const {code, stdout} = await subctl(args)
      expect(code, args.join(' ')).toBe(0)
      expect(stdout, args.join(' ')).toMatch(/USAGE/)
    }

    // The flags parse: what fails is the file, as it should.
    for (const flag of ['--natt=false', '--natt=true', '--air-gapped=false', '--no-natt']) {
      const {code, stderr} = await subctl(['join', 'missing.subm', flag])
      expect(code, flag).toBe(2)
      expect(stderr, flag).toMatch(/^Error: Cannot read the broker information file "missing.subm": it does not exist/)
    }
  })

  it('answers an unknown command with exit 2 and one line', async () => {
    const {code, stderr} = await subctl(['frobnicate'])
    expect(code).toBe(2)
    expect(stderr).toBe('Error: Unknown command "frobnicate". Run "subctl --help" to list the commands\n')
  })

  it('rejects a bad completion shell with exit 2', async () => {
    const {code, stderr} = await subctl(['completion', 'tcsh'])
    expect(code).toBe(2)
    expect(stderr).toMatch(/^Error: Expected tcsh to be one of: bash, zsh, fish, powershell/)
  })
})
