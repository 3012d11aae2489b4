/**
 * "npm install @ssh/keys" alone works: build and pack @ssh/wire, @ssh/crypto-native, @ssh/crypto
 * and @ssh/keys, install the tarballs into an empty project (from the local store first; the
 * registry only for metadata a clean CI store lacks, since a frozen-lockfile install never fetches
 * it), and use both entry points from plain Node. The native binding builds from the packed sources
 * where the project allows its install script (pnpm asks for that).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const PACKAGES = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ssh-keys-standalone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

test('packed @ssh/keys installs into an empty project and works', async () => {
  await run('pnpm', ['exec', 'tsc', '-b'], join(PACKAGES, 'keys'));
  const tgz = join(dir, 'tgz');
  for (const name of ['wire', 'crypto-native', 'crypto', 'keys']) await run('pnpm', ['pack', '--pack-destination', tgz], join(PACKAGES, name));
  const project = join(dir, 'project');
  await run('mkdir', ['-p', project], dir);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'standalone-check',
      private: true,
      type: 'module',
      dependencies: {
        '@ssh/keys': `file:${join(tgz, 'ssh-keys-0.0.0.tgz')}`,
        '@ssh/crypto-native': `file:${join(tgz, 'ssh-crypto-native-0.0.0.tgz')}`,
      },
      pnpm: {
        overrides: {
          '@ssh/wire': `file:${join(tgz, 'ssh-wire-0.0.0.tgz')}`,
          '@ssh/crypto': `file:${join(tgz, 'ssh-crypto-0.0.0.tgz')}`,
          '@ssh/crypto-native': `file:${join(tgz, 'ssh-crypto-native-0.0.0.tgz')}`,
        },
        // pnpm names a tarball dependency by its specifier when it approves its install script.
        onlyBuiltDependencies: ['@ssh/crypto-native@file:../tgz/ssh-crypto-native-0.0.0.tgz'],
      },
    }),
  );
  writeFileSync(
    join(project, 'check.mjs'),
    [
      "import { generatePrivateKey, importPrivateKey, createSshsig, validateSshsig } from '@ssh/keys';",
      "import { readPrivateKey } from '@ssh/keys/node';",
      "const key = generatePrivateKey('ecdsa-sha2-nistp256', { comment: 'standalone' });",
      "const back = importPrivateKey(key.exportPrivateKey('openssh', { passphrase: 'pw', rounds: 1 }), 'pw');",
      "if (!back.equals(key)) throw new Error('round trip failed');",
      "validateSshsig(createSshsig(key, 'm', 'file'), 'm', 'file');",
      "if (typeof readPrivateKey !== 'function') throw new Error('no node subpath');",
      "import { nativeStatus } from '@ssh/crypto-native';",
      "if (!nativeStatus().available) throw new Error(`native binding: ${nativeStatus().reason}`);",
      "console.log('standalone ok');",
    ].join('\n'),
  );
  await run('pnpm', ['install', '--prefer-offline', '--ignore-workspace'], project);
  expect((await run('node', ['check.mjs'], project)).trim()).toBe('standalone ok');
}, 600_000);
