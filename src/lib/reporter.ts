/**
 * How services tell the user what they are doing, after admiral's reporter (Start/Success/Warning/
 * Failure/End), reshaped as steps so that a step always ends. Services only see this interface; the
 * CLI renders it with listr2 on a terminal, as plain ✓/✗/⚠ lines otherwise, and not at all under
 * `-o json`. Progress goes to stderr; `detail` lines are data and go to stdout.
 */

/** What a step can say while it runs. */
export interface StepReporter {
  success(message: string): void
  warning(message: string): void
  failure(message: string): void
  /** A line of data (e.g. discovered network details), printed to stdout after the step line. */
  detail(message: string): void
}

export interface Reporter extends StepReporter {
  /**
   * Runs one step. The step line shows ✗ if the work throws or reported a failure, ⚠ if it reported a
   * warning, ✓ otherwise; the messages it reported follow. A thrown error is rethrown unchanged.
   */
  step<T>(title: string, work: (step: StepReporter) => Promise<T>): Promise<T>
}

export type Outcome = 'success' | 'warning' | 'failure'

export interface ReportedMessage {
  outcome: Outcome | 'detail'
  message: string
}

/** The glyph summarising a step: any failure wins, then any warning. */
export function summarize(messages: ReportedMessage[], failed: boolean): Outcome {
  if (failed || messages.some((entry) => entry.outcome === 'failure')) return 'failure'
  if (messages.some((entry) => entry.outcome === 'warning')) return 'warning'
  return 'success'
}

/** A reporter that says nothing: for `-o json` and for the agent. */
export const silentReporter: Reporter = {
  detail() {},
  failure() {},
  async step(_title, work) {
    return work(silentReporter)
  },
  success() {},
  warning() {},
}

export interface RecordedStep {
  title: string
  outcome: Outcome
  messages: ReportedMessage[]
}

/** Records what a service reported, for tests. */
export class RecordingReporter implements Reporter {
  readonly steps: RecordedStep[] = []
  readonly messages: ReportedMessage[] = []

  detail(message: string): void {
    this.messages.push({message, outcome: 'detail'})
  }

  failure(message: string): void {
    this.messages.push({message, outcome: 'failure'})
  }

  async step<T>(title: string, work: (step: StepReporter) => Promise<T>): Promise<T> {
    const messages: ReportedMessage[] = []
    const record = (outcome: ReportedMessage['outcome']) => (message: string) => {
      messages.push({message, outcome})
    }

    const step: StepReporter = {
      detail: record('detail'),
      failure: record('failure'),
      success: record('success'),
      warning: record('warning'),
    }
    try {
      const result = await work(step)
      this.steps.push({messages, outcome: summarize(messages, false), title})
      return result
    } catch (error) {
      this.steps.push({messages, outcome: 'failure', title})
      throw error
    }
  }

  success(message: string): void {
    this.messages.push({message, outcome: 'success'})
  }

  warning(message: string): void {
    this.messages.push({message, outcome: 'warning'})
  }

  /** Every step title and message, for assertions on what the user saw. */
  get lines(): string[] {
    return [
      ...this.steps.flatMap((step) => [step.title, ...step.messages.map((entry) => entry.message)]),
      ...this.messages.map((entry) => entry.message),
    ]
  }
}
