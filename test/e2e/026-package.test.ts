/**
 * Packaging (issue 16): what `npm pack` makes installs with `npm install -g` and runs, from a prefix
 * that has nothing of this checkout: version, help, completion, and a join dry run against the lab,
 * which needs the manifests the bundle carries. The install is --offline: the packages come from
 * npm's cache, which `npm ci` filled, so the test reaches nothing outside this machine.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {HOST_NETNS} from '../lab/config.js'
import {execEnvironment} from '../lab/operations.js'
import {ROOT, run} from '../helpers/cli.js'
import {BROKER_INFO, ensureClusterset} from './clusterset.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-package-'))
const installed = join(dir, 'prefix', 'bin', 'subctl')
const installedRun = (args: string[]) => run('ip', ['netns', 'exec', HOST_NETNS, installed, ...args], {cwd: dir, env: {...execEnvironment(), CI: 'true'}})

describe('the npm package', () => {
  beforeAll(async () => {
    await ensureClusterset()
    const packed = await run('npm', ['pack', '--pack-destination', dir, '--silent'], {timeoutMs: 120_000})
    expect(packed.code, packed.stderr).toBe(0)
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'))
    expect(tarball).toBeDefined()
    const install = await run('npm', ['install', '-g', '--prefix', join(dir, 'prefix'), '--offline', '--no-audit', '--no-fund', join(dir, tarball as string)], {timeoutMs: 300_000})
    expect(install.code, install.stderr).toBe(0)
  })

  afterAll(() => rmSync(dir, {force: true, recursive: true}))

  it('runs version, --help and completion bash from the installed prefix', async () => {
    const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    expect((await installedRun(['version'])).stdout).toBe(`subctl version: ${version}\n`)
    const help = await installedRun(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/COMMANDS\n[\s\S]*join +Connect the current cluster to the broker/)
    const completion = await installedRun(['completion', 'bash'])
    expect(completion.code).toBe(0)
    expect(completion.stdout).toMatch(/^complete .*-F __subctl subctl$/m)
  })

  it('prints a join dry run with the CRDs and RBAC that the bundle carries', async () => {
    const dryRun = await installedRun(['join', BROKER_INFO, '--context', 'c2', '--clusterid', 'c2', '--gateway-nodes', 'c2-worker', '--cable-driver', 'vxlan', '--dry-run'])
    expect(dryRun.code, dryRun.stderr).toBe(0)
    expect(dryRun.stdout).toMatch(/kind: CustomResourceDefinition\nmetadata:\n {2}name: submariners\.submariner\.io/)
    expect(dryRun.stdout).toMatch(/# cluster: c2\napiVersion: submariner\.io\/v1alpha1\nkind: Submariner/)
  })
})
