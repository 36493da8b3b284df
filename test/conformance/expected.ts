/**
 * The specs of the MCS API conformance suite that fail on this project today, each with the
 * reason. A spec listed here that passes, or one not listed that fails, fails the run: the list
 * follows the product, not the other way round. Every entry is the product's, not the lab's, and
 * the issue "Pass the whole MCS API conformance suite" empties the list.
 */
const NO_IP_FAMILIES = 'the Lighthouse agent does not set ServiceImport.spec.ipFamilies (an mcs-api v0.4.0 field), so the suite finds no IP family to test'
const NO_CLUSTERSET_IP = 'ServiceImport.spec.ips is empty: clusterset IPs are not allocated unless a service is exported with --use-clusterset-ip, and nothing routes them'
const DUPLICATE_SRV = 'Lighthouse DNS answers one SRV record per Service port, and the suite\'s Service has tcp/42 and udp/42: the two identical records are not merged, as CoreDNS merges them'
const NO_CONFLICT = 'the Lighthouse agent reports no Conflict condition on the ServiceExports for this kind of conflict'

export const EXPECTED_FAILURES: Record<string, string> = {
  'A DNS lookup of the <service>.<ns>.svc.clusterset.local domain for a ClusterIP service should resolve to the clusterset IP': NO_CLUSTERSET_IP,
  'A DNS query of the <hostname>.<clusterid>.<service>.<ns>.svc.clusterset.local domain for a headless StatefulSet service should return the requested pod\'s endpoint address': NO_IP_FAMILIES,
  'A DNS query of the <service>.<ns>.svc.clusterset.local domain for a headless service should return the ready endpoint addresses of all the backing pods': NO_IP_FAMILIES,
  'A DNS SRV query of the <service>.<ns>.svc.clusterset.local domain for a ClusterIP service should return valid SRV records': DUPLICATE_SRV,
  'A DNS SRV query of the <service>.<ns>.svc.clusterset.local domain for a headless service should return valid SRV records': DUPLICATE_SRV,
  'A service exported on two clusters with conflicting annotations and labels should apply the conflict resolution policy and report a Conflict condition on each ServiceExport': `${NO_CONFLICT} (exported labels and annotations)`,
  'A service exported on two clusters with conflicting headlessness should apply the conflict resolution policy and report a Conflict condition on the ServiceExport': `${NO_CONFLICT} (headless against ClusterIP)`,
  'An IP should be allocated for a ClusterSetIP ServiceImport for each IP family': NO_CLUSTERSET_IP,
  'Connectivity to a ClusterIP service existing in two clusters but exported from one should only access the exporting cluster': NO_IP_FAMILIES,
  'Connectivity to an exported ClusterIP service should be accessible through DNS': NO_IP_FAMILIES,
  'Connectivity to exported services with different port name on each cluster should route traffic to each port only to the cluster that exposes it': NO_IP_FAMILIES,
  'Connectivity to exported services with same port name but different port numbers on each cluster should only route traffic to the cluster that exposes the port': NO_IP_FAMILIES,
  'Exporting a service should create an MCS EndpointSlice in the service\'s namespace in each cluster with the required MCS labels. Unexporting should delete the EndpointSlice.': NO_IP_FAMILIES,
  'Only labels and annotations specified as exported in the ServiceExport should be propagated to the ServiceImport':
    'the Lighthouse agent ignores ServiceExport.spec.exportedLabels and exportedAnnotations (mcs-api v0.4.0) and puts its own annotations on the ServiceImport',
  'The InternalTrafficPolicy for a ClusterSetIP ServiceImport should match the exported service\'s InternalTrafficPolicy': 'the Lighthouse agent does not copy the Service\'s internalTrafficPolicy to the ServiceImport (an mcs-api v0.4.0 field)',
  'The TrafficDistribution for a ClusterSetIP ServiceImport should match the exported service\'s TrafficDistribution': 'the Lighthouse agent does not copy the Service\'s trafficDistribution to the ServiceImport (an mcs-api v0.4.0 field)',
}

/**
 * Specs that can pass only when `kubectl exec` through the API server works (they read a command's
 * output). The suite swallows exec errors, so a run counts only when at least one of them passed.
 */
export const EXEC_PROOF_SPECS = [
  'DNS lookups of the <service>.<ns>.svc.cluster.local domain for a ClusterIP service should only resolve local services',
]
