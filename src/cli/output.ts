/**
 * Data output: upstream's table layout (reference/subctl.md §1.3), and the JSON/YAML documents of
 * `-o json|yaml`. Documents carry `apiVersion: subctl/v1` and a `kind` so their shape can evolve
 * without breaking scripts.
 */
import type {OutputFormat} from './flags.js'

export const OUTPUT_API_VERSION = 'subctl/v1'

export interface Column<Row> {
  header: string
  value: (row: Row) => string | number | boolean | string[] | undefined | null
  /** Values longer than this are truncated, as upstream's table printer does. */
  maxWidth?: number
}

/**
 * Upstream's table: the header row verbatim; each column as wide as its widest cell (capped at
 * maxWidth), left-aligned and padded by three spaces, the last column included; booleans as
 * yes/no, lists joined with ", ". An empty table prints nothing.
 */
export function renderTable<Row>(columns: Array<Column<Row>>, rows: Row[]): string {
  if (rows.length === 0) return ''
  const cells = rows.map((row) => columns.map((column) => truncate(cellText(column.value(row)), column.maxWidth)))
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((row) => [...(row[index] ?? '')].length)),
  )
  const line = (values: string[]) => values.map((value, index) => padEnd(value, (widths[index] ?? 0) + 3)).join('')
  return [line(columns.map((column) => column.header)), ...cells.map((row) => line(row))].join('\n') + '\n'
}

function cellText(value: string | number | boolean | string[] | undefined | null): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (Array.isArray(value)) return value.join(', ')
  return String(value)
}

function truncate(text: string, maxWidth: number | undefined): string {
  if (maxWidth === undefined) return text
  const characters = [...text]
  return characters.length > maxWidth ? characters.slice(0, maxWidth).join('') : text
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length))
}

/** A versioned document for -o json|yaml. */
/** Rows of cells as aligned columns; the first row is the header. */
export function renderGrid(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, index) => Math.max(...rows.map((row) => [...(row[index] ?? '')].length)))
  return rows.map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd()).join('\n') + '\n'
}

export function document<T extends object>(kind: string, body: T): {apiVersion: string; kind: string} & T {
  return {apiVersion: OUTPUT_API_VERSION, kind, ...body}
}

/** Serialises a document in the requested machine format. */
export async function serialize(format: Exclude<OutputFormat, 'table'>, data: unknown): Promise<string> {
  if (format === 'json') return JSON.stringify(data, null, 2) + '\n'
  const {yamlText} = await import('./yaml-text.js')
  return yamlText(data)
}

/** Dry-run output: every object a run would apply, as YAML documents headed by the cluster it is for. */
export async function renderPlanned(planned: Array<{cluster: string; object: object}>): Promise<string> {
  const {yamlText} = await import('./yaml-text.js')
  return planned.map((entry) => `---\n# cluster: ${entry.cluster}\n${yamlText(entry.object)}`).join('')
}
