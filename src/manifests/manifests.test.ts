/**
 * Pins every object subctl and the operator render, for a default set of values and for one that
 * sets everything a user can (another driver, Globalnet, debug, image overrides, custom domains, a
 * proxy, a custom CoreDNS ConfigMap, other namespaces). A change to a manifest shows up here as a
 * snapshot diff to review.
 */
import {describe, expect, it} from 'vitest'

import type {BrokerSpec, ServiceDiscoverySpec} from '../api/submariner.js'
import {brokerCr, brokerNamespace, clustersetIPConfigMap, globalnetConfigMap} from './broker.js'
import {globalnetDaemonSet, gatewayDaemonSet, lighthouseAgentDeployment, lighthouseDnsObjects, metricsServices, routeAgentDaemonSet} from './components.js'
import {brokerCrds, memberCrds, operatorCrds} from './crds.js'
import {brokerSecret, clusterRecord, pskSecret, serviceDiscoveryCr, submarinerCr, type JoinValues} from './join.js'
import {operatorDeployment, operatorNamespace} from './operator.js'
import {brokerClusterAccount, brokerRbac, componentsRbac, operatorRbac} from './rbac.js'

const base: JoinValues = {
  airGapped: false,
  broker: {insecure: false, namespace: 'submariner-k8s-broker', tokenData: {'ca.crt': 'Q0E=', namespace: 'c3VibWFyaW5lci1rOHMtYnJva2Vy', token: 'dG9rZW4='}, url: 'https://192.0.2.1:6443'},
  cableDriver: 'libreswan',
  clusterId: 'east',
  clustersetIPEnabled: false,
  forceUdpEncaps: false,
  healthCheck: {enabled: true, intervalSeconds: 1, maxPacketLossCount: 5},
  imageOverrides: {},
  ipsecDebug: false,
  kubeSystemUID: '0f1e2d3c',
  loadBalancer: false,
  natt: true,
  nattPort: 4500,
  network: {clusterCIDR: '10.244.0.0/16', plugin: 'generic', serviceCIDR: '10.96.0.0/12'},
  podDebug: false,
  preferredServer: false,
  psk: {base64: 'cHNr', string: 'cHNr'},
  serviceDiscovery: true,
}

const everything: JoinValues = {
  ...base,
  airGapped: true,
  cableDriver: 'wireguard',
  clusterId: 'west',
  clustersetIPCIDR: '243.0.0.0/20',
  clustersetIPEnabled: true,
  coreDNS: {configMapName: 'coredns-custom', namespace: 'kube-system'},
  customDomains: ['example.internal'],
  globalCIDR: '242.1.0.0/16',
  healthCheck: {enabled: false, intervalSeconds: 3, maxPacketLossCount: 9},
  imageOverrides: {'submariner-gateway': 'registry.example/gateway:dev'},
  ipsecDebug: true,
  loadBalancer: true,
  natt: false,
  nattPort: 4501,
  podDebug: true,
  preferredServer: true,
  repository: 'registry.example/submariner',
  version: '0.19.1',
}

const proxy = {httpProxy: 'http://proxy.example:3128', httpsProxy: 'http://proxy.example:3128', noProxy: '10.0.0.0/8'}

