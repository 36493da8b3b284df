// For bench/scale and bench/dns: asks SERVER (on PORT, 53 by default) for every name of NAMES_FILE (one per line, type A) over UDP, at
// most 100 in flight, asking again every 250 ms for each name still without an address, until
// all have one. Prints "polling" once its socket is up, "resolved <count> <epoch ms>" as the count
// grows (at most every 500 ms), and "all <epoch ms>" at the end. Run inside a node's network namespace.
//   node bench/dns-resolve-all.mjs SERVER NAMES_FILE [PORT]
import {createSocket} from 'node:dgram'
import {readFileSync} from 'node:fs'

import dnsPacket from 'dns-packet'

const [server = '', namesFile = '', port = '53'] = process.argv.slice(2)
const names = readFileSync(namesFile, 'utf8').split('\n').filter(Boolean)
const pending = new Map(names.map((name, index) => [index + 1, {name, askedAt: 0}]))
const IN_FLIGHT = 100
const RETRY_MS = 250
let reported = 0
let lastReport = 0
const socket = createSocket('udp4')

function report(force = false) {
  const resolved = names.length - pending.size
  if (resolved !== reported && (force || Date.now() - lastReport >= 500)) {
    reported = resolved
    lastReport = Date.now()
    process.stdout.write(`resolved ${resolved} ${lastReport}\n`)
  }

  if (pending.size === 0) {
    process.stdout.write(`all ${Date.now()}\n`)
    process.exit(0)
  }
}

socket.on('message', (message) => {
  const reply = dnsPacket.decode(message)
  if (reply.rcode === 'NOERROR' && (reply.answers ?? []).some((answer) => answer.type === 'A')) {
    pending.delete(reply.id)
    report(pending.size === 0)
  }
})

function ask() {
  const now = Date.now()
  let inFlight = 0
  for (const [id, entry] of pending) {
    if (now - entry.askedAt < RETRY_MS) {
      inFlight++
      continue
    }

    if (inFlight >= IN_FLIGHT) break
    entry.askedAt = now
    inFlight++
    socket.send(dnsPacket.encode({id, questions: [{name: entry.name, type: 'A'}], type: 'query'}), Number(port), server)
  }

  report()
}

socket.bind(0, () => {
  process.stdout.write('polling\n')
  setInterval(ask, 20)
})
