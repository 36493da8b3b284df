import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import type {KubeClient} from './client.js'
import {clientForServer} from './clients.js'
import {Informer} from './informer.js'
import type {KubeObject} from './objects.js'
import {Resources} from './resources.js'

let server: Server | undefined

afterEach(() => {
  server?.close()
  server = undefined
})

const configMap = (name: string, service: string, resourceVersion: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {labels: {service}, managedFields: [{manager: 'kubectl'}], name, namespace: 'default', resourceVersion},
})

/** A loopback API server: the list answers `items`, the watch sends `events` and then holds the stream open. */
async function serving(items: KubeObject[], events: Array<{type: string; object: KubeObject}>): Promise<KubeClient> {
  server = createServer((request, response) => {
    response.writeHead(200, {'Content-Type': 'application/json'})
    if (!request.url?.includes('watch=true')) {
      response.end(JSON.stringify({items, metadata: {resourceVersion: '1'}}))
      return
    }

    for (const event of events) response.write(`${JSON.stringify(event)}\n`)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return clientForServer({displayName: 'test', insecure: true, server: `http://127.0.0.1:${port}`}, 'test')
}

describe('an informer', () => {
  it('keeps its index by key through adds, moves and deletes, and drops the field managers', async () => {
    const client = await serving(
      [configMap('a', 'one', '1'), configMap('b', 'one', '1'), configMap('c', 'two', '1')],
      [
        {object: configMap('b', 'two', '2'), type: 'MODIFIED'},
        {object: configMap('a', 'one', '3'), type: 'DELETED'},
        {object: configMap('d', 'three', '4'), type: 'ADDED'},
      ],
    )
    const informer = new Informer<KubeObject>(client, Resources.ConfigMap, {namespace: 'default'}, (object) => object.metadata.labels?.service)
    const names = (key: string) => informer.indexed(key).map((object) => object.metadata.name).sort()
    informer.start()
    await informer.synced
    await expect.poll(() => informer.get('default/d') !== undefined, {timeout: 2000}).toBe(true)

    expect(names('one')).toEqual([])
    expect(names('two')).toEqual(['b', 'c'])
    expect(names('three')).toEqual(['d'])
    expect(informer.get('default/b')?.metadata.managedFields).toBeUndefined()
    expect(informer.current).toBe(true)
    informer.stop()
    client.close()
  })
})
