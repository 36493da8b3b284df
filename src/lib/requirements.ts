/** Kubernetes version requirements (reference/subctl.md §14). */

export interface ServerVersion {
  major: string
  minor: string
}

/** Upstream's minimums: connectivity needs 1.19, service discovery 1.21 (EndpointSlices). */
export function kubernetesRequirements(version: ServerVersion, needs: {connectivity: boolean; serviceDiscovery: boolean}): string[] {
  const major = Number(version.major)
  const minor = Number(String(version.minor).replace(/\+$/, ''))
  const below = (wantMinor: number) => major < 1 || (major === 1 && minor < wantMinor)
  const running = `${version.major}.${version.minor}`
  const problems: string[] = []
  if (needs.connectivity && below(19)) problems.push(`Submariner connectivity requires Kubernetes 1.19; your cluster is running ${running}`)
  if (needs.serviceDiscovery && below(21)) problems.push(`Submariner service discovery requires Kubernetes 1.21; your cluster is running ${running}`)
  return problems
}
