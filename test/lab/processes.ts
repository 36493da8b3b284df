/**
 * The lab's processes for one cluster: kube-apiserver in the control-plane node's namespace, the
 * controller manager and scheduler, and on every node the node runtime (our kubelet) and
 * kube-proxy, each with its kubeconfig and a log file, recorded in the lab's state.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {apiServerURL, CLUSTER_DOMAIN, controlPlaneOf, dnsServiceIP, ETCD_URL, HOST_IP, paths, REPO, type ClusterConfig, type NodeConfig} from './config.js'
import type {RuntimeConfig} from './node/types.js'
import {kubernetesVersion} from './build.js'
import {KUBELET_CLIENT_CN, kubeconfig, type ClusterPki} from './pki.js'
import {startDaemon} from './sh.js'
import {writeState, type LabState} from './state.js'

function componentKubeconfig(cluster: ClusterConfig, pki: ClusterPki, name: string, user: {cert: string; key: string}): string {
  const file = join(paths.clusterDir(cluster.name), `${name}.kubeconfig`)
  writeFileSync(file, kubeconfig([{ca: pki.ca.cert, name: cluster.name, server: apiServerURL(cluster), user}]))
  return file
}

/**
 * Starts a lab process, in a node's network namespace when given one. nsenter rather than `ip netns
 * exec`: the latter gives the process a private mount namespace, and the network namespaces a node
 * runtime creates for its pods would then be invisible to the rest of the machine.
 */
export function daemon(state: LabState, name: string, netns: string | undefined, command: string[]): void {
  const full = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', ...command] : command
  const pid = startDaemon(full, join(paths.logs, `${name}.log`))
  state.processes.push({command: full, name, pid})
  writeState(state)
}

export function startControlPlane(state: LabState, cluster: ClusterConfig, pki: ClusterPki): void {
  const bin = (name: string) => join(state.binDir, name)
  const controlPlane = controlPlaneOf(cluster)
  daemon(state, `${cluster.name}-kube-apiserver`, controlPlane.netns, [
    bin('kube-apiserver'),
    `--advertise-address=${controlPlane.ip}`,
    '--bind-address=0.0.0.0',
    '--secure-port=6443',
    `--etcd-servers=${ETCD_URL}`,
    `--etcd-prefix=/lab/${cluster.name}`,
    `--service-cluster-ip-range=${cluster.serviceCIDR}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    `--client-ca-file=${pki.ca.cert}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
    `--kubelet-client-key=${pki.kubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.ca.cert}`,
    '--kubelet-preferred-address-types=InternalIP',
    `--service-account-issuer=https://kubernetes.default.svc.${CLUSTER_DOMAIN}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--profiling=false',
    '--event-ttl=1h',
  ])
}

export function startControllers(state: LabState, cluster: ClusterConfig, pki: ClusterPki): void {
  const bin = (name: string) => join(state.binDir, name)
  const controlPlane = controlPlaneOf(cluster)
  daemon(state, `${cluster.name}-kube-controller-manager`, controlPlane.netns, [
    bin('kube-controller-manager'),
    `--kubeconfig=${componentKubeconfig(cluster, pki, 'controller-manager', pki.controllerManager)}`,
    '--bind-address=127.0.0.1',
    `--cluster-name=${cluster.name}`,
    `--cluster-cidr=${cluster.podCIDR}`,
    '--allocate-node-cidrs=true',
    '--node-cidr-mask-size=24',
    `--service-cluster-ip-range=${cluster.serviceCIDR}`,
    `--root-ca-file=${pki.ca.cert}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--cluster-signing-cert-file=${pki.ca.cert}`,
    `--cluster-signing-key-file=${pki.ca.key}`,
    '--use-service-account-credentials=true',
    '--leader-elect=false',
    '--profiling=false',
  ])
  daemon(state, `${cluster.name}-kube-scheduler`, controlPlane.netns, [
    bin('kube-scheduler'),
    `--kubeconfig=${componentKubeconfig(cluster, pki, 'scheduler', pki.scheduler)}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    '--profiling=false',
  ])
}

export function startNode(state: LabState, cluster: ClusterConfig, node: NodeConfig, pki: ClusterPki): void {
  const nodeDir = paths.nodeDir(node.name)
  mkdirSync(nodeDir, {recursive: true})
  const credentials = pki.nodes[node.name] as ClusterPki['nodes'][string]
  const config: RuntimeConfig = {
    agentBundle: join(REPO, 'dist', 'agent.js'),
    apiServer: apiServerURL(cluster),
    busyboxBin: paths.busyboxBin,
    caFile: pki.ca.cert,
    certFile: credentials.client.cert,
    cniCertFile: pki.cni.cert,
    cniKeyFile: pki.cni.key,
    cluster: cluster.name,
    clusterCIDR: cluster.podCIDR,
    clusterDomain: CLUSTER_DOMAIN,
    controlPlane: node.controlPlane,
    corednsBinary: join(state.binDir, 'coredns'),
    dnsIP: dnsServiceIP(cluster),
    keyFile: credentials.client.key,
    kubeletClientCN: KUBELET_CLIENT_CN,
    kubeletVersion: kubernetesVersion(),
    mountpointRecord: join(nodeDir, 'created-mountpoints'),
    node: node.name,
    nodeHelper: state.nodeHelper,
    nodeIP: node.ip,
    runtimeSocket: join(nodeDir, 'runtime.sock'),
    serviceCIDR: cluster.serviceCIDR,
    servingCertFile: credentials.serving.cert,
    servingKeyFile: credentials.serving.key,
    stateDir: nodeDir,
    upstreamResolver: HOST_IP,
  }
  const configFile = join(nodeDir, 'runtime.json')
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  daemon(state, `${node.name}-runtime`, node.netns, [process.execPath, paths.runtimeBundle, configFile])

  const proxyConfig = join(nodeDir, 'kube-proxy.yaml')
  writeFileSync(
    proxyConfig,
    [
      'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
      'kind: KubeProxyConfiguration',
      'bindAddress: 0.0.0.0',
      'clientConnection:',
      `  kubeconfig: ${componentKubeconfig(cluster, pki, 'kube-proxy', pki.kubeProxy)}`,
      `clusterCIDR: ${cluster.podCIDR}`,
      // Conntrack sysctls are global to the kernel, not per namespace: leave them alone.
      'conntrack:',
      '  maxPerCore: 0',
      '  min: 0',
      '  tcpEstablishedTimeout: 0s',
      '  tcpCloseWaitTimeout: 0s',
      'healthzBindAddress: 127.0.0.1:10256',
      'metricsBindAddress: 127.0.0.1:10249',
      `hostnameOverride: ${node.name}`,
      'mode: iptables',
      'iptables:',
      '  minSyncPeriod: 1s',
      '  syncPeriod: 30s',
      '',
    ].join('\n'),
  )
  daemon(state, `${node.name}-kube-proxy`, node.netns, [join(state.binDir, 'kube-proxy'), `--config=${proxyConfig}`])
}

