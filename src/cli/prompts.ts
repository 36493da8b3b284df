/**
 * Prompts, only on a terminal (stdin and stderr both TTYs); inquirer is loaded only when one is
 * asked, and only the prompt packages used (@inquirer/prompts would bring its editor prompt's
 * charset converter, a third of the CLI bundle). Prompts write to stderr, like all progress, so
 * stdout stays data. Every prompt has a flag.
 */
import {clusterIdError} from '../lib/cluster-id.js'
import {parseCidr} from '../lib/cidr.js'
import type {JoinPrompts} from '../services/join.js'

export function isInteractive(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true
}

const context = {output: process.stderr}

export async function askInput(message: string, validate: (value: string) => true | string): Promise<string> {
  const {default: input} = await import('@inquirer/input')
  return input({message, validate: (value) => validate(value.trim())}, context)
}

export async function askSelect(message: string, choices: string[]): Promise<string> {
  const {default: select} = await import('@inquirer/select')
  return select({choices: choices.map((value) => ({name: value, value})), message}, context)
}

export async function askConfirm(message: string): Promise<boolean> {
  const {default: confirm} = await import('@inquirer/confirm')
  return confirm({default: false, message}, context)
}

/** join's questions, or undefined without a terminal (join then says which flag to pass). */
export function joinPrompts(): JoinPrompts | undefined {
  if (!isInteractive()) return undefined
  return {
    cidr: (kind) => askInput(`What's the ${kind} CIDR for your cluster?`, (value) => (parseCidr(value) ? true : 'Enter a CIDR such as 10.8.0.0/16')),
    clusterId: () => askInput('What is your cluster ID?', (value) => clusterIdError(value) ?? true),
    gatewayNode: (candidates) => askSelect('Which node should be used as the gateway?', candidates),
  }
}
