/**
 * diagnose service-discovery (reference/subctl.md §8.2), as pure judgements: upstream's status
 * checks of a ServiceExport and the objects Lighthouse makes for it, and, beyond upstream, which
 * hop of an exported name fails end to end: the import, the Lighthouse DNS, the CoreDNS forward
 * of clusterset.local, or the data path behind the answer.
 */
import type {Condition} from '../api/submariner.js'
import type {Finding} from './diagnose-report.js'
import type {ConnectResult, ResolveResult} from './nettest-result.js'

export interface ExportedObjects {
  namespace: string
  name: string
  clusterId: string
  conditions: Condition[]
  serviceExists: boolean
  endpointSliceExists: boolean
  localImportExists: boolean
  /** Whether the local import carries multicluster.kubernetes.io/service-name (an aggregate is then expected). */
  localImportNamed: boolean
  aggregatedImportExists: boolean
}

const condition = (conditions: Condition[], ...types: string[]) => conditions.find((entry) => types.includes(entry.type))

/** Upstream's checks of one export: conditions, the EndpointSlice, the local and the aggregated import. */
export function exportStatusFindings(objects: ExportedObjects): Finding[] {
  const key = `${objects.namespace}/${objects.name}`
  const findings: Finding[] = []
  const valid = condition(objects.conditions, 'Valid')
  if (!objects.serviceExists) {
    findings.push({fix: `Create the Service again, or unexport it: subctl unexport service ${objects.name} -n ${objects.namespace}`, message: `Exported Service ${key} not found`, status: 'warning'})
    if (valid?.status !== 'False') findings.push({message: `The Valid condition of the ServiceExport ${key} should be False: ${JSON.stringify(valid ?? null)}`, status: 'failed'})
    return findings
  }

  const expect = (types: string[], wanted: Condition['status']) => {
    const found = condition(objects.conditions, ...types)
    if (!found) findings.push({fix: 'Check the Lighthouse agent log (subctl gather --module service-discovery)', message: `The ServiceExport ${key} has no ${types[0]} condition`, status: 'failed'})
    else if (found.status !== wanted) {
      findings.push({cause: found.message || found.reason || undefined, fix: 'Fix what the condition says, then the Lighthouse agent reconciles the export', message: `The ${types[0]} condition of the ServiceExport ${key} is not ${wanted}: ${JSON.stringify(found)}`, status: 'failed'})
    }
  }

  expect(['Valid'], 'True')
  expect(['Ready', 'Synced'], 'True')
  const conflict = condition(objects.conditions, 'Conflict')
  if (conflict && conflict.status !== 'False') {
    findings.push({cause: conflict.message, fix: 'Make the exported Service the same (ports, type) in every cluster that exports it', message: `The ServiceExport ${key} is in conflict: ${JSON.stringify(conflict)}`, status: 'failed'})
  }

  if (!objects.endpointSliceExists) findings.push({fix: 'Check the Lighthouse agent log', message: `No EndpointSlice of Lighthouse was found for the exported Service ${key} of cluster "${objects.clusterId}"`, status: 'failed'})
  if (!objects.localImportExists) findings.push({fix: 'Check the Lighthouse agent log', message: `No ServiceImport ${objects.name}-${objects.namespace}-${objects.clusterId} was found for the exported Service ${key}`, status: 'failed'})
  else if (objects.localImportNamed && !objects.aggregatedImportExists) {
    findings.push({fix: 'Check the Lighthouse agent log and that the broker can be read', message: `The aggregated ServiceImport ${key} was not found`, status: 'failed'})
  }

  return findings
}

/** Whether a Corefile forwards clusterset.local to the Lighthouse DNS Service's address. */
export function corefileForwards(corefile: string, domain: string, lighthouseIp: string): boolean {
  const escaped = domain.replace(/\./g, '\\.')
  const block = new RegExp(`(^|\\s)${escaped}(:\\d+)?\\s*\\{([^}]*)\\}`, 'm').exec(corefile)
  return Boolean(block?.[3] && new RegExp(`forward\\s+\\.\\s+([^\\n]*\\s)?${lighthouseIp.replace(/\./g, '\\.')}(:53)?(\\s|$)`).test(block[3]))
}

