import {describe, expect, it} from 'vitest'

import {renderTable, serialize} from './output.js'

describe('renderTable', () => {
  it('pads every column, the last included, to its widest cell plus three spaces', () => {
    const rows = [
      {cluster: 'cluster2', gw: 'cluster2-worker', nat: false, subnets: ['100.2.0.0/16', '10.2.0.0/16']},
      {cluster: 'c3', gw: 'g', nat: true, subnets: []},
    ]
    const text = renderTable(
      [
        {header: 'GATEWAY', maxWidth: 30, value: (row) => row.gw},
        {header: 'CLUSTER', value: (row) => row.cluster},
        {header: 'NAT', value: (row) => row.nat},
        {header: 'SUBNETS', value: (row) => row.subnets},
      ],
      rows,
    )
    expect(text.split('\n')).toEqual([
      'GATEWAY           CLUSTER    NAT   SUBNETS                     ',
      'cluster2-worker   cluster2   no    100.2.0.0/16, 10.2.0.0/16   ',
      'g                 c3         yes                               ',
      '',
    ])
  })

  it('truncates to the column maximum and prints nothing for no rows', () => {
    expect(renderTable([{header: 'N', maxWidth: 3, value: (row: string) => row}], ['abcdef'])).toBe('N     \nabc   \n')
    expect(renderTable([{header: 'N', value: (row: string) => row}], [])).toBe('')
  })
})

describe('serialize', () => {
  it('writes JSON and YAML documents', async () => {
    expect(await serialize('json', {a: [1]})).toBe('{\n  "a": [\n    1\n  ]\n}\n')
    expect(await serialize('yaml', {a: [1]})).toBe('a:\n  - 1\n')
  })
})
