/**
 * A container's environment as the kubelet builds it: the service links of the API server, PATH
 * from the image, envFrom ConfigMaps and Secrets, then env with $(VAR) expansion and the downward
 * API.
 */
import type {KubeClient} from '../../../src/k8s/client.js'
import {addressInCidr, LAB_MARKER, STATE_DIR} from '../config.js'
import type {Container, Pod, RuntimeConfig} from './types.js'
import {fieldValue, readKeyed} from './volumes.js'

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface EnvironmentContext {
  client: KubeClient
  config: RuntimeConfig
  pod: Pod
  hostname: string
  /** The pod's IP, for status.podIP. */
  ip: string
  /** The image's own PATH entries, first. */
  imagePath: string[]
}

/** Kubernetes' $(VAR) expansion in command, args and env values; $$ escapes. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$'
    return name !== undefined && name in env ? (env[name] as string) : match
  })
}

export async function containerEnvironment(container: Container, context: EnvironmentContext): Promise<Record<string, string>> {
  const {client, config, pod} = context
  const namespace = pod.metadata.namespace as string
  const apiHost = addressInCidr(config.serviceCIDR, 1)
  const env: Record<string, string> = {
    HOME: '/root',
    [LAB_MARKER]: STATE_DIR,
    HOSTNAME: context.hostname,
    KUBERNETES_PORT: `tcp://${apiHost}:443`,
    KUBERNETES_PORT_443_TCP: `tcp://${apiHost}:443`,
    KUBERNETES_PORT_443_TCP_ADDR: apiHost,
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_SERVICE_HOST: apiHost,
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    PATH: [...context.imagePath, DEFAULT_PATH].join(':'),
  }
  for (const source of container.envFrom ?? []) {
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret'
    const reference = source.configMapRef ?? source.secretRef
    if (!reference) continue
    const values = await readKeyed(client, kind, namespace, reference.name)
    if (!values && !reference.optional) throw new Error(`${kind.toLowerCase()} "${reference.name}" not found`)
    for (const [key, value] of values ?? []) env[`${source.prefix ?? ''}${key}`] = value
  }

  for (const variable of container.env ?? []) {
    const from = variable.valueFrom
    if (!from) {
      env[variable.name] = expand(variable.value ?? '', env)
      continue
    }

    if (from.fieldRef) env[variable.name] = fieldValue(pod, from.fieldRef.fieldPath, config.nodeIP, context.ip)
    else if (from.resourceFieldRef) env[variable.name] = '0'
    else {
      const reference = from.configMapKeyRef ?? from.secretKeyRef
      const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret'
      const values = reference ? await readKeyed(client, kind, namespace, reference.name) : undefined
      const value = reference ? values?.get(reference.key) : undefined
      if (value === undefined && !reference?.optional) {
        throw new Error(`couldn't find key ${reference?.key} in ${kind} ${namespace}/${reference?.name}`)
      }

      if (value !== undefined) env[variable.name] = value
    }
  }

  return env
}
