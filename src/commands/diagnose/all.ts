import {clusterCheckCommand, imageOverrideFlag, validationFlags} from '../../cli/diagnose-command.js'

export default clusterCheckCommand('all', {
  description:
    'On each cluster, in order: k8s-version; deployment (CIDR overlap on the broker, workloads, pods, gateway metrics); with connectivity installed cni, connections, kube-proxy-mode, firewall intra-cluster and globalnet; with service discovery installed service-discovery (status, then each exported name resolved through the cluster DNS and connected to). With --contexts a,b,... it also runs firewall inter-cluster and nat-discovery on every ordered pair. Each failure says its cause and its fix. Exit 1 when a check failed, 0 when only warnings remain.',
  flags: {...validationFlags, ...imageOverrideFlag},
  summary: 'Run all the diagnostic checks',
})
