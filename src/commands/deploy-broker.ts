import * as Flags from '@oclif/core/flags'

import {SubctlCommand} from '../cli/base-command.js'
import {connectionOptions, dryRunFlag, kubeFlags, namespaceFlag, proxyFlags, proxySettings, timeoutFlag} from '../cli/flags.js'
import {renderPlanned} from '../cli/output.js'
import {BROKER_NAMESPACE, DEFAULT_CLUSTERSET_IP_CIDR_RANGE, DEFAULT_GLOBALNET_CIDR_RANGE, DEFAULT_GLOBALNET_CLUSTER_SIZE} from '../api/submariner.js'
import {BROKER_INFO_FILE} from '../lib/broker-info.js'
import {parseDuration} from '../lib/duration.js'
import {deployBroker} from '../services/deploy-broker.js'

export default class DeployBroker extends SubctlCommand {
  static override summary = 'Set up the broker on the current cluster'
  static override description =
    'Installs the broker (its namespace, RBAC, CRDs and Broker CR) and the Submariner operator on the cluster of the current kube context, then writes broker-info.subm, which "subctl join" takes.'

  static override examples = [
    '<%= config.bin %> deploy-broker --context broker',
    '<%= config.bin %> deploy-broker --globalnet --components service-discovery,connectivity',
    '<%= config.bin %> deploy-broker --dry-run > broker.yaml',
  ]

  static override flags = {
    ...kubeFlags,
    namespace: namespaceFlag(BROKER_NAMESPACE, 'Namespace of the broker'),
    ...proxyFlags,
    'broker-url': Flags.string({description: 'Broker API URL written to broker-info.subm (default: the kube context’s server)'}),
    'clusterset-ip-cidr-range': Flags.string({default: DEFAULT_CLUSTERSET_IP_CIDR_RANGE, description: 'Range clusterset IPs are allocated from'}),
    components: Flags.string({default: 'service-discovery,connectivity', description: 'Components to deploy: service-discovery, connectivity'}),
    'custom-domains': Flags.string({delimiter: ',', description: 'Extra DNS domains for multi-cluster service discovery', multiple: true}),
    'dry-run': dryRunFlag,
    'enable-clusterset-ip': Flags.boolean({allowNo: true, default: true, description: 'Give exported services clusterset IPs that carry traffic (upstream’s default is false)'}),
    globalnet: Flags.boolean({default: false, description: 'Enable Globalnet, for clusters whose CIDRs overlap'}),
    'globalnet-cidr-range': Flags.string({default: DEFAULT_GLOBALNET_CIDR_RANGE, description: 'Global CIDR supernet for Globalnet'}),
    'globalnet-cluster-size': Flags.integer({default: DEFAULT_GLOBALNET_CLUSTER_SIZE, description: 'Default number of global IPs per cluster (rounded up to a power of two)'}),
    'ipsec-psk-from': Flags.string({description: 'Reuse the IPsec PSK of this broker-info.subm'}),
    'operator-debug': Flags.boolean({default: false, description: 'Run the operator with debug logging'}),
    repository: Flags.string({description: 'Image repository of the operator (default quay.io/submariner)'}),
    timeout: timeoutFlag,
    version: Flags.string({description: 'Image version of the operator'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DeployBroker)
    const result = await deployBroker(
      {
        brokerURL: flags['broker-url'],
        clustersetIPCidrRange: flags['clusterset-ip-cidr-range'],
        components: flags.components.split(','),
        connection: connectionOptions(flags),
        customDomains: flags['custom-domains'] ?? [],
        dryRun: flags['dry-run'],
        enableClustersetIP: flags['enable-clusterset-ip'],
        file: BROKER_INFO_FILE,
        globalnet: flags.globalnet,
        globalnetCidrRange: flags['globalnet-cidr-range'],
        globalnetClusterSize: flags['globalnet-cluster-size'],
        ipsecPskFrom: flags['ipsec-psk-from'],
        namespace: flags.namespace,
        operatorDebug: flags['operator-debug'],
        proxy: proxySettings(flags),
        repository: flags.repository,
        timeoutMs: parseDuration(flags.timeout),
        version: flags.version,
      },
      this.reporter(flags['dry-run'] ? 'yaml' : 'table'),
    )
    if (flags['dry-run']) process.stdout.write(await renderPlanned(result.planned))
  }
}
