/** An Endpoint spec as a gateway of the lab would publish it, for unit tests of the gateway's pieces. */
import type {EndpointSpec} from '../../src/api/submariner.js'

export function endpointSpec(cluster: string, privateIp: string, extra: Partial<EndpointSpec> = {}): EndpointSpec {
  return {
    backend: 'vxlan',
    backend_config: {},
    cable_name: `submariner-cable-${cluster}-${privateIp.replaceAll('.', '-')}`,
    cluster_id: cluster,
    healthCheckIP: '',
    hostname: `${cluster}-worker`,
    nat_enabled: false,
    private_ip: privateIp,
    public_ip: '',
    subnets: [],
    ...extra,
  }
}
