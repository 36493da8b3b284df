/**
 * Prompts, only on a terminal (stdin and stderr both TTYs); inquirer is loaded only when one is
 * asked. Prompts write to stderr, like all progress, so stdout stays data. Every prompt has a flag.
 */
import {clusterIdError} from '../lib/cluster-id.js'
import {parseCidr} from '../lib/cidr.js'
import type {JoinPrompts} from '../services/join.js'

export function isInteractive(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true
}

const context = {output: process.stderr}

export async function askInput(message: string, validate: (value: string) => true | string): Promise<string> {
  const {input} = await import('@inquirer/prompts')
  return input({message, validate: (value) => validate(value.trim())}, context)
}

export async function askSelect(message: string, choices: string[]): Promise<string> {
  const {select} = await import('@inquirer/prompts')
  return select({choices: choices.map((value) => ({name: value, value})), message}, context)
}

export async function askConfirm(message: string): Promise<boolean> {
  const {confirm} = await import('@inquirer/prompts')
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
