import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// Layer boundaries (DESIGN §3, reference/aesthetics.md §5.2), enforced rather than hoped for.
const restrict = (patterns) => ({'no-restricted-imports': ['error', {patterns}]})

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'oclif.manifest.json', 'test/lab/go/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: globals.node},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
    },
  },
  {
    files: ['src/lib/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict([
      {group: ['node:fs', 'node:fs/*', 'node:net', 'node:child_process', 'node:http', 'node:https', 'node:dgram'], message: 'lib/ is pure: no I/O'},
      {group: ['**/cli/**', '**/commands/**', '**/services/**', '**/k8s/**', '**/agent/**'], message: 'lib/ depends on nothing of ours'},
      {group: ['@oclif/*', 'listr2', '@inquirer/*', 'chalk', '@kubernetes/*'], message: 'lib/ is pure'},
    ]),
  },
  {
    files: ['src/services/**/*.ts'],
    rules: restrict([
      {group: ['**/cli/**', '**/commands/**', '**/agent/**'], message: 'services know nothing of the UI or the agent'},
      {group: ['@oclif/*', 'listr2', '@inquirer/*', 'chalk'], message: 'services report through lib/reporter'},
    ]),
  },
  {
    files: ['src/k8s/**/*.ts'],
    rules: restrict([{group: ['**/cli/**', '**/commands/**', '**/services/**', '**/agent/**', '@oclif/*', 'listr2', '@inquirer/*'], message: 'k8s/ is a client, not UI'}]),
  },
  {
    files: ['src/agent/**/*.ts'],
    rules: restrict([{group: ['**/cli/**', '**/commands/**', '**/services/**', '@oclif/*', 'listr2', '@inquirer/*', 'chalk'], message: 'the agent bundle carries no CLI code'}]),
  },
  {
    // oclif's index loads all of oclif and checks the Node version with semver, ~14 ms of every
    // command (bench/startup): the CLI imports oclif by subpath (@oclif/core/flags, /command, ...).
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {paths: [{allowTypeImports: true, message: 'Import oclif by subpath, e.g. @oclif/core/flags: the index loads all of it', name: '@oclif/core'}]},
      ],
    },
  },
  {
    // CommonJS files: the bin, which Node starts faster as CommonJS (bin/run.cjs).
    files: ['**/*.cjs'],
    languageOptions: {sourceType: 'commonjs'},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  {
    // One way to build a client (src/k8s/clients.ts).
    ignores: ['src/k8s/clients.ts'],
    rules: {'no-restricted-syntax': ['error', {message: 'Build clients with src/k8s/clients.ts', selector: "NewExpression[callee.name='KubeClient']"}]},
  },
  {
    files: ['src/commands/**/*.ts'],
    rules: restrict([{group: ['**/agent/**', '@kubernetes/*'], message: 'commands call services'}]),
  },
)