export interface EndToEnd {
  dnsName: string
  /** The TCP port probed behind the name; undefined when the Service has none. */
  port: number | undefined
  importExists: boolean
  lighthouseIp: string | undefined
  corednsForwards: boolean
  /** Through the pod's resolver (the cluster DNS), as a workload would. */
  viaClusterDns: ResolveResult
  /** Straight at the Lighthouse DNS, asked only when the cluster DNS gave no answer. */
  viaLighthouse?: ResolveResult
  connect?: ConnectResult
  probedFrom: string
}

/** Which hop of an exported name fails, with its cause and fix; passed when it resolves and answers. */
export function endToEndFinding(probe: EndToEnd): Finding {
  const details = {from: probe.probedFrom, lighthouse: probe.lighthouseIp, name: probe.dnsName, port: probe.port}
  if (probe.viaClusterDns.matched) {
    const answers = probe.viaClusterDns.answers.join(', ')
    if (probe.port === undefined || !probe.connect) return {details: {...details, answers}, message: `${probe.dnsName} resolves to ${answers} (no TCP port to connect to)`, status: 'passed'}
    if (probe.connect.passed) return {details: {...details, answers}, message: `${probe.dnsName} resolves to ${answers} and answers on TCP ${probe.port}`, status: 'passed'}
    return {
      cause: `The data path: the name resolves to ${answers}, but TCP ${probe.port} there does not answer from ${probe.probedFrom} (${probe.connect.errors[0] ?? probe.connect.summary})`,
      details: {...details, answers, hop: 'data path'},
      fix: 'Check the tunnel to the exporting cluster (subctl diagnose connections, subctl diagnose firewall inter-cluster) and that the Service has ready endpoints there',
      message: `${probe.dnsName} resolves but does not answer on TCP ${probe.port}`,
      status: 'failed',
    }
  }

  const status = probe.viaClusterDns.status
  if (!probe.importExists) {
    return {
      cause: `The import: no ServiceImport for it in this cluster, so Lighthouse has nothing to answer (the cluster DNS said ${status})`,
      details: {...details, hop: 'import'},
      fix: 'Check the Lighthouse agent log here and in the exporting cluster, and that both can reach the broker (subctl gather --module service-discovery,broker)',
      message: `${probe.dnsName} does not resolve: it was not imported`,
      status: 'failed',
    }
  }

  if (!probe.lighthouseIp || !probe.viaLighthouse?.matched) {
    return {
      cause: probe.lighthouseIp
        ? `The Lighthouse DNS: the server at ${probe.lighthouseIp}:53 gave ${probe.viaLighthouse?.status ?? 'no answer'} for ${probe.dnsName}`
        : 'The Lighthouse DNS: the Service submariner-lighthouse-coredns has no address',
      details: {...details, hop: 'lighthouse DNS'},
      fix: 'Check that the submariner-lighthouse-coredns Deployment runs (kubectl get deployment submariner-lighthouse-coredns -n submariner-operator) and read its log',
      message: `${probe.dnsName} does not resolve: the Lighthouse DNS does not answer for it`,
      status: 'failed',
    }
  }

  return {
    cause: `The CoreDNS forward: the Lighthouse DNS at ${probe.lighthouseIp} answers (${probe.viaLighthouse.answers.join(', ')}), but the cluster DNS gave ${status}${probe.corednsForwards ? '' : '; its Corefile has no clusterset.local block forwarding to that address'}`,
    details: {...details, hop: 'CoreDNS forward'},
    fix: `Add back the clusterset.local server block forwarding to ${probe.lighthouseIp} in the kube-system/coredns ConfigMap (the Submariner operator restores it when it runs)`,
    message: `${probe.dnsName} does not resolve through the cluster DNS: clusterset.local is not forwarded to Lighthouse`,
    status: 'failed',
  }
}
