/**
 * Network discovery (reference/subctl.md §4.3): which CNI a cluster runs and its pod and service
 * CIDRs, decided from a snapshot of the cluster's objects so that the rules are pure and tested.
 * Plugins are tried in upstream's order; the generic method fills in whatever is still missing.
 * Beyond upstream, the generic method also reads kubeadm's ClusterConfiguration and kube-proxy
 * ConfigMaps and the ServiceCIDR API, which clusters without static control-plane pods still have.
 */

export interface PodFacts {
  namespace: string
  labels: Record<string, string>
  containers: Array<{command?: string[]; args?: string[]; env?: Array<{name: string; value?: string}>}>
}

export interface DaemonSetFacts {
  name: string
  namespace: string
  labels: Record<string, string>
  /** ConfigMap names of the pod template's volumes, keyed by volume name. */
  configMapVolumes: Record<string, string>
}

export interface ClusterFacts {
  openshift?: {clusterNetwork: string[]; serviceNetwork: string[]; networkType: string}
  pods: PodFacts[]
  daemonSets: DaemonSetFacts[]
  /** ConfigMaps by "namespace/name", data only. */
  configMaps: Record<string, Record<string, string>>
  nodePodCIDRs: string[]
  /** spec.cidrs of the ServiceCIDR named "kubernetes", when the API serves it. */
  serviceCIDRObject?: string[]
}

export interface NetworkDetails {
  networkPlugin: string
  podCIDRs: string[]
  serviceCIDRs: string[]
}

/** `--flag=value` from a container's command and args; `sh -c "..."` values are split on spaces. */
export function argumentValue(pod: PodFacts, flag: string): string | undefined {
  for (const container of pod.containers) {
    const words = [...(container.command ?? []), ...(container.args ?? [])].flatMap((word) => word.split(/\s+/))
    const match = words.find((word) => word.startsWith(`${flag}=`))
    if (match) return match.slice(flag.length + 1)
  }

  return undefined
}

function envValue(pod: PodFacts, name: string): string | undefined {
  for (const container of pod.containers) {
    const entry = container.env?.find((variable) => variable.name === name)
    if (entry?.value) return entry.value
  }

  return undefined
}

const list = (value: string | undefined): string[] => (value ? value.split(',').map((part) => part.trim()).filter(Boolean) : [])

function podsLabelled(facts: ClusterFacts, key: string, value: string): PodFacts[] {
  return facts.pods.filter((pod) => pod.labels[key] === value)
}

/** The flannel network of a DaemonSet's flannel ConfigMap volume (net-conf.json .Network). */
function flannelNetwork(facts: ClusterFacts, daemonSet: DaemonSetFacts): string | undefined {
  for (const [volume, configMap] of Object.entries(daemonSet.configMapVolumes)) {
    if (!volume.includes('flannel')) continue
    const netConf = facts.configMaps[`${daemonSet.namespace}/${configMap}`]?.['net-conf.json']
    if (!netConf) continue
    try {
      return (JSON.parse(netConf) as {Network?: string}).Network
    } catch {
      return undefined
    }
  }

  return undefined
}

/** kubeadm's ClusterConfiguration networking (podSubnet, serviceSubnet), YAML read line by line. */
function kubeadmNetworking(facts: ClusterFacts): {podSubnet?: string; serviceSubnet?: string} {
  const config = facts.configMaps['kube-system/kubeadm-config']?.ClusterConfiguration ?? ''
  const read = (key: string) => new RegExp(`^\\s*${key}:\\s*"?([^"\\s]+)"?`, 'm').exec(config)?.[1]
  return {podSubnet: read('podSubnet'), serviceSubnet: read('serviceSubnet')}
}

function kubeProxyClusterCIDR(facts: ClusterFacts): string | undefined {
  const config = facts.configMaps['kube-system/kube-proxy']?.['config.conf'] ?? ''
  return /^\s*clusterCIDR:\s*"?([^"\s]+)"?/m.exec(config)?.[1]
}

