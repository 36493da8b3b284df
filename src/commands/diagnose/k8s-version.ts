import {clusterCheckCommand} from '../../cli/diagnose-command.js'

export default clusterCheckCommand('k8s-version', {
  description: 'Checks that the Kubernetes version of each cluster is one Submariner supports (1.19 for connectivity, 1.21 with service discovery).',
  summary: 'Check the Kubernetes version',
})
