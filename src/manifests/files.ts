/**
 * The YAML files of the top-level manifests/ folder (CRDs and static RBAC), read at run time from
 * the package root: the npm package ships manifests/ beside dist/. The agent bundle replaces this
 * module with one that carries the same files inline (scripts/build.mjs), so that the agent image
 * needs nothing beside agent.js.
 */
import {readdirSync, readFileSync} from 'node:fs'

const ROOT = new URL('../../manifests/', import.meta.url)

export interface ManifestFile {
  /** e.g. "crds/submariner.io_gateways.yaml" */
  path: string
  text: string
}

/** The YAML files of one folder of manifests/, sorted by name. */
export function manifestFiles(folder: 'crds' | 'rbac'): ManifestFile[] {
  return readdirSync(new URL(`${folder}/`, ROOT))
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({path: `${folder}/${name}`, text: readFileSync(new URL(`${folder}/${name}`, ROOT), 'utf8')}))
}
