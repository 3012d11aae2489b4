// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layersPlugin from '@ssh/eslint-plugin-layers';

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
      parserOptions: {
        project: ['./packages/*/tsconfig.test.json', './apps/*/tsconfig.test.json', './tooling/*/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
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
