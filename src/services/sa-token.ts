/**
 * Long-lived ServiceAccount token Secrets (reference/subctl.md §3.5): find the Secret annotated
 * for the account, else create one, then wait for the token controller to fill in the token.
 */
import type {KubeClient} from '../k8s/client.js'
import type {KubeObject} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {waitForObject} from '../k8s/wait.js'
import type {Writer} from './writer.js'

export interface TokenSecret extends KubeObject {
  type?: string
  data?: Record<string, string>
}

const TOKEN_TYPE = 'kubernetes.io/service-account-token'
const ACCOUNT_ANNOTATION = 'kubernetes.io/service-account.name'

export async function findTokenSecret(client: KubeClient, namespace: string, account: string): Promise<TokenSecret | undefined> {
  const secrets = await client.list<TokenSecret>(Resources.Secret, {fieldSelector: `type=${TOKEN_TYPE}`, namespace})
  return secrets.items.find((secret) => secret.metadata.annotations?.[ACCOUNT_ANNOTATION] === account)
}

/** The account's token Secret with its token; in a dry run, the Secret that would be created. */
export async function ensureTokenSecret(
  cluster: string,
  client: KubeClient,
  writer: Writer,
  namespace: string,
  account: string,
  timeoutMs: number,
): Promise<TokenSecret> {
  const existing = writer.dryRun ? undefined : await findTokenSecret(client, namespace, account)
  const secret =
    existing ??
    (await writer.create<TokenSecret>(cluster, client, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        annotations: {'kubernetes.io/created-by': 'subctl', [ACCOUNT_ANNOTATION]: account},
        generateName: `${account}-token-`,
        namespace,
      },
      type: TOKEN_TYPE,
    }))
  if (writer.dryRun || secret.data?.token) return secret
  const filled = await waitForObject<TokenSecret>(client, Resources.Secret, secret.metadata.name as string, namespace, (current) => Boolean(current?.data?.token), {
    description: `the token of service account ${namespace}/${account}`,
    hint: 'The token controller of kube-controller-manager fills it in; check that it runs with --service-account-private-key-file',
    timeoutMs,
  })
  return filled as TokenSecret
}
