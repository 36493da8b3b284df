/**
 * The CustomResourceDefinitions of Submariner and the MCS API, as manifests/crds/ defines them:
 * upstream's groups, versions, kinds, plurals, short names, scopes and subresources
 * (reference/subctl.md §13.3), with structural schemas written from reference/dataplane.md §1 and
 * mcs-api v0.4.0's field list.
 */
import {parseAllDocuments} from 'yaml'

import type {KubeObject} from '../k8s/objects.js'
import {manifestFiles} from './files.js'

let loaded: Map<string, KubeObject> | undefined

/** Every CRD of manifests/crds, by name (e.g. "gateways.submariner.io"). */
function allCrds(): Map<string, KubeObject> {
  loaded ??= new Map(
    manifestFiles('crds')
      .flatMap((file) => parseAllDocuments(file.text).map((document) => document.toJS() as KubeObject))
      .map((crd) => [crd.metadata.name as string, crd]),
  )
  return loaded
}

function pick(...names: string[]): KubeObject[] {
  return names.map((name) => {
    const crd = allCrds().get(name)
    if (!crd) throw new Error(`manifests/crds has no CustomResourceDefinition ${name}`)
    return structuredClone(crd)
  })
}

/** Installed by subctl wherever it deploys the operator. */
export function operatorCrds(): KubeObject[] {
  return pick('submariners.submariner.io', 'servicediscoveries.submariner.io', 'brokers.submariner.io')
}

/** The data-plane CRDs (submariner.io/v1), on the broker and on every joined cluster. */
export function dataplaneCrds(): KubeObject[] {
  return pick(
    'clusters.submariner.io',
    'endpoints.submariner.io',
    'gateways.submariner.io',
    'routeagents.submariner.io',
    'gatewayroutes.submariner.io',
    'nongatewayroutes.submariner.io',
    'globalegressips.submariner.io',
    'clusterglobalegressips.submariner.io',
    'globalingressips.submariner.io',
  )
}

/** What the broker cluster needs: the data-plane CRDs and ServiceImport. */
export function brokerCrds(): KubeObject[] {
  return [...dataplaneCrds(), ...pick('serviceimports.multicluster.x-k8s.io')]
}

/** What a joined cluster needs besides the operator CRDs. */
export function memberCrds(): KubeObject[] {
  return [...dataplaneCrds(), ...pick('serviceimports.multicluster.x-k8s.io', 'serviceexports.multicluster.x-k8s.io')]
}
