/**
 * The lab's certificates, made with openssl: per cluster a CA, the API server's serving certificate
 * (SANs cover its addresses, the kubernetes Service IP and loopback for the host forwarders), the
 * ServiceAccount signing key, client certificates for each component, and per node a client
 * certificate (system:node:NAME) and a kubelet serving certificate. EC P-256 keys: quick to make.
 */
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {stringify} from 'yaml'

import {addressInCidr, CLUSTER_DOMAIN, controlPlaneOf, paths, type ClusterConfig} from './config.js'
import {sh} from './sh.js'

export interface KeyPair {
  cert: string
  key: string
}

export interface ClusterPki {
  dir: string
  ca: KeyPair
  apiserver: KeyPair
  kubeletClient: KeyPair
  serviceAccountKey: string
  serviceAccountPub: string
  admin: KeyPair
  controllerManager: KeyPair
  scheduler: KeyPair
  kubeProxy: KeyPair
  /** The identity of the lab's CNI part of the node runtime, which watches every node. */
  cni: KeyPair
  nodes: Record<string, {client: KeyPair; serving: KeyPair}>
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** A minimal openssl config, so that leaf certificates do not inherit the system default CA:TRUE. */
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`

function opensslConfig(dir: string): string {
  const file = join(dir, 'openssl.cnf')
  if (!existsSync(file)) writeFileSync(file, OPENSSL_CONFIG)
  return file
}

function issue(dir: string, name: string, ca: KeyPair, subject: string, extensions: string[]): KeyPair {
  const pair = {cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`)}
  if (existsSync(pair.cert)) return pair
  sh([
    'openssl', 'req', '-x509', ...ecKey, '-config', opensslConfig(dir), '-extensions', 'leaf',
    '-keyout', pair.key, '-out', pair.cert,
    '-subj', subject, '-days', '3650',
    '-CA', ca.cert, '-CAkey', ca.key,
    ...extensions.flatMap((extension) => ['-addext', extension]),
  ])
  return pair
}

const client = () => ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth']
const server = (sans: string[]) => ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=${sans.join(',')}`]

/** Creates (or reuses) every certificate of a cluster. */
export function clusterPki(cluster: ClusterConfig): ClusterPki {
  const dir = join(paths.clusterDir(cluster.name), 'pki')
  mkdirSync(dir, {recursive: true})
  const ca = {cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key')}
  if (!existsSync(ca.cert)) {
    sh([
      'openssl', 'req', '-x509', ...ecKey, '-config', opensslConfig(dir), '-extensions', 'ca',
      '-keyout', ca.key, '-out', ca.cert, '-subj', `/CN=${cluster.name}-ca`, '-days', '3650',
    ])
  }

  const serviceAccountKey = join(dir, 'sa.key')
  const serviceAccountPub = join(dir, 'sa.pub')
  if (!existsSync(serviceAccountPub)) {
    sh(['openssl', 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', serviceAccountKey])
    sh(['openssl', 'ec', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub])
  }

  const controlPlane = controlPlaneOf(cluster)
  const apiserverSans = [
    `IP:${controlPlane.ip}`,
    `IP:${addressInCidr(cluster.serviceCIDR, 1)}`,
    'IP:127.0.0.1',
    `DNS:${controlPlane.name}`,
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    `DNS:kubernetes.default.svc.${CLUSTER_DOMAIN}`,
  ]
  const nodes: ClusterPki['nodes'] = {}
  for (const node of cluster.nodes) {
    nodes[node.name] = {
      client: issue(dir, `node-${node.name}`, ca, `/O=system:nodes/CN=system:node:${node.name}`, client()),
      serving: issue(dir, `kubelet-${node.name}`, ca, `/CN=${node.name}`, server([`IP:${node.ip}`, `DNS:${node.name}`])),
    }
  }

  return {
    admin: issue(dir, 'admin', ca, '/O=system:masters/CN=kubernetes-admin', client()),
    apiserver: issue(dir, 'apiserver', ca, '/CN=kube-apiserver', server(apiserverSans)),
    ca,
    cni: issue(dir, 'cni', ca, '/CN=lab:cni', client()),
    controllerManager: issue(dir, 'controller-manager', ca, '/CN=system:kube-controller-manager', client()),
    dir,
    kubeProxy: issue(dir, 'kube-proxy', ca, '/CN=system:kube-proxy', client()),
    kubeletClient: issue(dir, 'apiserver-kubelet-client', ca, `/O=system:masters/CN=${KUBELET_CLIENT_CN}`, client()),
    nodes,
    scheduler: issue(dir, 'scheduler', ca, '/CN=system:kube-scheduler', client()),
    serviceAccountKey,
    serviceAccountPub,
  }
}

/** The API server's identity towards kubelets: the only caller a kubelet port accepts. */
export const KUBELET_CLIENT_CN = 'kube-apiserver-kubelet-client'

const base64 = (file: string) => readFileSync(file).toString('base64')

export interface KubeconfigEntry {
  /** Context, cluster and user entries are all named this. */
  name: string
  server: string
  ca: string
  user: KeyPair
}

/** A kubeconfig with certificates embedded, one context per entry, the first one current. */
export function kubeconfig(entries: KubeconfigEntry[]): string {
  return stringify({
    apiVersion: 'v1',
    clusters: entries.map((entry) => ({cluster: {'certificate-authority-data': base64(entry.ca), server: entry.server}, name: entry.name})),
    contexts: entries.map((entry) => ({context: {cluster: entry.name, user: entry.name}, name: entry.name})),
    'current-context': entries[0]?.name ?? '',
    kind: 'Config',
    users: entries.map((entry) => ({
      name: entry.name,
      user: {'client-certificate-data': base64(entry.user.cert), 'client-key-data': base64(entry.user.key)},
    })),
  })
}
