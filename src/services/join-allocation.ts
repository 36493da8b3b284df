/**
 * join's Globalnet and clusterset-IP allocations on the broker: read the allocation ConfigMap and
 * plan this cluster's CIDR before anything is written, then record it with a read-modify-write that
 * is retried on conflicts, so that two joins at once never take the same CIDR.
 */
import type {KubeClient} from '../k8s/client.js'
import {isConflict} from '../k8s/errors.js'
import type {ConfigMap} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {retryOnConflict} from '../k8s/retry.js'
import {formatClusterInfo, parseAllocationConfig, planAllocation, withAllocation, type AllocationKeys, type AllocationOutcome} from '../lib/allocation.js'
import {SubctlError, usageError} from '../lib/errors.js'
import type {StepReporter} from '../lib/reporter.js'
import type {Writer} from './writer.js'

export interface Allocation {
  keys: AllocationKeys
  configMap: ConfigMap
  request: AllocationRequest
  outcome: AllocationOutcome
}

export interface AllocationRequest {
  clusterId: string
  requested: string | undefined
  size: number | undefined
}

function plan(keys: AllocationKeys, configMap: Allocation['configMap'], request: AllocationRequest): AllocationOutcome {
  try {
    return planAllocation({...request, config: parseAllocationConfig(configMap.data, keys), title: keys.title})
  } catch (error) {
    throw usageError('ALLOCATION_FAILED', `unable to determine the ${keys.title === 'Globalnet' ? 'global' : 'clusterset IP'} CIDR: ${(error as Error).message}`, 'Pick another CIDR, or none to let subctl allocate one')
  }
}

export async function planAllocationOn(
  broker: KubeClient,
  namespace: string,
  name: string,
  keys: AllocationKeys,
  request: AllocationRequest,
): Promise<Allocation> {
  const configMap = await broker.tryGet<ConfigMap>(Resources.ConfigMap, name, namespace)
  if (!configMap) {
    throw new SubctlError('BROKER_CONFIGMAP_MISSING', `The ${keys.title} ConfigMap ${namespace}/${name} is missing on the broker`, {
      hint: 'Re-run "subctl deploy-broker" on the broker cluster',
    })
  }

  return {configMap, keys, outcome: plan(keys, configMap, request), request}
}

/**
 * Records the allocation on the broker: read-modify-write, retried on conflicts. A conflict means
 * another join wrote first, perhaps taking the CIDR planned here: each retry plans again from what
 * the broker now holds, so two joins never record the same CIDR. Returns what was recorded.
 */
export async function recordAllocation(writer: Writer, broker: KubeClient, allocation: Allocation, step: StepReporter): Promise<AllocationOutcome> {
  const {clusterId} = allocation.request
  let configMap = allocation.configMap
  let outcome = allocation.outcome
  try {
    await retryOnConflict(
      async (attempt) => {
        if (attempt > 1) {
          configMap = await broker.get(Resources.ConfigMap, configMap.metadata.name as string, configMap.metadata.namespace)
          outcome = plan(allocation.keys, configMap, allocation.request)
        }

        const config = parseAllocationConfig(configMap.data, allocation.keys)
        const clusters = withAllocation(config.clusters, clusterId, outcome.cidr)
        if (formatClusterInfo(clusters) === configMap.data?.clusterinfo) return
        await writer.update('broker', broker, {...configMap, data: {...configMap.data, clusterinfo: formatClusterInfo(clusters)}})
        if (outcome.cidr !== allocation.outcome.cidr) step.warning(`Another cluster took ${allocation.outcome.cidr} meanwhile; allocated ${outcome.cidr} instead`)
        step.success(`Updated the ${allocation.keys.title} information on the Broker`)
      },
      {attempts: 10, onConflict: () => step.warning(`Conflict occurred updating the ${allocation.keys.title} ConfigMap - retrying`)},
    )
  } catch (error) {
    if (!isConflict(error)) throw error
    throw new SubctlError(
      'ALLOCATION_CONFLICT',
      `Could not record ${clusterId}'s ${allocation.keys.title} allocation on the broker: the ConfigMap ${configMap.metadata.name} kept changing under 10 attempts`,
      {cause: error, hint: 'Other clusters are joining at the same time: run subctl join again'},
    )
  }

  return outcome
}
