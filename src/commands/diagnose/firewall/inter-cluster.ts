import {interClusterCommand} from '../../../cli/diagnose-command.js'

export default interClusterCommand('tunnel', {
  description:
    'Sends a marker over UDP from a node of the remote cluster to the tunnel port of the local active gateway, at the address the remote gateway uses for it, and checks with tcpdump on the gateway node that it arrives. A failure names the port, the address and the nodes, and what to open.',
  summary: 'Check that the tunnel port of a gateway can be reached from another cluster',
})
