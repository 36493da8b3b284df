/**
 * Component images (reference/subctl.md §1.6): `<repository>/<image>:<version>` unless overridden.
 * The agent image is one image; it is published under each of upstream's image names, and the
 * container's first argument picks the role it runs.
 */
import {usageError} from './errors.js'
import {DEFAULT_IMAGE_VERSION, DEFAULT_REPOSITORY} from './version.js'

/** Override component name → image name and agent role. */
export const COMPONENTS = {
  'submariner-gateway': {image: 'submariner-gateway', role: 'gateway'},
  'submariner-globalnet': {image: 'submariner-globalnet', role: 'globalnet'},
  'submariner-lighthouse-agent': {image: 'lighthouse-agent', role: 'lighthouse-agent'},
  'submariner-lighthouse-coredns': {image: 'lighthouse-coredns', role: 'lighthouse-dns'},
  'submariner-metrics-proxy': {image: 'nettest', role: 'nettest'},
  'submariner-nettest': {image: 'nettest', role: 'nettest'},
  'submariner-operator': {image: 'submariner-operator', role: 'operator'},
  'submariner-routeagent': {image: 'submariner-route-agent', role: 'route-agent'},
} as const

export type Component = keyof typeof COMPONENTS

export interface ImageSettings {
  repository?: string | undefined
  version?: string | undefined
  overrides?: Record<string, string> | undefined
}

/** The image of a component: the override, else `<repository>/<image>:<version>` (repository `local` means none). */
export function imageFor(component: Component, settings: ImageSettings): string {
  const override = settings.overrides?.[component]
  if (override) return override
  const repository = settings.repository || DEFAULT_REPOSITORY
  const version = settings.version || DEFAULT_IMAGE_VERSION
  const name = `${COMPONENTS[component].image}:${version}`
  return repository === 'local' ? name : `${repository.replace(/\/$/, '')}/${name}`
}

/** Always for moving tags (devel, local, release-*), IfNotPresent for releases. */
export function pullPolicyFor(image: string): 'Always' | 'IfNotPresent' {
  const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : 'latest'
  return ['devel', 'local', 'latest'].includes(tag) || tag.startsWith('release-') ? 'Always' : 'IfNotPresent'
}

/** Parses --image-override entries `component=image`, with upstream's error texts. */
export function parseImageOverrides(entries: string[]): Record<string, string> {
  const overrides: Record<string, string> = {}
  for (const entry of entries) {
    const [component, image, ...rest] = entry.split('=')
    if (!component || !image || rest.length > 0) {
      throw usageError('INVALID_IMAGE_OVERRIDE', `invalid override ${entry} provided. Please use \`a=b\` syntax`, 'Pass --image-override COMPONENT=IMAGE')
    }

    if (!(component in COMPONENTS)) {
      throw usageError(
        'INVALID_IMAGE_OVERRIDE',
        `invalid image override component "${component}" provided. Valid components are [${Object.keys(COMPONENTS).join(' ')}]`,
        'Use one of the listed component names',
      )
    }

    overrides[component] = image
  }

  return overrides
}
