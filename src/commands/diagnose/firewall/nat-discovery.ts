import {interClusterCommand} from '../../../cli/diagnose-command.js'

export default interClusterCommand('nat-discovery', {
  description: 'Like firewall inter-cluster, for the NAT discovery port (UDP 4490 unless the local Endpoint says otherwise).',
  summary: 'Check that the NAT discovery port of a gateway can be reached from another cluster',
})
