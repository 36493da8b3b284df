/**
 * The agent bundle's entry point (dist/agent.js, the agent image's entrypoint):
 *
 *   node agent.js ROLE [--metrics-port N] [--log-level L] [role arguments...]
 *
 * It dispatches on the role, logs JSON lines, serves /healthz, /readyz and /metrics, and turns the
 * first SIGTERM/SIGINT into an orderly stop (a second one exits at once). Only this file exits the
 * process.
 */
import {collectDefaultMetrics, Registry} from 'prom-client'

import {VERSION} from '../lib/version.js'
import {serveHealth, type HealthServer, type HealthState} from './runtime/health.js'
import {createLogger, parseLogLevel, type Logger} from './runtime/log.js'
import {isArgumentError, type RoleModule} from './runtime/role.js'

/** Roles load lazily: a pod pays only for the code of its own role. */
const ROLES: Record<string, () => Promise<RoleModule>> = {
  nettest: async () => (await import('./nettest/nettest.js')).nettestRole,
  operator: async () => (await import('./operator/operator.js')).operatorRole,
  pause: async () => (await import('./runtime/pause.js')).pauseRole,
  gateway: async () => (await import('./gateway/role.js')).gatewayRole,
  'route-agent': async () => (await import('./routeagent/route-agent.js')).routeAgentRole,
  'lighthouse-agent': async () => (await import('./lighthouse/lighthouse-agent.js')).lighthouseAgentRole,
  'lighthouse-dns': async () => (await import('./dns/lighthouse-dns.js')).lighthouseDnsRole,
  globalnet: async () => (await import('./globalnet/globalnet.js')).globalnetRole,
}

/** How long a role may take to stop after SIGTERM before the process exits anyway. */
const STOP_DEADLINE_MS = 10_000

interface CommonOptions {
  metricsPort: number | undefined
  logLevel: string | undefined
  rest: string[]
}

/** Takes the options every role shares off the front of the argument list, wherever they appear. */
function commonOptions(args: string[], env: NodeJS.ProcessEnv): CommonOptions {
  const rest: string[] = []
  let metricsPort = env.METRICS_PORT === undefined ? undefined : Number(env.METRICS_PORT)
  let logLevel = env.LOG_LEVEL
  for (let index = 0; index < args.length; index++) {
    const argument = args[index] ?? ''
    const [flag, inline] = argument.split(/=(.*)/s, 2) as [string, string | undefined]
    if (flag === '--metrics-port' || flag === '--log-level') {
      const value = inline ?? args[++index]
      if (flag === '--metrics-port') metricsPort = Number(value)
      else logLevel = value
      continue
    }

    rest.push(argument)
  }

  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65_535)) {
    throw new Error('--metrics-port must be a port number (0 serves none)')
  }

  return {logLevel, metricsPort, rest}
}

async function main(argv: string[]): Promise<number> {
  const [role, ...args] = argv
  if (role === '--version' || role === 'version') {
    process.stdout.write(`subctl-agent version: ${VERSION}\n`)
    return 0
  }

  const usage = `usage: agent ROLE [--metrics-port N] [--log-level L] [args...]; roles: ${Object.keys(ROLES).join(', ')}\n`
  if (role === '--help' || role === '-h' || role === 'help') {
    process.stdout.write(usage)
    return 0
  }

  const load = role === undefined ? undefined : ROLES[role]
  if (!load) {
    process.stderr.write(usage)
    return 2
  }

  let options: CommonOptions
  try {
    options = commonOptions(args, process.env)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    return 2
  }

  const log = createLogger({role}, parseLogLevel(options.logLevel))
  const module = await load()
  const registry = new Registry()
  collectDefaultMetrics({register: registry})
  const health: HealthState = {live: true, ready: false}
  const stop = new AbortController()
  installSignalHandlers(stop, log)

  let server: HealthServer | undefined
  const metricsPort = options.metricsPort ?? module.defaultMetricsPort
  if (metricsPort > 0) {
    try {
      server = await serveHealth(metricsPort, health, registry)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
      log.error(
        `port ${metricsPort} for /healthz and /metrics is taken on this node; an outgoing connection may hold it (its ephemeral range includes it): reserve it with sysctl net.ipv4.ip_local_reserved_ports, or pass --metrics-port`,
      )
      return 1
    }
  }


  log.info('starting', {metricsPort: server?.port, version: VERSION})
  // The role's promise is the process's lifetime: without this, a role that only awaits its
  // signal (pause, with no metrics server) would leave an empty event loop and exit at once.
  const keepAlive = setInterval(() => {}, 2 ** 30)
  try {
    const role = module.run(options.rest, {env: process.env, health, log, registry, signal: stop.signal})
    const code = await Promise.race([role, deadlineAfterStop(stop.signal)])
    log.info('stopped', {code})
    return code
  } catch (error) {
    if (isArgumentError(error)) {
      log.error((error as Error).message)
      return 2
    }

    log.error('failed', {error})
    return 1
  } finally {
    clearInterval(keepAlive)
    await server?.close()
  }
}

function installSignalHandlers(stop: AbortController, log: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      log.warn('second signal, exiting now', {signal})
      process.exit(1)
    }

    log.info('stopping', {signal})
    stop.abort()
  }

  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

function deadlineAfterStop(signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => setTimeout(() => resolve(0), STOP_DEADLINE_MS).unref(), {once: true})
  })
}

process.on('uncaughtException', (error) => {
  process.stderr.write(JSON.stringify({level: 'error', msg: 'uncaught exception', error: error.message, stack: error.stack}) + '\n')
  process.exit(1)
})

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(JSON.stringify({level: 'error', msg: 'agent failed', error: String(error)}) + '\n')
    process.exit(1)
  },
)