function pluginDetails(facts: ClusterFacts): Partial<NetworkDetails> | undefined {
  if (facts.openshift) {
    const type = facts.openshift.networkType
    return {networkPlugin: type === 'Calico' ? 'calico' : type, podCIDRs: facts.openshift.clusterNetwork, serviceCIDRs: facts.openshift.serviceNetwork}
  }

  const ovn = podsLabelled(facts, 'app', 'ovnkube-node')[0]
  if (ovn) {
    const config = facts.configMaps[`${ovn.namespace}/ovn-config`] ?? {}
    return {networkPlugin: 'OVNKubernetes', podCIDRs: list(config.net_cidr).map((cidr) => cidr.split('/').slice(0, 2).join('/')), serviceCIDRs: list(config.svc_cidr)}
  }

  const weave = podsLabelled(facts, 'name', 'weave-net')[0]
  if (weave) return {networkPlugin: 'weave-net', podCIDRs: list(envValue(weave, 'IPALLOC_RANGE'))}

  const canal = facts.daemonSets.find((daemonSet) => daemonSet.namespace === 'kube-system' && daemonSet.labels['k8s-app'] === 'canal')
  if (canal) return {networkPlugin: 'canal-flannel', podCIDRs: list(flannelNetwork(facts, canal))}

  const calico =
    Object.keys(facts.configMaps).some((key) => key.endsWith('/calico-config')) || facts.daemonSets.some((daemonSet) => daemonSet.name === 'calico-node')
  if (calico) return {networkPlugin: 'calico'}

  const flannel = facts.daemonSets.find((daemonSet) => daemonSet.namespace === 'kube-system' && daemonSet.name.includes('flannel'))
  if (flannel) return {networkPlugin: 'flannel', podCIDRs: list(flannelNetwork(facts, flannel))}

  const kindnet = podsLabelled(facts, 'app', 'kindnet')[0]
  if (kindnet) return {networkPlugin: 'kindnet', podCIDRs: list(envValue(kindnet, 'POD_SUBNET'))}
  return undefined
}

function genericPodCIDRs(facts: ClusterFacts): string[] {
  for (const [key, value] of [
    ['component', 'kube-controller-manager'],
    ['component', 'kube-proxy'],
    ['k8s-app', 'kube-proxy'],
  ] as const) {
    for (const pod of podsLabelled(facts, key, value)) {
      const cidr = argumentValue(pod, '--cluster-cidr')
      if (cidr) return list(cidr)
    }
  }

  const fromConfig = kubeProxyClusterCIDR(facts) ?? kubeadmNetworking(facts).podSubnet
  if (fromConfig) return list(fromConfig)
  if (facts.nodePodCIDRs.length === 1) return facts.nodePodCIDRs
  return []
}

function genericServiceCIDRs(facts: ClusterFacts): string[] {
  for (const pod of podsLabelled(facts, 'component', 'kube-apiserver')) {
    const cidr = argumentValue(pod, '--service-cluster-ip-range')
    if (cidr) return list(cidr)
  }

  if (facts.serviceCIDRObject && facts.serviceCIDRObject.length > 0) return facts.serviceCIDRObject
  return list(kubeadmNetworking(facts).serviceSubnet)
}

/** What discovery finds; undefined when nothing at all. Service CIDRs may still need the API probe. */
export function discoverFromFacts(facts: ClusterFacts): NetworkDetails | undefined {
  const plugin = pluginDetails(facts)
  const details = {
    networkPlugin: plugin?.networkPlugin ?? 'generic',
    podCIDRs: plugin?.podCIDRs?.length ? plugin.podCIDRs : genericPodCIDRs(facts),
    serviceCIDRs: plugin?.serviceCIDRs?.length ? plugin.serviceCIDRs : genericServiceCIDRs(facts),
  }
  if (!plugin && details.podCIDRs.length === 0 && details.serviceCIDRs.length === 0) return undefined
  return details
}

/** The service range out of the API server's answer to a Service with an out-of-range clusterIP. */
export function serviceRangeFromError(message: string): string | undefined {
  return /The range of valid IPs is ([\d.]+\/\d+)/.exec(message)?.[1]
}
