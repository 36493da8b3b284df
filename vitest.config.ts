import {BaseSequencer, type TestSpecification} from 'vitest/node'
import {defineConfig} from 'vitest/config'

/** The lab tiers build on each other (broker, then joins, then connectivity, ...): run them in path order. */
class PathOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId))
  }
}

// Three tiers (and the lab's Globalnet variant), chosen by path: `unit` needs nothing but Node; `envtest` needs the lab's built
// Kubernetes binaries and starts its own API servers; `lab` needs the lab (root, network
// namespaces) and runs one file at a time against it.
export default defineConfig({
  test: {
    // @oclif/test captures output itself.
    disableConsoleIntercept: true,
    env: {FORCE_COLOR: '0', NO_COLOR: '1'},
    // The sequencer is one per run (a project's own is ignored): path order for every project.
    sequence: {sequencer: PathOrder},
    projects: [
      {
        extends: true,
        test: {
          include: ['src/**/*.test.ts', 'test/commands/**/*.test.ts', 'test/unit/**/*.test.ts'],
          name: 'unit',
          testTimeout: 20_000,
        },
      },
      {
        // Services and reconcilers against real API servers without nodes (test/envtest/control-plane.ts).
        extends: true,
        test: {
          fileParallelism: false,
          hookTimeout: 120_000,
          include: ['test/envtest/**/*.test.ts'],
          name: 'envtest',
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          fileParallelism: false,
          hookTimeout: 600_000,
          include: ['test/lab/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          name: 'lab',
          sequence: {concurrent: false},
          testTimeout: 300_000,
        },
      },
      {
        // Globalnet needs a lab with c3, which overlaps c1: npm test brings one up for it alone.
        extends: true,
        test: {
          fileParallelism: false,
          hookTimeout: 1_500_000,
          include: ['test/globalnet/**/*.test.ts'],
          name: 'globalnet',
          sequence: {concurrent: false},
          testTimeout: 300_000,
        },
      },
    ],
  },
})
