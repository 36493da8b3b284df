/**
 * Agent logging: one JSON object per line on stderr, level from LOG_LEVEL, child loggers that bind
 * fields such as {controller, key}. Secrets never go through here: callers log names, not values.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const RANK: Record<LogLevel, number> = {debug: 10, error: 40, info: 20, warn: 30}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

export function parseLogLevel(value: string | undefined): LogLevel {
  const level = (value ?? 'info').toLowerCase()
  return level in RANK ? (level as LogLevel) : 'info'
}

export function createLogger(
  bound: Record<string, unknown>,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const emit = (entryLevel: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[entryLevel] < RANK[level]) return
    const entry = {time: new Date().toISOString(), level: entryLevel, msg: message, ...bound, ...fields}
    write(JSON.stringify(entry, errorReplacer) + '\n')
  }

  return {
    child: (fields) => createLogger({...bound, ...fields}, level, write),
    debug: (message, fields) => emit('debug', message, fields),
    error: (message, fields) => emit('error', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return {code: (value as {code?: unknown}).code, message: value.message, name: value.name}
  return value
}

/** A logger that drops everything, for tests and library defaults. */
export const nullLogger: Logger = {
  child: () => nullLogger,
  debug() {},
  error() {},
  info() {},
  warn() {},
}
