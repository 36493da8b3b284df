/**
 * The CustomResourceDefinitions of Submariner and the MCS API, with upstream's groups, versions,
 * kinds, plurals, short names, scopes and subresources (reference/subctl.md §13.3). Schemas keep
 * spec and status open, as the objects' shapes are checked by the code that reads them.
 */
import type {KubeObject} from '../k8s/objects.js'

interface CrdOptions {
  group: string
  version: string
  kind: string
  plural: string
  shortNames?: string[]
  cluster?: boolean
  /** Whether status is a subresource; the Gateway CRD has none (status is written with a plain update). */
  status?: boolean
  columns?: Array<{name: string; jsonPath: string; type?: string}>
}

const OPEN_OBJECT = {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}

function crd(options: CrdOptions): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {name: `${options.plural}.${options.group}`},
    spec: {
      group: options.group,
      names: {
        kind: options.kind,
        listKind: `${options.kind}List`,
        plural: options.plural,
        singular: options.kind.toLowerCase(),
        ...(options.shortNames ? {shortNames: options.shortNames} : {}),
      },
      scope: options.cluster ? 'Cluster' : 'Namespaced',
      versions: [
        {
          ...(options.columns
            ? {additionalPrinterColumns: [...options.columns.map((column) => ({type: 'string', ...column})), {jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date'}]}
            : {}),
          name: options.version,
          schema: {openAPIV3Schema: {properties: {spec: OPEN_OBJECT, status: OPEN_OBJECT}, type: 'object'}},
          served: true,
          storage: true,
          ...(options.status === false ? {} : {subresources: {status: {}}}),
        },
      ],
    },
  }
}

const SUBMARINER = 'submariner.io'
const MCS = 'multicluster.x-k8s.io'

/** Installed by subctl wherever it deploys the operator. */
export function operatorCrds(): KubeObject[] {
  return [
    crd({group: SUBMARINER, kind: 'Submariner', plural: 'submariners', version: 'v1alpha1'}),
    crd({group: SUBMARINER, kind: 'ServiceDiscovery', plural: 'servicediscoveries', version: 'v1alpha1'}),
    crd({group: SUBMARINER, kind: 'Broker', plural: 'brokers', version: 'v1alpha1'}),
  ]
}

/** The data-plane CRDs (submariner.io/v1), on the broker and on every joined cluster. */
export function dataplaneCrds(): KubeObject[] {
  return [
    crd({group: SUBMARINER, kind: 'Cluster', plural: 'clusters', status: false, version: 'v1'}),
    crd({
      columns: [
        {jsonPath: '.spec.cluster_id', name: 'Cluster'},
        {jsonPath: '.spec.hostname', name: 'Hostname'},
        {jsonPath: '.spec.backend', name: 'Backend'},
      ],
      group: SUBMARINER,
      kind: 'Endpoint',
      plural: 'endpoints',
      status: false,
      version: 'v1',
    }),
    crd({columns: [{jsonPath: '.status.haStatus', name: 'HA Status'}], group: SUBMARINER, kind: 'Gateway', plural: 'gateways', status: false, version: 'v1'}),
    crd({group: SUBMARINER, kind: 'RouteAgent', plural: 'routeagents', status: false, version: 'v1'}),
    crd({group: SUBMARINER, kind: 'GatewayRoute', plural: 'gatewayroutes', shortNames: ['gwrt'], status: false, version: 'v1'}),
    crd({group: SUBMARINER, kind: 'NonGatewayRoute', plural: 'nongatewayroutes', shortNames: ['ngwrt'], status: false, version: 'v1'}),
    crd({group: SUBMARINER, kind: 'GlobalEgressIP', plural: 'globalegressips', shortNames: ['geip'], version: 'v1'}),
    crd({cluster: true, group: SUBMARINER, kind: 'ClusterGlobalEgressIP', plural: 'clusterglobalegressips', shortNames: ['cgeip'], version: 'v1'}),
    crd({
      columns: [{jsonPath: '.status.allocatedIP', name: 'IP'}],
      group: SUBMARINER,
      kind: 'GlobalIngressIP',
      plural: 'globalingressips',
      shortNames: ['giip'],
      version: 'v1',
    }),
  ]
}

export function serviceImportCrd(): KubeObject {
  return crd({
    columns: [
      {jsonPath: '.spec.type', name: 'Type'},
      {jsonPath: '.spec.ips', name: 'IP'},
    ],
    group: MCS,
    kind: 'ServiceImport',
    plural: 'serviceimports',
    shortNames: ['svcim'],
    version: 'v1alpha1',
  })
}

export function serviceExportCrd(): KubeObject {
  return crd({group: MCS, kind: 'ServiceExport', plural: 'serviceexports', shortNames: ['svcex'], version: 'v1alpha1'})
}

/** What the broker cluster needs: the data-plane CRDs and ServiceImport. */
export function brokerCrds(): KubeObject[] {
  return [...dataplaneCrds(), serviceImportCrd()]
}

/** What a joined cluster needs besides the operator CRDs. */
export function memberCrds(): KubeObject[] {
  return [...dataplaneCrds(), serviceImportCrd(), serviceExportCrd()]
}
