import {clusterCheckCommand, imageOverrideFlag} from '../../cli/diagnose-command.js'

export default clusterCheckCommand('kube-proxy-mode', {
  description: 'Checks from a host-network pod on a gateway node that kube-proxy does not run in ipvs mode, which Submariner does not support.',
  flags: imageOverrideFlag,
  summary: 'Check the kube-proxy mode',
})
