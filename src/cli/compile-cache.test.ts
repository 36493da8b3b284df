import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {cacheDirectory, compileCacheFile} from './compile-cache.js'

describe('cacheDirectory', () => {
  it('follows each platform’s per-user cache folder, as oclif’s cacheDir does', () => {
    expect(cacheDirectory({}, 'linux', '/home/ada')).toBe(join('/home/ada', '.cache', 'subctl'))
    expect(cacheDirectory({XDG_CACHE_HOME: '/var/cache/ada'}, 'linux', '/home/ada')).toBe(join('/var/cache/ada', 'subctl'))
    expect(cacheDirectory({}, 'darwin', '/Users/ada')).toBe(join('/Users/ada', 'Library', 'Caches', 'subctl'))
    expect(cacheDirectory({LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local'}, 'win32', 'C:\\Users\\ada')).toBe(join('C:\\Users\\ada\\AppData\\Local', 'subctl'))
  })

  it('takes SUBCTL_CACHE_DIR first, and has no answer without a home directory', () => {
    expect(cacheDirectory({SUBCTL_CACHE_DIR: '/tmp/c', XDG_CACHE_HOME: '/x'}, 'linux', '/home/ada')).toBe('/tmp/c')
    expect(cacheDirectory({}, 'linux', undefined)).toBeUndefined()
    expect(cacheDirectory({}, 'darwin', undefined)).toBeUndefined()
  })
})

describe('compileCacheFile', () => {
  it('names the build and the V8 that the cache belongs to', () => {
    const file = compileCacheFile('0123456789abcdef', {SUBCTL_CACHE_DIR: '/tmp/c'})
    expect(file).toBe(join('/tmp/c', 'compile-cache', `cli-0123456789abcdef-node${process.versions.v8}-${process.arch}.bin`))
  })

  it('is off with SUBCTL_NO_COMPILE_CACHE', () => {
    expect(compileCacheFile('0123456789abcdef', {SUBCTL_CACHE_DIR: '/tmp/c', SUBCTL_NO_COMPILE_CACHE: '1'})).toBeUndefined()
  })
})
