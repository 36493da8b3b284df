/** The skeletons every Deployment and DaemonSet subctl renders share: labels, selector, template. */
import type {KubeObject} from '../k8s/objects.js'

/** A Deployment whose pods carry `labels` and are selected by `selector` (a subset of them). */
export function deployment(name: string, namespace: string, options: {labels: Record<string, string>; selector: Record<string, string>; replicas: number; podSpec: Record<string, unknown>}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {labels: options.labels, name, namespace},
    spec: {
      replicas: options.replicas,
      selector: {matchLabels: options.selector},
      template: {metadata: {labels: options.labels}, spec: options.podSpec},
    },
  }
}

/** A DaemonSet labelled app=NAME (and component=NAME without its submariner- prefix), rolled out `maxUnavailable` nodes at a time. */
export function daemonSet(name: string, namespace: string, podSpec: Record<string, unknown>, maxUnavailable: string | number): KubeObject {
  const labels = {app: name, component: name.replace(/^submariner-/, '')}
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {labels, name, namespace},
    spec: {
      revisionHistoryLimit: 5,
      selector: {matchLabels: {app: name}},
      template: {metadata: {labels}, spec: podSpec},
      updateStrategy: {rollingUpdate: {maxUnavailable}, type: 'RollingUpdate'},
    },
  }
}
