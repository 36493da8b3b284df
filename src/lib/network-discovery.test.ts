import {describe, expect, it} from 'vitest'

import {argumentValue, discoverFromFacts, serviceRangeFromError, type ClusterFacts} from './network-discovery.js'

const empty: ClusterFacts = {configMaps: {}, daemonSets: [], nodePodCIDRs: [], pods: []}

describe('network discovery', () => {
  it('reads the generic CIDRs from the control-plane pods’ arguments, sh -c included', () => {
    const facts: ClusterFacts = {
      ...empty,
      pods: [
        {containers: [{command: ['kube-controller-manager', '--cluster-cidr=10.244.0.0/16']}], labels: {component: 'kube-controller-manager'}, namespace: 'kube-system'},
        {containers: [{args: ['sh', '-c', 'kube-apiserver --service-cluster-ip-range=10.96.0.0/12 --foo']}], labels: {component: 'kube-apiserver'}, namespace: 'kube-system'},
      ],
    }
    expect(discoverFromFacts(facts)).toEqual({networkPlugin: 'generic', podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/12']})
    expect(argumentValue(facts.pods[1] as ClusterFacts['pods'][number], '--service-cluster-ip-range')).toBe('10.96.0.0/12')
  })

  it('falls back to kubeadm’s ClusterConfiguration and the ServiceCIDR API, then a single node’s pod CIDR', () => {
    const kubeadm = {ClusterConfiguration: 'kind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.8.0.0/16\n  serviceSubnet: 10.88.0.0/16\n'}
    expect(discoverFromFacts({...empty, configMaps: {'kube-system/kubeadm-config': kubeadm}})).toEqual({networkPlugin: 'generic', podCIDRs: ['10.8.0.0/16'], serviceCIDRs: ['10.88.0.0/16']})
    expect(discoverFromFacts({...empty, nodePodCIDRs: ['10.7.0.0/24'], serviceCIDRObject: ['10.77.0.0/16']})).toEqual({networkPlugin: 'generic', podCIDRs: ['10.7.0.0/24'], serviceCIDRs: ['10.77.0.0/16']})
    expect(discoverFromFacts({...empty, nodePodCIDRs: ['10.7.0.0/24', '10.7.1.0/24']})).toBeUndefined()
  })

  it('recognises plugins in upstream’s order', () => {
    const kindnet = {...empty, pods: [{containers: [{env: [{name: 'POD_SUBNET', value: '10.244.0.0/16'}]}], labels: {app: 'kindnet'}, namespace: 'kube-system'}]}
    expect(discoverFromFacts(kindnet)).toMatchObject({networkPlugin: 'kindnet', podCIDRs: ['10.244.0.0/16']})
    const flannel = {
      ...empty,
      configMaps: {'kube-system/kube-flannel-cfg': {'net-conf.json': '{"Network": "10.42.0.0/16"}'}},
      daemonSets: [{configMapVolumes: {'flannel-cfg': 'kube-flannel-cfg'}, labels: {}, name: 'kube-flannel-ds', namespace: 'kube-system'}],
    }
    expect(discoverFromFacts(flannel)).toMatchObject({networkPlugin: 'flannel', podCIDRs: ['10.42.0.0/16']})
    expect(discoverFromFacts({...flannel, configMaps: {...flannel.configMaps, 'kube-system/calico-config': {}}})).toMatchObject({networkPlugin: 'calico'})
    const ovn = {...empty, configMaps: {'ovn-kubernetes/ovn-config': {net_cidr: '10.128.0.0/14/23', svc_cidr: '172.30.0.0/16'}}, pods: [{containers: [], labels: {app: 'ovnkube-node'}, namespace: 'ovn-kubernetes'}]}
    expect(discoverFromFacts(ovn)).toEqual({networkPlugin: 'OVNKubernetes', podCIDRs: ['10.128.0.0/14'], serviceCIDRs: ['172.30.0.0/16']})
    expect(discoverFromFacts({...empty, openshift: {clusterNetwork: ['10.128.0.0/14'], networkType: 'OVNKubernetes', serviceNetwork: ['172.30.0.0/16']}})).toEqual({
      networkPlugin: 'OVNKubernetes',
      podCIDRs: ['10.128.0.0/14'],
      serviceCIDRs: ['172.30.0.0/16'],
    })
  })

  it('reads the service range out of the API server’s refusal', () => {
    expect(serviceRangeFromError('Service "invalid-svc" is invalid: spec.clusterIPs: Invalid value: []string{"1.1.1.1"}: failed to allocate IP 1.1.1.1: the provided IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.88.0.0/16')).toBe('10.88.0.0/16')
    expect(serviceRangeFromError('something else')).toBeUndefined()
  })
})
