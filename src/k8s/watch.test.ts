import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import type {KubeClient} from './client.js'
import {clientForServer} from './clients.js'
import {Resources} from './resources.js'

let server: Server | undefined

afterEach(() => {
  server?.close()
  server = undefined
})

/** A client of a loopback server that answers every watch with these lines. */
async function clientStreaming(lines: string[]): Promise<KubeClient> {
  server = createServer((_request, response) => {
    response.writeHead(200, {'Content-Type': 'application/json'})
    for (const line of lines) response.write(`${line}\n`)
    response.end()
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return clientForServer({displayName: 'test', insecure: true, server: `http://127.0.0.1:${port}`}, 'test')
}

const added = (name: string) => JSON.stringify({object: {metadata: {name, namespace: 'default'}}, type: 'ADDED'})

describe('a watch stream', () => {
  it('delivers each event, then ends with the stream', async () => {
    const client = await clientStreaming([added('a'), '', added('b')])
    const names: string[] = []
    await client.watch(Resources.ConfigMap, {namespace: 'default'}, (event) => names.push(event.object.metadata.name as string))
    expect(names).toEqual(['a', 'b'])
    client.close()
  })

  it('ends with an error that names the watch when the server sends a line that is not JSON', async () => {
    const client = await clientStreaming([added('a'), '{"type": "ADDED", "object": {', added('b')])
    const names: string[] = []
    await expect(client.watch(Resources.ConfigMap, {namespace: 'default'}, (event) => names.push(event.object.metadata.name as string))).rejects.toThrow(
      /the watch of configmaps on test sent a line that is not JSON: \{"type": "ADDED"/,
    )
    expect(names).toEqual(['a'])
    client.close()
  })

  it('ends with an error when a line is JSON but no event', async () => {
    const client = await clientStreaming(['42', added('b')])
    await expect(client.watch(Resources.ConfigMap, {}, () => {})).rejects.toThrow(/sent an event that is not one: 42/)
    client.close()
  })

  it('passes an error of the handler to the caller instead of throwing it in the stream', async () => {
    const client = await clientStreaming([added('a'), added('b')])
    await expect(
      client.watch(Resources.ConfigMap, {}, () => {
        throw new Error('the handler broke')
      }),
    ).rejects.toThrow('the handler broke')
    client.close()
  })
})
