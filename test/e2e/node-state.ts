/**
 * What the agents may change on a node: interfaces, routes of every table, rules, iptables chains
 * and ipsets. Pod plumbing (veths, /32 routes) is left out, as pods come and go on their own.
 */
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {inNetns} from '../lab/sh.js'
import {ensureWorkdir, WORKDIR} from './workdir.js'

export const NODES = ['c1-control-plane', 'c1-worker', 'c2-control-plane', 'c2-worker']
const FILE = join(WORKDIR, 'node-state-before-join.json')

const inNode = (node: string, command: string[]) => inNetns(`lab-${node}`, command)

export interface NodeState {
  links: string[]
  routes: string[]
  rules: string[]
  chains: string[]
  ipsets: string[]
}

export function nodeState(node: string): NodeState {
  const links = inNode(node, ['ip', '-o', 'link', 'show'])
    .split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((name) => name && !name.startsWith('lp'))
    .sort()
  const routes = inNode(node, ['ip', '-4', 'route', 'show', 'table', 'all'])
    .split('\n')
    .filter((line) => line && !/ dev lp[0-9a-f]+ /.test(line) && !line.startsWith('local ') && !line.startsWith('broadcast '))
    .sort()
  const rules = inNode(node, ['ip', '-4', 'rule', 'show']).split('\n').filter(Boolean).sort()
  const chains = ['filter', 'nat', 'mangle'].flatMap((table) =>
    inNode(node, ['iptables-save', '-t', table])
      .split('\n')
      .filter((line) => line.startsWith(':') && !/^:KUBE-(SVC|SEP|EXT|FW|SVL)-/.test(line))
      .map((line) => `${table} ${line.split(' ')[0]}`),
  )
  const ipsets = inNode(node, ['ipset', 'list', '-n']).split('\n').filter(Boolean).sort()
  return {chains: chains.sort(), ipsets, links, routes, rules}
}

/** Taken once, before the first join; later files compare against it. */
export function saveStateBeforeJoin(): void {
  if (existsSync(FILE)) return
  ensureWorkdir()
  writeFileSync(FILE, JSON.stringify(Object.fromEntries(NODES.map((node) => [node, nodeState(node)])), null, 2))
}

export function stateBeforeJoin(): Record<string, NodeState> | undefined {
  return existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, NodeState>) : undefined
}
