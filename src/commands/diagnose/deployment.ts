import {clusterCheckCommand, imageOverrideFlag} from '../../cli/diagnose-command.js'

export default clusterCheckCommand('deployment', {
  description:
    'Checks that the CIDRs of the clusters on the broker do not overlap, that the Submariner DaemonSets and Deployments are scheduled and available, that its pods run (naming crash loops, frequent restarts, and more or fewer than one active gateway), and that the gateway metrics answer from a non-gateway node.',
  flags: imageOverrideFlag,
  summary: 'Check the Submariner deployment',
})
