// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import layersPlugin from '@ssh/eslint-plugin-layers';

// Each workspace package is linted with its own type-checking project (tests included), so a
// package's lint loads one program, not every package's.
const root = import.meta.dirname;
const workspaceDirs = ['packages', 'apps', 'tooling']
  .filter((group) => existsSync(path.join(root, group)))
  .flatMap((group) => readdirSync(path.join(root, group)).map((d) => `${group}/${d}`))
  .filter((dir) => existsSync(path.join(root, dir, 'package.json')));
const projectFor = (dir) => (existsSync(path.join(root, dir, 'tsconfig.test.json')) ? `./${dir}/tsconfig.test.json` : `./${dir}/tsconfig.json`);

// Node modules a sans-I/O core may still use: hashing and ciphers are computation, not I/O.
const CORE_NODE_MODULES = ['node:crypto'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'tooling/eslint-plugin-layers/test/fixtures/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { tsconfigRootDir: root },
    },
    plugins: { layers: layersPlugin },
    rules: {
      'layers/layers': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...workspaceDirs.map((dir) => ({
    files: [`${dir}/**/*.ts`],
    languageOptions: { parserOptions: { project: [projectFor(dir)] } },
  })),
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Protocol cores are sans-I/O: Node I/O lives in src/node/** only.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/*/src/node/**', 'packages/asyncssh/src/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^node:(?!(${CORE_NODE_MODULES.map((m) => m.slice(5)).join('|')})$)`,
              message: 'protocol cores are sans-I/O: put Node I/O in src/node/**',
            },
          ],
        },
      ],
    },
  },
);
