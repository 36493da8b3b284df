/**
 * Ctrl-C for commands that make things they must remove (verify, benchmark): the first SIGINT or
 * SIGTERM aborts the work, whose clean-up then runs; a second one leaves at once.
 */
export async function interruptible<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<{value: T; interrupted: boolean}> {
  const controller = new AbortController()
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130)
    process.stderr.write(`\nInterrupted: stopping ${what} and removing what it made (Ctrl-C again to leave at once)\n`)
    controller.abort()
  }

  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const value = await work(controller.signal)
    return {interrupted: controller.signal.aborted, value}
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
