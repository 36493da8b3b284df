/** JSON with object keys sorted and undefined dropped: the API server returns CR maps sorted, whatever order they were written in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry && typeof entry === 'object' && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry as Record<string, unknown>).filter(([, item]) => item !== undefined).sort(([a], [b]) => a.localeCompare(b)))
      : entry,
  )
}

/**
 * The one deep-equality of the project: same content as the API server would return it (map keys
 * in any order, undefined fields absent). Reconcilers use it to skip writes that change nothing.
 */
export function sameContent(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b)
}
