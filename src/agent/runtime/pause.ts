/**
 * The pause role: holds a pod open until it is stopped. The uninstall DaemonSets use it after
 * their init container has cleaned the node, so "pod ready" means "node cleaned".
 */
import {aborted, type RoleModule} from './role.js'

export const pauseRole: RoleModule = {
  defaultMetricsPort: 0,
  async run(_args, context) {
    context.health.ready = true
    await aborted(context.signal)
    return 0
  },
}
