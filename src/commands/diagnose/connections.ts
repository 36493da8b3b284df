import {clusterCheckCommand} from '../../cli/diagnose-command.js'

export default clusterCheckCommand('connections', {
  description: 'Checks that the active gateway of each cluster has its connections to the other clusters established, and that every route agent reaches the remote endpoints.',
  summary: 'Check the gateway and route agent connections',
})
