/**
 * Installing the operator, as deploy-broker and join both do (upstream's operator.Ensure,
 * reference/subctl.md §3.4): CRDs, namespace, RBAC of the operator and of every component, the
 * operator Deployment; then waiting until it is available.
 */
import {OPERATOR_NAMESPACE} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import type {KubeObject} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {waitForObject} from '../k8s/wait.js'
import type {ImageSettings} from '../lib/images.js'
import type {StepReporter} from '../lib/reporter.js'
import {memberCrds, operatorCrds} from '../manifests/crds.js'
import {operatorDeployment, operatorNamespace, type ProxySettings} from '../manifests/operator.js'
import {componentsRbac, OPERATOR, operatorRbac} from '../manifests/rbac.js'
import type {Writer} from './writer.js'

export interface OperatorInstall {
  images: ImageSettings
  debug: boolean
  proxy: ProxySettings
  /** How long to wait for the operator to become available. */
  timeoutMs: number
}

interface DeploymentStatus extends KubeObject {
  status?: {conditions?: Array<{type: string; status: string}>; availableReplicas?: number}
}

/** Applies everything the operator needs and waits for it; reports what it created. */
export async function ensureOperator(
  cluster: string,
  client: KubeClient,
  writer: Writer,
  step: StepReporter,
  options: OperatorInstall,
): Promise<void> {
  const apply = async (objects: KubeObject[]) => {
    for (const object of objects) await writer.apply(cluster, client, object)
  }

  // The operator installs the data-plane and MCS CRDs too, but applying them here avoids a race
  // with the first objects the agents write (a choice the reference allows).
  await apply([...operatorCrds(), ...memberCrds()])
  step.success('Created operator CRDs')
  await apply([operatorNamespace()])
  step.success(`Created operator namespace: ${OPERATOR_NAMESPACE}`)
  await apply(operatorRbac())
  step.success('Created operator service account and role')
  await apply(componentsRbac())
  step.success('Created submariner service account and role')
  step.success('Created lighthouse service account and role')
  await apply([operatorDeployment({debug: options.debug, images: options.images, proxy: options.proxy})])
  if (writer.dryRun) return

  await waitForObject<DeploymentStatus>(
    client,
    Resources.Deployment,
    OPERATOR,
    OPERATOR_NAMESPACE,
    (deployment) => deployment?.status?.conditions?.some((condition) => condition.type === 'Available' && condition.status === 'True') === true,
    {
      description: 'the Submariner operator to be available',
      hint: `Check the operator pod: kubectl -n ${OPERATOR_NAMESPACE} describe pods -l name=${OPERATOR}`,
      timeoutMs: options.timeoutMs,
    },
  )
  step.success('Deployed the operator successfully')
}
