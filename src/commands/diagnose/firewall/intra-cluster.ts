import {clusterCheckCommand, imageOverrideFlag, validationFlags} from '../../../cli/diagnose-command.js'

export default clusterCheckCommand('firewall intra-cluster', {
  description: 'Sends a TCP SYN from a pod on a non-gateway node towards a remote pod address and checks with tcpdump that it reaches vx-submariner on the active gateway: VXLAN (UDP 4800) must pass between the nodes of the cluster.',
  flags: {...validationFlags, ...imageOverrideFlag},
  summary: 'Check the firewall between the nodes of a cluster',
})
