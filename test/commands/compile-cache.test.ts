import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {subctl} from '../helpers/cli.js'

// bin/run.cjs loads dist/cli.cjs with V8's code cache (src/cli/compile-cache.ts): these run the
// built CLI with a cache directory of their own and look at what it leaves there.
describe('the CLI bundle’s compile cache', () => {
  const directories: string[] = []
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, {force: true, recursive: true})
  })

  const cacheDir = () => {
    const directory = mkdtempSync(join(tmpdir(), 'subctl-cache-'))
    directories.push(directory)
    return directory
  }

  const cacheFiles = (directory: string) => {
    try {
      return readdirSync(join(directory, 'compile-cache'))
    } catch {
      return []
    }
  }

  it('is written by the first run, taken as it is by the next, and gives the same output', async () => {
    const directory = cacheDir()
    const env = {SUBCTL_CACHE_DIR: directory}
    const first = await subctl(['completion', 'bash'], {env})
    expect(first.code).toBe(0)
    const [file, ...others] = cacheFiles(directory)
    expect(others).toEqual([])
    expect(file).toMatch(new RegExp(`^cli-[0-9a-f]{16}-node${process.versions.v8.replaceAll('.', '\\.')}-${process.arch}\\.bin$`))
    const path = join(directory, 'compile-cache', file as string)
    const written = statSync(path)
    expect(written.size).toBeGreaterThan(100_000)
    expect(written.mode & 0o777).toBe(0o600)

    const second = await subctl(['completion', 'bash'], {env})
    expect(second).toMatchObject({code: 0, stdout: first.stdout})
    expect(statSync(path).mtimeMs).toBe(written.mtimeMs)
  })

  it('replaces a cache V8 rejects, and removes those of other builds and writes left unfinished', async () => {
    const directory = cacheDir()
    const env = {SUBCTL_CACHE_DIR: directory}
    await subctl(['completion', 'bash'], {env})
    const [file] = cacheFiles(directory)
    const path = join(directory, 'compile-cache', file as string)
    writeFileSync(path, 'not a code cache')
    const stale = join(directory, 'compile-cache', 'cli-0000000000000000-node1.0-x64.bin')
    writeFileSync(stale, 'an older build')
    // What a run killed between writing its cache aside and renaming it leaves.
    writeFileSync(`${path}.4242`, 'half a cache')

    const run = await subctl(['completion', 'bash'], {env})
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^complete -o default -F __subctl subctl$/m)
    expect(readFileSync(path).length).toBeGreaterThan(100_000)
    expect(cacheFiles(directory)).toEqual([file])
  })

  it('is not written with SUBCTL_NO_COMPILE_CACHE, and a failing command exits as usual through the bundle', async () => {
    const directory = cacheDir()
    const env = {SUBCTL_CACHE_DIR: directory, SUBCTL_NO_COMPILE_CACHE: '1'}
    expect((await subctl(['completion', 'bash'], {env})).code).toBe(0)
    const failed = await subctl(['show', 'connections', '--kubeconfig', join(directory, 'missing')], {env})
    expect(failed.code).toBe(2)
    expect(failed.stderr.trim().split('\n')).toHaveLength(1)
    expect(cacheFiles(directory)).toEqual([])
  })
})
