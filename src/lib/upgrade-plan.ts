/**
 * `subctl upgrade` as pure decisions (reference/subctl.md §12.1): which version to move to, what
 * each cluster is running against it (the version-skew report), and what upgrading a cluster means.
 * The CLI itself is npm's to update: a target newer than this subctl is refused with the npm command.
 */
import {usageError} from './errors.js'

/** What one context holds, as read before anything is changed. */
export interface ClusterState {
  cluster: string
  /** The Broker CR in submariner-k8s-broker (upstream looks only there). */
  broker: boolean
  operator: boolean
  submariner?: {version?: string | undefined}
  serviceDiscovery?: {version?: string | undefined}
  /** Each deployed component and the image tag it is configured with. */
  components: Array<{component: string; version: string}>
}

export type ClusterRole = 'broker' | 'member' | 'broker+member' | 'none'

export interface SkewRow {
  component: string
  version: string
  target: string
  upToDate: boolean
}

export interface ClusterSkew {
  cluster: string
  role: ClusterRole
  components: SkewRow[]
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/

/** Semver order of two versions (a leading v allowed); undefined when either is not a version (devel, latest). */
export function compareVersions(a: string, b: string): number | undefined {
  const left = SEMVER.exec(a)
  const right = SEMVER.exec(b)
  if (!left || !right) return undefined
  for (let index = 1; index <= 3; index++) {
    const difference = Number(left[index]) - Number(right[index])
    if (difference !== 0) return Math.sign(difference)
  }

  // A pre-release is older than its release; two pre-releases compare as text.
  if (left[4] === right[4]) return 0
  if (left[4] === undefined) return 1
  if (right[4] === undefined) return -1
  return (left[4] as string) < (right[4] as string) ? -1 : 1
}

/** The npm command that installs another subctl, for the message that says self-update is npm's job. */
export function selfUpdateCommand(packageName: string, version = 'latest'): string {
  return `npm install -g ${packageName}@${version.replace(/^v/, '')}`
}

/**
 * The version to upgrade to: --to-version, else this subctl's. This subctl carries the CRDs and
 * the operator of its own version, so it cannot install a newer one; it says how to get that one.
 */
export function targetVersion(toVersion: string | undefined, cliVersion: string, packageName: string): string {
  if (toVersion === undefined) return cliVersion
  const target = toVersion.trim()
  if (target === '' || !/^[\w.+-]+$/.test(target)) {
    throw usageError('UPGRADE_VERSION_INVALID', `--to-version "${toVersion}" is not a version`, 'Pass a release such as 0.19.0, or leave --to-version out to upgrade to this subctl’s version')
  }

  const order = compareVersions(target, cliVersion)
  if (order !== undefined && order > 0) {
    throw usageError(
      'UPGRADE_NEEDS_NEWER_SUBCTL',
      `subctl ${cliVersion} cannot upgrade Submariner to ${target}: it carries the CRDs and operator of ${cliVersion}`,
      `Update subctl first with "${selfUpdateCommand(packageName, target)}", then run "subctl upgrade" again`,
    )
  }

  return target.replace(/^v/, '')
}

export function roleOf(state: ClusterState): ClusterRole {
  const member = state.submariner !== undefined || state.serviceDiscovery !== undefined
  if (state.broker) return member ? 'broker+member' : 'broker'
  return member ? 'member' : 'none'
}

/** Each cluster's components against the target version: the version-skew report. */
export function skewReport(states: ClusterState[], target: string): ClusterSkew[] {
  return states.map((state) => ({
    cluster: state.cluster,
    components: state.components.map(({component, version}) => ({component, target, upToDate: version.replace(/^v/, '') === target, version})),
    role: roleOf(state),
  }))
}

/** Whether a cluster has anything this command upgrades. */
export function needsUpgrade(state: ClusterState): boolean {
  return state.broker || state.operator || state.submariner !== undefined || state.serviceDiscovery !== undefined
}

/** One line of the skew table; a cluster without components (or that could not be read) gets one too. */
export interface SkewLine {
  cluster: string
  role: string
  component: string
  version: string
  target: string
  state: string
}

export type SkewEntry = ClusterSkew | {cluster: string; error: unknown}

export function skewLines(skew: SkewEntry[], target: string, messageOf: (error: unknown) => string): SkewLine[] {
  return skew.flatMap((entry): SkewLine[] => {
    if ('error' in entry) return [{cluster: entry.cluster, component: '', role: '', state: messageOf(entry.error), target, version: ''}]
    if (entry.components.length === 0) {
      return [{cluster: entry.cluster, component: '', role: entry.role, state: entry.role === 'none' ? 'nothing to upgrade' : 'no components', target, version: ''}]
    }

    return entry.components.map((row) => ({cluster: entry.cluster, component: row.component, role: entry.role, state: row.upToDate ? 'up to date' : 'behind', target, version: row.version}))
  })
}

/** The clusters of the UpgradeReport document: the skew as read before, what was applied, whether it worked. */
export function reportClusters<E>(
  skew: SkewEntry[],
  upgrades: Array<{cluster: string; applied: Array<{kind: string; name: string; namespace?: string}>; error?: unknown}>,
  dryRun: boolean,
  errorOf: (error: unknown) => E,
): Array<{cluster: string; error: E} | (ClusterSkew & {applied: Array<{kind: string; name: string; namespace?: string}>; upgraded: boolean; error?: E})> {
  return skew.map((entry) => {
    if ('error' in entry) return {cluster: entry.cluster, error: errorOf(entry.error)}
    const done = upgrades.find((candidate) => candidate.cluster === entry.cluster)
    return {
      ...entry,
      applied: done?.applied ?? [],
      upgraded: done !== undefined && done.error === undefined && !dryRun,
      ...(done?.error === undefined ? {} : {error: errorOf(done.error)}),
    }
  })
}
