/**
 * Every write of deploy-broker and join goes through a Writer, so that `--dry-run` shows exactly
 * the objects a real run would apply (for GitOps users) and writes nothing.
 */
import type {KubeClient} from '../k8s/client.js'
import {isAlreadyExists} from '../k8s/errors.js'
import type {KubeObject} from '../k8s/objects.js'

export interface PlannedObject {
  /** Which cluster the object is for: "broker" or the joining cluster's name. */
  cluster: string
  object: KubeObject
}

export class Writer {
  readonly dryRun: boolean
  readonly planned: PlannedObject[] = []

  constructor(dryRun: boolean) {
    this.dryRun = dryRun
  }

  /** Server-side apply (create or converge); in a dry run, records the object. */
  async apply<T extends KubeObject>(cluster: string, client: KubeClient, object: T): Promise<T> {
    this.planned.push({cluster, object})
    return this.dryRun ? object : client.apply(object)
  }

  /** An update of an object read before (optimistic concurrency); in a dry run, records it. */
  async update<T extends KubeObject>(cluster: string, client: KubeClient, object: T): Promise<T> {
    this.planned.push({cluster, object})
    return this.dryRun ? object : client.update(object)
  }

  /**
   * Creates an object unless it exists (then leaves it as it is). For the broker's accounts and
   * bindings: upstream's broker roles allow create but not patch, so server-side apply is out.
   */
  async ensure<T extends KubeObject>(cluster: string, client: KubeClient, object: T): Promise<void> {
    this.planned.push({cluster, object})
    if (this.dryRun) return
    try {
      await client.create(object)
    } catch (error) {
      if (!isAlreadyExists(error)) throw error
    }
  }

  /** Creates an object that must be new (e.g. a token Secret with a generated name). */
  async create<T extends KubeObject>(cluster: string, client: KubeClient, object: T): Promise<T> {
    this.planned.push({cluster, object})
    return this.dryRun ? object : client.create(object)
  }
}
