/**
 * The nettest role: the workload of the lab, `verify`, `diagnose` and `benchmark`.
 *
 *   nettest serve [--tcp-port N] [--udp-port N] [--http-port N]
 *       TCP and UDP echo, and an HTTP endpoint that answers who it is (pod, node, cluster).
 *   nettest connect --target HOST:PORT [--protocol tcp|udp|http] [--count N] [--interval-ms N]
 *                   [--timeout-ms N] [--payload-bytes N] [--min-success N] [--open-only]
 *       Dials the target COUNT times (TCP: an echo of the payload, or with --open-only the handshake); prints the result as one JSON line, writes a one-line summary
 *       as the termination message, and exits 0 when at least MIN-SUCCESS attempts succeeded.
 *   nettest resolve --name NAME [--type A|SRV] [--expect any|none|IP,IP...] [--within-ms N] [--samples N] [--server IP[:PORT]]
 *       Looks NAME up (SAMPLES times, the answers joined) through the pod's resolver (or SERVER) until the
 *       answer is what --expect says or time runs out; prints the last answer as one JSON line and exits 0 when it matched.
 *   nettest latency --target HOST:PORT [--duration-ms N] [--timeout-ms N]
 *       One-byte request/response transactions on one TCP connection to an echo server (what
 *       netperf's TCP_RR measures); prints min/mean/max/stddev latency and the transaction rate.
 */
import {ArgumentError, type RoleModule} from '../runtime/role.js'

const MODES = {
  connect: async () => (await import('./connect.js')).connectMode,
  latency: async () => (await import('./latency.js')).latencyMode,
  resolve: async () => (await import('./resolve.js')).resolveMode,
  serve: async () => (await import('./serve.js')).serve,
}

export const nettestRole: RoleModule = {
  defaultMetricsPort: 0,
  async run(args, context) {
    const [mode, ...rest] = args
    const load = MODES[mode as keyof typeof MODES]
    if (!load) throw new ArgumentError(`nettest needs a mode, one of ${Object.keys(MODES).join(', ')}, got "${mode ?? ''}"`)
    return (await load())(rest, context)
  },
}
