import {clusterCheckCommand, imageOverrideFlag} from '../../cli/diagnose-command.js'

export default clusterCheckCommand('service-discovery', {
  description:
    'Checks every ServiceExport: its Service, its conditions, its EndpointSlice and its ServiceImports. Then resolves each exported name (NAME.NAMESPACE.svc.clusterset.local) from a pod through the cluster DNS and connects to it, and names the hop that fails: the import, the Lighthouse DNS, the CoreDNS forward of clusterset.local, or the data path.',
  flags: imageOverrideFlag,
  summary: 'Check service discovery end to end',
})
