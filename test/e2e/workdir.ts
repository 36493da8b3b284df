/** The directory the e2e files share, as a user's working directory: broker-info.subm and the node state before the first join. */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {ROOT} from '../helpers/cli.js'

export const WORKDIR = join(ROOT, '.test-results', 'e2e')
export const BROKER_INFO = join(WORKDIR, 'broker-info.subm')

/** Creates the directory; called by what writes there, never on import. */
export function ensureWorkdir(): string {
  mkdirSync(WORKDIR, {recursive: true})
  return WORKDIR
}