describe.each([
  ['default values', base, {}],
  ['every value set', everything, proxy],
])('the manifests with %s', (_name, values, proxySettings) => {
  const cr = submarinerCr(values)
  const network = {clusterCIDR: values.network.clusterCIDR, networkPlugin: values.network.plugin, serviceCIDR: values.network.serviceCIDR}
  const discovery = serviceDiscoveryCr(values).spec as ServiceDiscoverySpec
  const brokerSpec: BrokerSpec = {
    components: ['service-discovery', 'connectivity'],
    globalnetEnabled: Boolean(values.globalCIDR),
    ...(values.customDomains ? {defaultCustomDomains: values.customDomains} : {}),
  }
  const namespace = values === base ? 'submariner-operator' : 'submariner-custom'

  it('renders join’s objects', () => {
    expect([clusterRecord(values), brokerSecret(values), pskSecret(values), cr, serviceDiscoveryCr(values)]).toMatchSnapshot()
  })

  it('renders the connectivity workloads and their uninstall variants', () => {
    expect([
      gatewayDaemonSet(cr.spec, network, proxySettings),
      routeAgentDaemonSet(cr.spec, network),
      globalnetDaemonSet(cr.spec, network),
      gatewayDaemonSet(cr.spec, network, proxySettings, true),
      routeAgentDaemonSet(cr.spec, network, true),
      ...metricsServices(cr.spec.namespace, Boolean(values.globalCIDR)),
    ]).toMatchSnapshot()
  })

  it('renders the service-discovery workloads', () => {
    expect([lighthouseAgentDeployment(discovery, proxySettings), ...lighthouseDnsObjects(discovery)]).toMatchSnapshot()
  })

  it('renders the operator, the broker and the RBAC', () => {
    expect([
      operatorNamespace(namespace),
      operatorDeployment({debug: values.podDebug, images: {overrides: values.imageOverrides, repository: values.repository, version: values.version}, namespace, proxy: proxySettings}),
      ...operatorRbac(namespace),
      ...componentsRbac(namespace),
      brokerNamespace(values.broker.namespace),
      brokerCr(values.broker.namespace, brokerSpec),
      globalnetConfigMap(values.broker.namespace, brokerSpec),
      clustersetIPConfigMap(values.broker.namespace, brokerSpec),
      ...brokerRbac(values.broker.namespace),
      ...brokerClusterAccount(values.clusterId, values.broker.namespace),
    ]).toMatchSnapshot()
  })
})

describe('the CRDs of manifests/crds', () => {
  it('are the ones each cluster needs, with their versions and scopes', () => {
    const summary = (crds: ReturnType<typeof brokerCrds>) => crds.map((crd) => {
      const spec = (crd as unknown as {spec: {scope: string; versions: Array<{name: string; subresources?: object}>}}).spec
      return `${crd.metadata.name} ${spec.scope} ${spec.versions.map((version) => `${version.name}${version.subresources ? '+status' : ''}`).join(',')}`
    })
    expect({broker: summary(brokerCrds()), member: summary(memberCrds()), operator: summary(operatorCrds())}).toMatchSnapshot()
  })

  it('carry structural schemas: every object and array says what it holds', () => {
    const problems: string[] = []
    const walk = (schema: Record<string, unknown>, path: string, depth: number) => {
      // The object's metadata is the API server's ObjectMeta; deliberately open fields say so.
      if (schema['x-kubernetes-preserve-unknown-fields'] === true || (depth === 1 && path.endsWith('.metadata'))) return
      if (typeof schema.type !== 'string') problems.push(`${path} has no type`)
      if (schema.type === 'array' && typeof schema.items !== 'object') problems.push(`${path} has no items`)
      if (schema.type === 'object' && !schema.properties && !schema.additionalProperties) problems.push(`${path} is an open object`)
      for (const [name, child] of Object.entries((schema.properties as Record<string, Record<string, unknown>>) ?? {})) walk(child, `${path}.${name}`, depth + 1)
      if (typeof schema.items === 'object') walk(schema.items as Record<string, unknown>, `${path}[]`, depth + 1)
      if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties as Record<string, unknown>, `${path}{}`, depth + 1)
    }

    for (const crd of [...operatorCrds(), ...memberCrds()]) {
      for (const version of (crd as unknown as {spec: {versions: Array<{name: string; schema: {openAPIV3Schema: Record<string, unknown>}}>}}).spec.versions) {
        walk(version.schema.openAPIV3Schema, `${crd.metadata.name}/${version.name}`, 0)
      }
    }

    expect(problems).toEqual([])
  })
})
