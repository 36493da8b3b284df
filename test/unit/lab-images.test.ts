import {describe, expect, it} from 'vitest'

import {imageCommands, repositoryOf, resolveImage, type NodeFiles} from '../lab/node/images.js'

const FILES: NodeFiles = {agentBundle: '/repo/dist/agent.js', busyboxBin: '/lab/busybox', coredns: '/cache/coredns', node: '/usr/bin/node', nodeHelper: '/cache/node-helper'}

describe('the lab image table', () => {
  it('names an image by its repository, without registry defaults, tag or digest', () => {
    expect(repositoryOf('busybox')).toBe('busybox')
    expect(repositoryOf('docker.io/library/busybox:1.36')).toBe('busybox')
    expect(repositoryOf('alpine/socat:1.7.4.4')).toBe('alpine/socat')
    expect(repositoryOf('nicolaka/netshoot@sha256:abc')).toBe('nicolaka/netshoot')
    expect(repositoryOf('registry.k8s.io/pause:3.10')).toBe('registry.k8s.io/pause')
    expect(repositoryOf('localhost:5000/busybox')).toBe('localhost:5000/busybox')
  })

  it('follows Docker: command replaces the entrypoint, args replace the cmd', () => {
    expect(resolveImage('alpine/socat', undefined, ['-V'], FILES)).toEqual({argv: ['socat', '-V'], path: ['/lab/busybox']})
    expect(resolveImage('alpine/socat', ['/bin/sh'], ['-c', 'echo'], FILES)).toEqual({argv: ['/lab/busybox/sh', '-c', 'echo'], path: ['/lab/busybox']})
    expect(resolveImage('busybox:1.36', undefined, undefined, FILES)).toEqual({argv: ['sh'], path: ['/lab/busybox']})
    expect(resolveImage('nicolaka/netshoot:v0.15', undefined, undefined, FILES)).toEqual({argv: ['zsh'], path: []})
    expect(resolveImage('nicolaka/netshoot:v0.15', undefined, ['sleep', '1'], FILES)).toEqual({argv: ['sleep', '1'], path: []})
  })

  it('runs the node’s stand-ins for the images’ own programs', () => {
    expect(resolveImage('registry.k8s.io/pause:3.10', undefined, undefined, FILES)).toEqual({argv: ['/cache/node-helper', 'pause'], path: []})
    expect(resolveImage('registry.k8s.io/coredns/coredns:v1.14.7', undefined, ['-conf', '/etc/coredns/Corefile'], FILES)).toEqual({
      argv: ['/cache/coredns', '-conf', '/etc/coredns/Corefile'],
      path: [],
    })
    // The agent image under any repository, as `--repository` allows.
    expect(resolveImage('example.org/mirror/submariner-gateway:0.19.0', undefined, ['gateway'], FILES)).toEqual({argv: ['/usr/bin/node', '/repo/dist/agent.js', 'gateway'], path: []})
    expect(resolveImage('quay.io/submariner/nettest:devel', undefined, undefined, FILES)).toEqual({argv: ['/usr/bin/node', '/repo/dist/agent.js', '--help'], path: []})
  })

  it('refuses an image outside the table, naming the images it can run', () => {
    const result = resolveImage('docker.io/library/nginx:1.27', undefined, undefined, FILES)
    expect(result).toEqual({error: expect.stringMatching(/^image "docker\.io\/library\/nginx:1\.27" is not runnable in the lab: .*nicolaka\/netshoot/) as string})
    // "pause" under another registry is not the pause image.
    expect(resolveImage('example.org/pause:1', undefined, undefined, FILES)).toHaveProperty('error')
  })

  it('lists the Debian package of every command its images’ users run', () => {
    expect(imageCommands()).toMatchObject({busybox: 'busybox', nc: 'netcat-openbsd', nslookup: 'dnsutils', socat: 'socat', zsh: 'zsh'})
  })
})
