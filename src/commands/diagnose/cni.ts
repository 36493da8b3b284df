import {clusterCheckCommand} from '../../cli/diagnose-command.js'

export default clusterCheckCommand('cni', {
  description: 'Checks that the CNI plugin the operator discovered is supported; for OVN-Kubernetes, that its northbound DB schema is at least 6.1.0; for Calico, that the IPPools Submariner needs exist.',
  summary: 'Check the CNI network plugin',
})
