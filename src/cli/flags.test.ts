import {describe, expect, it} from 'vitest'

import {prefixedConnectionOptions, prefixedKubeFlags} from './flags.js'

describe('prefixed kube connection flags', () => {
  it('repeats every connection flag with the prefix, the kubeconfig as <prefix>config, and the namespace when asked', () => {
    const names = Object.keys(prefixedKubeFlags('to', 'the second cluster', 'submariner-operator'))
    expect(names).toEqual(expect.arrayContaining(['tocontext', 'toconfig', 'tocluster', 'touser', 'totoken', 'toserver', 'toinsecure-skip-tls-verify', 'tonamespace']))
    expect(names).not.toContain('tokubeconfig')
    expect(Object.keys(prefixedKubeFlags('extra', 'the third cluster'))).not.toContain('extranamespace')
  })

  it('is present only when one of its flags is given, and then maps onto connection options', () => {
    expect(prefixedConnectionOptions({context: 'c1', 'insecure-skip-tls-verify': false, 'request-timeout': '0'}, 'to')).toBeUndefined()
    expect(prefixedConnectionOptions({tocontext: 'c2', toconfig: '/k2'}, 'to', {kubeconfig: '/k1'})).toEqual({context: 'c2', kubeconfig: '/k2'})
    // Without --toconfig the second context is looked up in the first one's kubeconfig.
    expect(prefixedConnectionOptions({tocontext: 'c2'}, 'to', {kubeconfig: '/k1'})).toEqual({context: 'c2', kubeconfig: '/k1'})
  })
})
