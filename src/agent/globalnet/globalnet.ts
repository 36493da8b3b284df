/**
 * The globalnet role. The operator starts it on the gateway nodes of a cluster that has a global
 * CIDR (reference/dataplane.md §7). Its translation work (global IPs for pods and Services,
 * reference/dataplane.md §5) is not part of this release: the role checks its configuration,
 * says plainly in its log that it translates nothing, and stays ready so the deployment the
 * operator reports on is whole. A cluster that relies on Globalnet reaches no overlapping peer yet.
 */
import {cidrProblem} from '../../lib/cidr.js'
import {aborted, ArgumentError, type RoleModule} from '../runtime/role.js'

export const globalnetRole: RoleModule = {
  defaultMetricsPort: 0,
  async run(_args, context) {
    const globalCidrs = (context.env.SUBMARINER_GLOBALCIDR ?? '').split(',').filter(Boolean)
    if (globalCidrs.length === 0) throw new ArgumentError('SUBMARINER_GLOBALCIDR is empty: the operator starts globalnet only for a cluster with a global CIDR')
    for (const cidr of globalCidrs) {
      const problem = cidrProblem(cidr)
      if (problem) throw new ArgumentError(`SUBMARINER_GLOBALCIDR: ${problem}`)
    }

    context.log.warn('Globalnet address translation is not implemented in this release: no global IPs are allocated and no traffic is translated', {globalCIDRs: globalCidrs})
    context.health.ready = true
    await aborted(context.signal)
    return 0
  },
}
