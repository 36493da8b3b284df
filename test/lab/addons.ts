/**
 * What a fresh cluster gets besides its control plane: CoreDNS as the cluster DNS, the way kubeadm
 * installs it (Deployment, kube-dns Service, the standard Corefile ConfigMap, RBAC).
 */
import type {KubeObject} from '../../src/k8s/objects.js'
import {CLUSTER_DOMAIN, dnsServiceIP, type ClusterConfig} from './config.js'

export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.14.7'

/** What the CNI part of the node runtimes may do: route to every node's pod CIDR. */
export function cniObjects(): KubeObject[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {name: 'lab:cni'},
      rules: [{apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch']}],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: {name: 'lab:cni'},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lab:cni'},
      subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'lab:cni'}],
    },
  ]
}

/**
 * kubeadm's record of the cluster configuration, as kubeadm (and kind) leave it in kube-system: the
 * lab's control plane runs as processes, not static pods, and this is where tools read its CIDRs.
 */
export function kubeadmConfig(cluster: ClusterConfig, kubernetesVersion: string): KubeObject {
  return {
    apiVersion: 'v1',
    data: {
      ClusterConfiguration: [
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'kind: ClusterConfiguration',
        `clusterName: ${cluster.name}`,
        `kubernetesVersion: ${kubernetesVersion}`,
        'networking:',
        `  dnsDomain: ${CLUSTER_DOMAIN}`,
        `  podSubnet: ${cluster.podCIDR}`,
        `  serviceSubnet: ${cluster.serviceCIDR}`,
        '',
      ].join('\n'),
    },
    kind: 'ConfigMap',
    metadata: {name: 'kubeadm-config', namespace: 'kube-system'},
  }
}

/** The standard Corefile, as kubeadm writes it. */
export function corefile(): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${CLUSTER_DOMAIN}
       disable denial ${CLUSTER_DOMAIN}
    }
    loop
    reload
    loadbalance
}
`
}

export function corednsObjects(cluster: ClusterConfig): KubeObject[] {
  const labels = {'k8s-app': 'kube-dns'}
  return [
    {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'coredns', namespace: 'kube-system'}},
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {name: 'system:coredns'},
      rules: [
        {apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch']},
        {apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch']},
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: {name: 'system:coredns'},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns'},
      subjects: [{kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system'}],
    },
    {apiVersion: 'v1', data: {Corefile: corefile()}, kind: 'ConfigMap', metadata: {name: 'coredns', namespace: 'kube-system'}},
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {labels, name: 'coredns', namespace: 'kube-system'},
      spec: {
        replicas: 1,
        selector: {matchLabels: labels},
        template: {
          metadata: {labels},
          spec: {
            containers: [
              {
                args: ['-conf', '/etc/coredns/Corefile'],
                image: COREDNS_IMAGE,
                livenessProbe: {failureThreshold: 5, httpGet: {path: '/health', port: 8080}, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5},
                name: 'coredns',
                ports: [
                  {containerPort: 53, name: 'dns', protocol: 'UDP'},
                  {containerPort: 53, name: 'dns-tcp', protocol: 'TCP'},
                  {containerPort: 9153, name: 'metrics', protocol: 'TCP'},
                ],
                readinessProbe: {httpGet: {path: '/ready', port: 8181}, periodSeconds: 2},
                volumeMounts: [{mountPath: '/etc/coredns', name: 'config-volume', readOnly: true}],
              },
            ],
            dnsPolicy: 'Default',
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'coredns',
            tolerations: [
              {key: 'CriticalAddonsOnly', operator: 'Exists'},
              {effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane'},
            ],
            volumes: [{configMap: {items: [{key: 'Corefile', path: 'Corefile'}], name: 'coredns'}, name: 'config-volume'}],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {labels: {...labels, 'kubernetes.io/name': 'CoreDNS'}, name: 'kube-dns', namespace: 'kube-system'},
      spec: {
        clusterIP: dnsServiceIP(cluster),
        ports: [
          {name: 'dns', port: 53, protocol: 'UDP', targetPort: 53},
          {name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53},
          {name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153},
        ],
        selector: labels,
      },
    },
  ]
}
