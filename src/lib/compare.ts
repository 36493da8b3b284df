/**
 * Orders strings by UTF-16 code unit, as `<` does. What the CLI sorts on its way to a command's
 * first request uses this rather than localeCompare: the first localeCompare of a process builds
 * ICU's collator, about 13 ms of start-up (bench/startup). The names sorted so (command ids, flag
 * names, Kubernetes object names) are lowercase ASCII, which both orders sort alike except where a
 * punctuation mark meets a digit.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
