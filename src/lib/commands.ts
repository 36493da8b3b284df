/**
 * What to say about a command that does not exist: upstream's commands that this version does not
 * provide yet say so, and a typo gets the nearest command.
 */
import {compareText} from './compare.js'

/** Upstream subctl's commands (reference/subctl.md) that this version does not have, and why. */
const NOT_YET: Record<string, string> = {
  cloud: 'preparing cloud infrastructure (AWS, GCP, Azure, OpenStack, RHOS) needs cloud APIs this version does not talk to',
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_unused, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }

    previous = current
  }

  return previous[b.length] as number
}

export function unknownCommandMessage(typed: string, known: string[], bin: string): string {
  const [first = typed, ...rest] = typed.split(' ')
  const missing = NOT_YET[first]
  if (missing) return `"${bin} ${first}" is an upstream command that this version does not provide: ${missing}`
  // The nearest first word (a command or a topic such as "show"), then the whole command if it exists.
  const words = [...new Set(known.map((command) => command.split(' ')[0] as string))]
  const limit = first.length <= 3 ? 1 : 2
  const word = words
    .map((candidate) => ({candidate, score: distance(first, candidate)}))
    .filter((entry) => entry.score > 0 && entry.score <= limit)
    .sort((a, b) => a.score - b.score || compareText(a.candidate, b.candidate))[0]?.candidate
  const corrected = word && rest.length > 0 && known.includes([word, ...rest].join(' ')) ? [word, ...rest].join(' ') : word
  const suggestion = corrected ? `Did you mean "${bin} ${corrected}"? ` : ''
  return `Unknown command "${typed}". ${suggestion}Run "${bin} --help" to list the commands`
}
