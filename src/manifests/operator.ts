/** The operator's namespace and Deployment (reference/subctl.md §3.4). */
import {OPERATOR_NAMESPACE} from '../api/submariner.js'
import type {KubeObject} from '../k8s/objects.js'
import {deployment} from './workloads.js'
import {imageFor, pullPolicyFor, type ImageSettings} from '../lib/images.js'
import {OPERATOR} from './rbac.js'

export interface ProxySettings {
  httpProxy?: string | undefined
  httpsProxy?: string | undefined
  noProxy?: string | undefined
}

/** HTTP_PROXY / HTTPS_PROXY / NO_PROXY env entries for the non-empty settings. */
export function proxyEnv(proxy: ProxySettings): Array<{name: string; value: string}> {
  return [
    ['HTTP_PROXY', proxy.httpProxy],
    ['HTTPS_PROXY', proxy.httpsProxy],
    ['NO_PROXY', proxy.noProxy],
  ].flatMap(([name, value]) => (value ? [{name: name as string, value}] : []))
}

export function operatorNamespace(namespace = OPERATOR_NAMESPACE): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {labels: {'pod-security.kubernetes.io/enforce': 'privileged'}, name: namespace},
  }
}

export interface OperatorOptions {
  images: ImageSettings
  debug?: boolean
  proxy?: ProxySettings
  namespace?: string
}

export const OPERATOR_METRICS_PORT = 8080

export function operatorDeployment(options: OperatorOptions): KubeObject {
  const namespace = options.namespace ?? OPERATOR_NAMESPACE
  const image = imageFor('submariner-operator', options.images)
  const labels = {name: OPERATOR}
  return deployment(OPERATOR, namespace, {
    labels,
    podSpec: {
      containers: [
        {
          args: ['operator', `--log-level=${options.debug ? 'debug' : 'info'}`, `--metrics-port=${OPERATOR_METRICS_PORT}`],
          env: [
            {name: 'WATCH_NAMESPACE', valueFrom: {fieldRef: {fieldPath: 'metadata.namespace'}}},
            {name: 'POD_NAME', valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}},
            {name: 'OPERATOR_NAME', value: OPERATOR},
            ...proxyEnv(options.proxy ?? {}),
          ],
          image,
          imagePullPolicy: pullPolicyFor(image),
          name: OPERATOR,
          ports: [{containerPort: OPERATOR_METRICS_PORT, name: 'metrics'}],
          readinessProbe: {httpGet: {path: '/readyz', port: OPERATOR_METRICS_PORT}, periodSeconds: 2},
          securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 1000},
        },
      ],
      serviceAccountName: OPERATOR,
    },
    replicas: 1,
    selector: labels,
  })
}
