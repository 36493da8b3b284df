// For bench/propagation: asks SERVER for NAME (type A) over UDP every INTERVAL ms until an answer
// with a record arrives, then prints "answered <epoch ms>" and exits. Prints "polling" once its
// socket is up, so the caller starts its clock after that. Run inside a node's network namespace.
//   node bench/dns-poller.mjs SERVER NAME [INTERVAL_MS]
import {createSocket} from 'node:dgram'

import dnsPacket from 'dns-packet'

const [server = '', name = '', intervalArg = '5'] = process.argv.slice(2)
const socket = createSocket('udp4')
let id = 1
socket.on('message', (message) => {
  const reply = dnsPacket.decode(message)
  if (reply.rcode === 'NOERROR' && (reply.answers ?? []).some((answer) => answer.type === 'A')) {
    process.stdout.write(`answered ${Date.now()}\n`)
    process.exit(0)
  }
})
socket.bind(0, () => {
  process.stdout.write('polling\n')
  setInterval(() => {
    id = (id + 1) % 65_536
    socket.send(dnsPacket.encode({id, questions: [{name, type: 'A'}], type: 'query'}), 53, server)
  }, Number(intervalArg))
})
