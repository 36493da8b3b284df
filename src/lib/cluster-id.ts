/**
 * Cluster IDs (reference/subctl.md §4.2): a Kubernetes DNS-1123 label; the default comes from the
 * kubeconfig cluster name, sanitised the way upstream does it.
 */

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** The problems with a cluster ID, in Kubernetes' validation wording; empty when it is valid. */
export function clusterIdProblems(id: string): string[] {
  const problems: string[] = []
  if (id.length > 63) problems.push('must be no more than 63 characters')
  if (!DNS1123_LABEL.test(id)) {
    problems.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    )
  }

  return problems
}

/** Upstream's error text for an invalid ID: `<id> is not a valid ClusterID [<problems>]`. */
export function clusterIdError(id: string): string | undefined {
  const problems = clusterIdProblems(id)
  return problems.length === 0 ? undefined : `${id} is not a valid ClusterID [${problems.join(', ')}]`
}

/**
 * Turns a kubeconfig cluster name into a cluster ID: lower-case, each run of characters outside
 * [a-z0-9-] becomes one '-', then a leading or trailing '-' becomes '0'. Length is not fixed.
 */
export function sanitizeClusterId(name: string): string {
  if (clusterIdProblems(name).length === 0) return name
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-/, '0')
    .replace(/-$/, '0')
}

/**
 * Kubernetes object names from arbitrary IDs (admiral's EnsureValidName): lower-case, any character
 * outside [a-z0-9.-] becomes '-', leading and trailing '-' trimmed.
 */
export function validObjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^-+|-+$/g, '')
}
