/**
 * The cluster DNS forwarding stanza (reference/lighthouse.md §3.7): a block between marker lines,
 * prepended to the Corefile of kube-system/coredns, forwarding each Lighthouse zone to the
 * Lighthouse DNS Service.
 */

const START_MARKER = 'lighthouse-start'
const END_MARKER = 'lighthouse-end'

/** The server blocks that forward each domain to the Lighthouse DNS service. */
export function lighthouseServerBlocks(domains: string[], serviceIP: string, port = 53): string {
  return domains.map((domain) => `${domain}:${port} {\n    forward . ${serviceIP}\n}\n`).join('')
}

/** Removes a previously added Lighthouse section. */
export function removeLighthouseSection(corefile: string): string {
  const lines = corefile.split('\n')
  const start = lines.findIndex((line) => line.includes(START_MARKER))
  const end = lines.findIndex((line, index) => index >= start && line.includes(END_MARKER))
  if (start === -1 || end === -1) return corefile
  return [...lines.slice(0, start), ...lines.slice(end + 1)].join('\n')
}

/** Replaces the Lighthouse section; the port is the one the root server block listens on. */
export function withLighthouseSection(corefile: string, domains: string[], serviceIP: string): string {
  const base = removeLighthouseSection(corefile)
  const port = Number(/^\s*\.:(\d+)\s*\{/m.exec(base)?.[1] ?? 53)
  return `#${START_MARKER} AUTO-GENERATED SECTION. DO NOT EDIT\n${lighthouseServerBlocks(domains, serviceIP, port)}#${END_MARKER}\n${base}`
}
