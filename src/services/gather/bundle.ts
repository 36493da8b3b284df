/**
 * One cluster's directory of a gather bundle: every file goes through redaction (unless
 * --include-sensitive-data) and is listed for summary.html; pod logs, command outputs and
 * resources are written as reference/subctl.md §10 names them.
 */
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {stringify} from 'yaml'

import type {KubeClient} from '../../k8s/client.js'
import type {KubeObject, PodObject} from '../../k8s/objects.js'
import {commandFileName, redact, resourceFileName, type Secrets} from '../../lib/gather.js'
import {messageOf} from '../../lib/errors.js'
import type {StepReporter} from '../../lib/reporter.js'

export class Bundle {
  readonly logs: string[] = []
  readonly resources: string[] = []

  constructor(
    readonly dir: string,
    readonly secrets: Secrets | undefined,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.dir, {mode: 0o700, recursive: true})
  }

  async write(name: string, text: string, kind: 'logs' | 'resources'): Promise<void> {
    await writeFile(join(this.dir, name), this.secrets ? redact(text, this.secrets) : text, {mode: 0o600})
    this[kind].push(name)
  }

  /** Objects as YAML, `<resource>_<namespace>_<name>.yaml`, without the noise of managedFields. */
  async objects(resource: string, objects: KubeObject[]): Promise<void> {
    for (const object of objects) {
      const {managedFields: _managed, ...metadata} = object.metadata
      await this.write(resourceFileName(resource, object.metadata.namespace, object.metadata.name ?? ''), stringify({...object, metadata}), 'resources')
    }
  }

  /** The logs of every container of the pods, and of their previous instances when there are any. */
  async podLogs(client: KubeClient, pods: PodObject[], step: StepReporter, containers?: string[]): Promise<void> {
    for (const pod of pods) {
      const name = pod.metadata.name as string
      const namespace = pod.metadata.namespace as string
      const names = (pod.spec?.containers ?? []).map((container) => container.name).filter((container) => !containers || containers.includes(container))
      for (const container of names) {
        const base = names.length > 1 ? `${name}_${container}` : name
        try {
          await this.write(`${base}.log`, await client.podLog(name, namespace, {container}), 'logs')
        } catch (error) {
          step.warning(`Could not read the log of ${namespace}/${name} (${container}): ${messageOf(error)}`)
        }

        const restarted = pod.status?.containerStatuses?.some((status) => status.name === container && status.restartCount > 0)
        if (!restarted) continue
        const previous = await client.podLog(name, namespace, {container, previous: true}).catch(() => undefined)
        if (previous === undefined) continue
        await this.write(`${base}.log.prev`, previous, 'logs')
        step.warning(`Found logs for previous instances of pod ${name}`)
      }
    }
  }

  /** Runs each command in the pod through pods/exec and writes `<node>_<name>.log`, the command on its first line. */
  async commands(client: KubeClient, pod: PodObject, commands: Array<[string, string]>, step: StepReporter): Promise<void> {
    const node = pod.spec?.nodeName ?? (pod.metadata.name as string)
    for (const [name, command] of commands) {
      try {
        const result = await client.exec(pod.metadata.name as string, pod.metadata.namespace as string, ['sh', '-c', command], {timeoutMs: 60_000})
        const failure = result.exitCode === 0 ? '' : `\n(exit ${result.exitCode})\n`
        await this.write(commandFileName(node, name), `${command}\n${result.stdout}${result.stderr}${failure}`, 'resources')
      } catch (error) {
        step.warning(`Could not run "${command}" in ${pod.metadata.namespace}/${pod.metadata.name}: ${messageOf(error)}`)
      }
    }
  }
}
