// A steady stream of TCP requests, for bench/failover: every INTERVAL ms a new request (connect,
// send a line, read the echo) starts, whatever the earlier ones are doing; each one that succeeds
// within TIMEOUT ms prints "ok <start ms> <end ms>" (epoch milliseconds). Run inside a pod's
// network namespace; stops when its stdin closes.
//   node bench/requester.mjs HOST:PORT [INTERVAL_MS] [TIMEOUT_MS]
import {connect} from 'node:net'

const [target = '', intervalArg = '20', timeoutArg = '400'] = process.argv.slice(2)
const [host, port] = target.split(':')
const interval = Number(intervalArg)
const timeout = Number(timeoutArg)

function request() {
  const started = Date.now()
  const socket = connect({host, port: Number(port)})
  const timer = setTimeout(() => socket.destroy(), timeout)
  socket.on('connect', () => socket.write('ping\n'))
  socket.on('data', () => {
    clearTimeout(timer)
    process.stdout.write(`ok ${started} ${Date.now()}\n`)
    socket.destroy()
  })
  socket.on('error', () => {})
}

const loop = setInterval(request, interval)
process.stdin.on('close', () => {
  clearInterval(loop)
  setTimeout(() => process.exit(0), timeout)
})
process.stdin.resume()
