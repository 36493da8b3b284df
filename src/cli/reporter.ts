/**
 * Renders the services' Reporter: listr2 with a spinner on a terminal, plain glyph lines otherwise,
 * nothing under `-o json`. Progress goes to stderr; detail lines are data and go to stdout.
 */
import {summarize, silentReporter, type Outcome, type ReportedMessage, type Reporter, type StepReporter} from '../lib/reporter.js'

const GLYPHS: Record<Outcome, string> = {failure: '✗', success: '✓', warning: '⚠'}
const COLOURED_GLYPHS: Record<Outcome, string> = {
  failure: '\u001B[31m✗\u001B[0m',
  success: '\u001B[32m✓\u001B[0m',
  warning: '\u001B[33m⚠\u001B[0m',
}

interface Streams {
  out: NodeJS.WritableStream
  err: NodeJS.WritableStream
}

/** Lines as upstream subctl prints them when stderr is not a terminal: ` • step  ...`, then ` ✓ step`. */
export class PlainReporter implements Reporter {
  readonly #streams: Streams
  readonly #glyphs: Record<Outcome, string>

  constructor(streams: Streams = {err: process.stderr, out: process.stdout}, colour = false) {
    this.#streams = streams
    this.#glyphs = colour ? COLOURED_GLYPHS : GLYPHS
  }

  detail(message: string): void {
    this.#streams.out.write(message + '\n')
  }

  failure(message: string): void {
    this.#line('failure', message)
  }

  async step<T>(title: string, work: (step: StepReporter) => Promise<T>): Promise<T> {
    this.#streams.err.write(` • ${title}  ...\n`)
    const messages: ReportedMessage[] = []
    const step = queueingStep(messages, (message) => this.detail(message))
    try {
      const result = await work(step)
      this.#finish(title, summarize(messages, false), messages)
      return result
    } catch (error) {
      this.#finish(title, 'failure', messages)
      throw error
    }
  }

  success(message: string): void {
    this.#line('success', message)
  }

  warning(message: string): void {
    this.#line('warning', message)
  }

  #finish(title: string, outcome: Outcome, messages: ReportedMessage[]): void {
    this.#line(outcome, title)
    for (const entry of messages) if (entry.outcome !== 'detail') this.#line(entry.outcome, entry.message)
  }

  #line(outcome: Outcome, message: string): void {
    this.#streams.err.write(` ${this.#glyphs[outcome]} ${message}\n`)
  }
}

/** A spinner per step with listr2, on stderr; the step's messages are printed once it ends. */
export class ListrReporter implements Reporter {
  readonly #plain = new PlainReporter({err: process.stderr, out: process.stdout}, true)

  detail(message: string): void {
    this.#plain.detail(message)
  }

  failure(message: string): void {
    this.#plain.failure(message)
  }

  async step<T>(title: string, work: (step: StepReporter) => Promise<T>): Promise<T> {
    // listr2 is loaded only when a step runs, so that `--help` and `version` stay fast.
    const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
    const messages: ReportedMessage[] = []
    const details: string[] = []
    let result: T | undefined
    const list = new Listr(
      [
        {
          async task(_context, task) {
            const step = queueingStep(messages, (message) => details.push(message), (message) => {
              task.output = message
            })
            result = await work(step)
            if (summarize(messages, false) === 'failure') {
              throw new Error(messages.find((entry) => entry.outcome === 'failure')?.message ?? title)
            }
          },
          title,
        },
      ],
      {
        exitOnError: true,
        registerSignalListeners: false,
        rendererOptions: {
          collapseErrors: true,
          logger: new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)}),
          showErrorMessage: false,
        },
      },
    )
    try {
      await list.run()
    } finally {
      for (const entry of messages) if (entry.outcome !== 'detail') this.#plain[entry.outcome](entry.message)
      for (const line of details) this.#plain.detail(line)
    }

    return result as T
  }

  success(message: string): void {
    this.#plain.success(message)
  }

  warning(message: string): void {
    this.#plain.warning(message)
  }
}

function queueingStep(
  messages: ReportedMessage[],
  onDetail: (message: string) => void,
  onMessage: (message: string) => void = () => {},
): StepReporter {
  const queue = (outcome: Outcome) => (message: string) => {
    messages.push({message, outcome})
    onMessage(message)
  }

  return {
    detail: onDetail,
    failure: queue('failure'),
    success: queue('success'),
    warning: queue('warning'),
  }
}

export interface ReporterChoice {
  /** Under `-o json|yaml` the only output is the document. */
  quiet: boolean
  /** @default whether stderr is a terminal and TERM is not "dumb" */
  interactive?: boolean
}

/** Whether progress is drawn (listr2) rather than written as lines: stderr is a terminal, not a dumb one, outside CI. */
export function drawsProgress(): boolean {
  return process.stderr.isTTY === true && process.env.TERM !== 'dumb' && !process.env.CI
}

/** Picks the renderer for this run. */
export function createReporter(choice: ReporterChoice): Reporter {
  if (choice.quiet) return silentReporter
  return (choice.interactive ?? drawsProgress()) ? new ListrReporter() : new PlainReporter()
}
