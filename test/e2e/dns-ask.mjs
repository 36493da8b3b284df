// For the answer-equality test: asks a DNS server on 127.0.0.1:PORT every query of QUERIES_FILE
// (JSON: [[name, type], ...]) over UDP with EDNS0, one at a time, and prints one JSON line per
// query: its rcode, the AA and TC flags, and the answer and authority sections as sorted lines
// "name ttl type data". Run inside the network namespace of the servers.
//   node test/e2e/dns-ask.mjs PORT QUERIES_FILE
import {createSocket} from 'node:dgram'
import {readFileSync} from 'node:fs'

import dnsPacket from 'dns-packet'

const [port = '53', queriesFile = ''] = process.argv.slice(2)
const queries = JSON.parse(readFileSync(queriesFile, 'utf8'))
const socket = createSocket('udp4')
const record = (entry) => `${entry.name} ${entry.ttl} ${entry.type} ${typeof entry.data === 'object' ? JSON.stringify(entry.data, (key, value) => (Buffer.isBuffer(value) || value?.type === 'Buffer' ? Buffer.from(value).toString() : value)) : entry.data}`

function ask(name, type, id) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage)
      resolve({rcode: 'TIMEOUT'})
    }, 2000)
    const onMessage = (bytes) => {
      const reply = dnsPacket.decode(bytes)
      if (reply.id !== id) return
      clearTimeout(timer)
      socket.off('message', onMessage)
      resolve({
        aa: reply.flag_aa,
        answers: (reply.answers ?? []).map(record).sort(),
        authorities: (reply.authorities ?? []).map(record).sort(),
        rcode: reply.rcode,
        tc: reply.flag_tc,
      })
    }
    socket.on('message', onMessage)
    socket.send(dnsPacket.encode({additionals: [{name: '.', type: 'OPT', udpPayloadSize: 4096}], flags: dnsPacket.RECURSION_DESIRED, id, questions: [{class: 'IN', name, type}], type: 'query'}), Number(port), '127.0.0.1')
  })
}

let id = 1
for (const [name, type] of queries) process.stdout.write(JSON.stringify({name, type, ...(await ask(name, type, id++))}) + '\n')
socket.close()
