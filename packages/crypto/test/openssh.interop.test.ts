/**
 * Key exchange, key derivation and packet protection against OpenSSH 9.2's sshd: for every kex,
 * cipher and MAC both support, a bare client (test/helpers/openssh-handshake.ts) completes the
 * exchange, checks sshd's signature over H, switches keys and gets SERVICE_ACCEPT back.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startSshd, type SshdServer } from '@ssh/interop';
import { createStandardRegistry } from '../src/index.ts';
import { handshake } from './helpers/openssh-handshake.ts';

const registry = createStandardRegistry();
const q = (what: string) => execFileSync('ssh', ['-Q', what], { encoding: 'utf8' }).trim().split('\n');
const ours = (kind: 'kex' | 'cipher' | 'mac', names: string[]) => names.filter((n) => registry.get(kind, n) !== undefined && registry.names(kind).includes(n));
const KEX = ours('kex', q('kex'));
const CIPHERS = ours('cipher', q('cipher'));
const MACS = ours('mac', q('mac'));

let sshd: SshdServer;
beforeAll(async () => {
  sshd = await startSshd({
    hostKeyTypes: ['ed25519'],
    logLevel: 'ERROR',
    config: [`KexAlgorithms ${q('kex').join(',')}`, `Ciphers ${q('cipher').join(',')}`, `MACs ${q('mac').join(',')}`],
  });
}, 30_000);
afterAll(async () => {
  await sshd?.stop();
});

describe.concurrent('against OpenSSH sshd', () => {
  it.each(KEX)('kex %s', async (kex) => {
    await handshake(registry, sshd.port, { kex, cipher: 'aes128-ctr', mac: 'hmac-sha2-256' });
  });

  it.each(CIPHERS)('cipher %s', async (cipher) => {
    await handshake(registry, sshd.port, { kex: 'curve25519-sha256', cipher, mac: 'hmac-sha2-256-etm@openssh.com' });
  });

  it.each(MACS)('mac %s', async (mac) => {
    await handshake(registry, sshd.port, { kex: 'curve25519-sha256', cipher: 'aes128-cbc', mac });
  });
});
