// @ts-check
/**
 * The package dependency table of DEVELOPERS.md, the one place it is written down as data.
 * A package may import only the workspace packages listed for it; tooling may import anything.
 * @module
 */

/** Workspace folder (relative to the repository root) of each package name. */
export const PACKAGE_DIRS = /** @type {const} */ ({
  '@ssh/wire': 'packages/wire',
  '@ssh/crypto-native': 'packages/crypto-native',
  '@ssh/crypto': 'packages/crypto',
  '@ssh/keys': 'packages/keys',
  '@ssh/config': 'packages/config',
  '@ssh/agent': 'packages/agent',
  '@ssh/sftp': 'packages/sftp',
  '@ssh/transport': 'packages/transport',
  '@ssh/connection': 'packages/connection',
  '@ssh/asyncssh': 'packages/asyncssh',
  '@ssh/cli': 'apps/cli',
  '@ssh/interop': 'tooling/interop',
  '@ssh/bench': 'tooling/bench',
  '@ssh/packaging': 'tooling/packaging',
  '@ssh/eslint-plugin-layers': 'tooling/eslint-plugin-layers',
});

/** @type {Readonly<Record<string, readonly string[]>>} */
export const ALLOWED_IMPORTS = {
  '@ssh/wire': [],
  '@ssh/crypto-native': [],
  '@ssh/crypto': ['@ssh/wire', '@ssh/crypto-native'],
  '@ssh/keys': ['@ssh/wire', '@ssh/crypto', '@ssh/crypto-native'],
  '@ssh/config': ['@ssh/wire'],
  '@ssh/agent': ['@ssh/wire', '@ssh/keys'],
  '@ssh/sftp': ['@ssh/wire'],
  '@ssh/transport': ['@ssh/wire', '@ssh/crypto', '@ssh/crypto-native', '@ssh/keys'],
  '@ssh/connection': ['@ssh/wire', '@ssh/crypto', '@ssh/keys', '@ssh/transport'],
  '@ssh/asyncssh': [
    '@ssh/wire',
    '@ssh/crypto',
    '@ssh/crypto-native',
    '@ssh/keys',
    '@ssh/config',
    '@ssh/agent',
    '@ssh/sftp',
    '@ssh/transport',
    '@ssh/connection',
  ],
  '@ssh/cli': ['@ssh/asyncssh'],
};

/** Tooling packages: usable by every package's tests, and free to import any package. */
export const TOOLING = ['@ssh/interop', '@ssh/bench', '@ssh/packaging', '@ssh/eslint-plugin-layers'];
