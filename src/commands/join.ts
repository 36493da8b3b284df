import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../cli/base-command.js'
import {connectionOptions, dryRunFlag, kubeFlags, proxyFlags, proxySettings, timeoutFlag} from '../cli/flags.js'
import {renderPlanned} from '../cli/output.js'
import {joinPrompts} from '../cli/prompts.js'
import {CABLE_DRIVERS} from '../api/submariner.js'
import {parseDuration} from '../lib/duration.js'
import {usageError} from '../lib/errors.js'
import {join} from '../services/join.js'

export default class Join extends SubctlCommand {
  static override summary = 'Connect the current cluster to the broker'
  static override description =
    'Deploys the Submariner operator and the Submariner (or ServiceDiscovery) CR on the cluster of the current kube context, using the broker described by a broker-info.subm file, and waits until every component runs. Every check comes before the first write: a cluster ID already on the broker, CIDRs that overlap another cluster’s, or a missing gateway choice stop it with nothing written.'

  static override examples = [
    '<%= config.bin %> join broker-info.subm --context c1',
    '<%= config.bin %> join broker-info.subm --context c2 --clusterid c2 --gateway-nodes c2-worker --cable-driver vxlan',
    '<%= config.bin %> join broker-info.subm --context c3 --dry-run > c3.yaml',
  ]

  static override args = {
    'broker-info': Args.string({description: 'The broker-info.subm written by "subctl deploy-broker"', required: true}),
  }

  static override flags = {
    ...kubeFlags,
    ...proxyFlags,
    'air-gapped': Flags.boolean({default: false, description: 'The cluster has no access to the internet (no public IP discovery)'}),
    'broker-url': Flags.string({description: 'Overrides the broker URL of broker-info.subm'}),
    'cable-driver': Flags.string({default: 'libreswan', description: `Cable driver: ${CABLE_DRIVERS.join(', ')}`}),
    'check-broker-certificate': Flags.boolean({allowNo: true, default: true, description: 'Verify the broker API server’s certificate'}),
    clustercidr: Flags.string({description: 'The pod CIDR of the cluster (default: discovered)'}),
    clusterid: Flags.string({description: 'The cluster ID (default: the kubeconfig cluster name)'}),
    'clusterset-ip-cidr': Flags.string({description: 'The clusterset IP CIDR of this cluster (default: allocated)'}),
    'coredns-custom-configmap': Flags.string({description: 'Put the CoreDNS forwarding in this ConfigMap: [NAMESPACE/]NAME'}),
    'custom-domains': Flags.string({delimiter: ',', description: 'DNS domains for service discovery (default: the broker’s)', multiple: true}),
    'dry-run': dryRunFlag,
    'enable-clusterset-ip': Flags.boolean({allowNo: true, description: 'Give exported services clusterset IPs that carry traffic (default: as the broker says; deploy-broker enables it)'}),
    'force-udp-encaps': Flags.boolean({default: false, description: 'Force UDP encapsulation of IPsec'}),
    'gateway-nodes': Flags.string({delimiter: ',', description: 'Label these nodes as gateways instead of asking (comma-separated)', multiple: true}),
    globalnet: Flags.boolean({allowNo: true, default: true, description: 'Take part in Globalnet when the broker enables it'}),
    'globalnet-cidr': Flags.string({description: 'The global CIDR of this cluster (default: allocated)'}),
    'globalnet-cluster-size': Flags.integer({default: 0, description: 'Number of global IPs for this cluster (default: the broker’s)'}),
    'health-check': Flags.boolean({allowNo: true, default: true, description: 'Check the health of the connections to other clusters'}),
    'health-check-interval': Flags.integer({default: 1, description: 'Seconds between health checks'}),
    'health-check-max-packet-loss-count': Flags.integer({default: 5, description: 'Lost pings before a connection counts as down'}),
    'ignore-requirements': Flags.boolean({default: false, description: 'Proceed even if the cluster does not meet the version requirements'}),
    'image-override': Flags.string({delimiter: ',', description: 'Override a component image: COMPONENT=IMAGE (comma-separated or repeated)', multiple: true}),
    'ipsec-debug': Flags.boolean({default: false, description: 'Debug logging of the IPsec cable driver'}),
    'label-gateway': Flags.boolean({allowNo: true, default: true, description: 'Label a node as the gateway when none is'}),
    'load-balancer': Flags.boolean({default: false, description: 'Expose the gateway through a LoadBalancer Service'}),
    natt: Flags.boolean({allowNo: true, default: true, description: 'Enable NAT traversal for IPsec'}),
    nattport: Flags.integer({default: 4500, description: 'UDP port of the tunnels (IPsec NAT-T, WireGuard, VXLAN)'}),
    'operator-debug': Flags.boolean({default: false, description: 'Run the operator with debug logging'}),
    'pod-debug': Flags.boolean({default: false, description: 'Debug logging in the component pods'}),
    'preferred-server': Flags.boolean({default: false, description: 'Prefer this cluster as the IPsec server'}),
    repository: Flags.string({description: 'Image repository of the components (default quay.io/submariner)'}),
    servicecidr: Flags.string({description: 'The service CIDR of the cluster (default: discovered)'}),
    timeout: timeoutFlag,
    version: Flags.string({description: 'Image version of the components'}),
    wait: Flags.boolean({allowNo: true, default: true, description: 'Wait until the operator reports every component deployed'}),
  }

  static override missingArgumentError = () =>
    usageError('BROKER_INFO_MISSING', "the broker-info.subm file argument generated by 'subctl deploy-broker' is missing", 'Pass it: subctl join broker-info.subm')

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Join)

    const result = await join(
      {
        airGapped: flags['air-gapped'],
        brokerInfoFile: args['broker-info'],
        brokerURL: flags['broker-url'],
        cableDriver: flags['cable-driver'],
        checkBrokerCertificate: flags['check-broker-certificate'],
        clusterCIDR: flags.clustercidr,
        clusterId: flags.clusterid,
        clustersetIPCIDR: flags['clusterset-ip-cidr'],
        connection: connectionOptions(flags),
        corednsCustomConfigMap: flags['coredns-custom-configmap'],
        customDomains: flags['custom-domains'],
        dryRun: flags['dry-run'],
        enableClustersetIP: flags['enable-clusterset-ip'],
        forceUdpEncaps: flags['force-udp-encaps'],
        gatewayNodes: flags['gateway-nodes'] ?? [],
        globalnet: flags.globalnet,
        globalnetCIDR: flags['globalnet-cidr'],
        globalnetClusterSize: flags['globalnet-cluster-size'],
        healthCheck: flags['health-check'],
        healthCheckInterval: flags['health-check-interval'],
        healthCheckMaxPacketLossCount: flags['health-check-max-packet-loss-count'],
        ignoreRequirements: flags['ignore-requirements'],
        imageOverrides: flags['image-override'] ?? [],
        ipsecDebug: flags['ipsec-debug'],
        labelGateway: flags['label-gateway'],
        loadBalancer: flags['load-balancer'],
        natt: flags.natt,
        nattPort: flags.nattport,
        operatorDebug: flags['operator-debug'],
        podDebug: flags['pod-debug'],
        preferredServer: flags['preferred-server'],
        proxy: proxySettings(flags),
        repository: flags.repository,
        serviceCIDR: flags.servicecidr,
        timeoutMs: parseDuration(flags.timeout),
        version: flags.version,
        wait: flags.wait,
      },
      this.reporter(flags['dry-run'] ? 'yaml' : 'table'),
      joinPrompts(),
    )
    if (flags['dry-run']) process.stdout.write(await renderPlanned(result.planned))
  }
}
