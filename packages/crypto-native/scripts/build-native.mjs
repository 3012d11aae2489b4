// Builds the native binding with node-gyp. Run on install: it never fails the install, because
// the binding is optional (@ssh/crypto falls back to node:crypto without it). Set
// SSH_CRYPTO_NATIVE=0 to skip the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const strict = process.argv.includes('--strict'); // for development: fail when the build fails

if (process.env.SSH_CRYPTO_NATIVE === '0') {
  console.log('@ssh/crypto-native: SSH_CRYPTO_NATIVE=0, native build skipped');
  process.exit(0);
}

/** node-gyp as npm or pnpm provide it to install scripts, or npm's own copy. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const onPath = spawnSync('node-gyp', ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' });
  if (onPath.status === 0) return ['node-gyp'];
  if (existsSync(bundled)) return [process.execPath, bundled];
  return undefined;
}

/**
 * The running node's own headers when they are installed beside it and no nodedir is configured:
 * node-gyp would otherwise download them, which fails offline.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.join(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

const gyp = nodeGyp();
if (gyp === undefined) finish('node-gyp not found');
else {
  const [command, ...args] = gyp;
  const run = spawnSync(command, [...args, 'rebuild', ...nodedirArgs()], {
    cwd: root,
    encoding: 'utf8',
    timeout: 5 * 60_000,
    shell: process.platform === 'win32' && command === 'node-gyp',
  });
  if (run.status === 0) console.log('@ssh/crypto-native: native binding built (AES-GCM, chacha20-poly1305, zlib, socket options)');
  else finish(`${run.error?.message ?? `node-gyp exited with ${run.status}`}\n${`${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n').slice(-15).join('\n')}`);
}

function finish(reason) {
  console.warn(`@ssh/crypto-native: native build unavailable, node:crypto will be used (${reason.trim()})`);
  process.exit(strict ? 1 : 0);
}
