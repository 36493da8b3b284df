/**
 * YAML output, loaded only when a command prints YAML (output.ts imports this module lazily). The
 * static import matters: in the bundled CLI a dynamic import('yaml') of that CommonJS package would
 * have a default export only.
 */
import {stringify} from 'yaml'

export function yamlText(value: unknown): string {
  return stringify(value, {lineWidth: 0})
}
