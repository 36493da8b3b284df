/** Validates subctl's JSON documents against the schemas in schemas/ (one per kind). */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Ajv2020} from 'ajv/dist/2020.js'

import {ROOT} from './cli.js'

export const SCHEMA_DIR = join(ROOT, 'schemas')

const ajv = new Ajv2020({allErrors: true, strict: true})
export const SCHEMAS = readdirSync(SCHEMA_DIR)
  .filter((file) => file.endsWith('.schema.json'))
  .map((file) => JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as {$id: string; properties?: {kind?: {const: string}}})
for (const schema of SCHEMAS) ajv.addSchema(schema)

/** The kinds that have a schema. */
export const KINDS = SCHEMAS.flatMap((schema) => (schema.properties?.kind ? [schema.properties.kind.const] : []))

/** The problems of a document against the schema of its kind; [] when it is valid. */
export function schemaProblems(document: unknown): string[] {
  const kind = (document as {kind?: unknown} | null)?.kind
  const schema = SCHEMAS.find((candidate) => candidate.properties?.kind?.const === kind)
  if (!schema) return [`no schema for kind ${JSON.stringify(kind)}`]
  const validate = ajv.getSchema(schema.$id)
  if (!validate) return [`schema ${schema.$id} did not compile`]
  return validate(document) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
}
