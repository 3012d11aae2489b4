/**
 * listen() with an sshd_config file against OpenSSH's ssh (on 127.0.0.1, through the @ssh/interop
 * harness, which bounds and cleans up every process): Ciphers restricting what ssh can
 * negotiate, AuthorizedKeysFile with %u, Match User changing the methods for one user, RekeyLimit
 * re-keying in ssh's own log.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultClientKey, generateKey, runSsh, type KeyPair } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, listen, type SSHServerConnection, type SSHServerProcess } from '../src/index.ts';
import { Passwords, sshdConfigWriter } from './server-config-helpers.ts';

const hostKey = generatePrivateKey('ssh-ed25519');
const hostLine = new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim();
let dir: string;
let aliceKey: KeyPair;
let strangerKey: KeyPair;

beforeAll(async () => {
  [aliceKey, strangerKey] = await Promise.all([defaultClientKey(), generateKey('ed25519', { label: 'server-config-stranger' })]);
  dir = await mkdtemp(join(tmpdir(), 'server-config-interop-'));
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'keys', 'alice'), `${aliceKey.publicKey}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sshdConfig = sshdConfigWriter(() => dir);

/** Passwords are the user name followed by "-pw"; every connection is recorded. */
class Recording extends Passwords {
  static readonly seen: SSHServerConnection[] = [];
  override connectionMade(conn: SSHServerConnection): void {
    Recording.seen.push(conn);
  }
}

const blob = randomBytes(3 << 20).toString('hex'); // 6 MiB of text, incompressible enough

const handler = (p: SSHServerProcess): void => {
  if (p.command === 'blob') p.stdout.write(blob);
  else p.stdout.write(`${String(p.getExtraInfo('username'))} ran ${p.command ?? ''}\n`);
  p.exit(0);
};

const serve = async (config: string) => {
  const acceptor = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey], serverFactory: () => new Recording(), processFactory: handler, config });
  return { acceptor, target: { name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostLine] } };
};

describe('OpenSSH ssh against listen() with an sshd_config', () => {
  it('Ciphers restricts what ssh can negotiate', async () => {
    const { acceptor, target } = await serve(await sshdConfig('Ciphers aes192-ctr', `AuthorizedKeysFile ${dir}/keys/%u`));
    try {
      const r = await runSsh(target, 'x', { user: 'alice', identity: aliceKey });
      expect(r.stdout).toBe('alice ran x\n');
      expect(Recording.seen.at(-1)?.getExtraInfo('recvCipher')).toBe('aes192-ctr');
      const refused = await runSsh(target, 'x', { user: 'alice', identity: aliceKey, args: ['-c', 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com'], config: ['LogLevel INFO'], allowFailure: true });
      expect(refused.exitCode).toBe(255);
      expect(refused.stderr).toMatch(/no matching cipher found\. Their offer: aes192-ctr\r?\n/);
    } finally {
      await acceptor.waitClosed();
    }
  });

  it('AuthorizedKeysFile with %u and Match User password authentication', async () => {
    const { acceptor, target } = await serve(await sshdConfig('PasswordAuthentication no', `AuthorizedKeysFile ${dir}/keys/%u`, 'Match User bob', '  PasswordAuthentication yes'));
    try {
      expect((await runSsh(target, 'k', { user: 'alice', identity: aliceKey })).stdout).toBe('alice ran k\n');
      const stranger = await runSsh(target, 'k', { user: 'alice', identity: strangerKey, allowFailure: true });
      expect(stranger.exitCode).toBe(255);
      expect(stranger.stderr).toMatch(/Permission denied \(publickey\)/);
      expect((await runSsh(target, 'p', { user: 'bob', password: 'bob-pw', identity: null })).stdout).toBe('bob ran p\n');
      const alicePw = await runSsh(target, 'p', { user: 'alice', password: 'alice-pw', identity: null, allowFailure: true });
      expect(alicePw.exitCode).toBe(255);
      expect(alicePw.stderr).toMatch(/Permission denied \(publickey\)/);
    } finally {
      await acceptor.waitClosed();
    }
  });

  it('RekeyLimit makes our server re-key as ssh sees it', async () => {
    const count = async (config: string): Promise<number> => {
      const { acceptor, target } = await serve(config);
      try {
        const r = await runSsh(target, 'blob', { user: 'alice', identity: aliceKey, args: ['-vvv', '-o', 'RekeyLimit=default none'], timeoutMs: 60_000 });
        expect(r.stdout).toBe(blob);
        return r.stderr.match(/SSH2_MSG_KEXINIT received/g)?.length ?? 0;
      } finally {
        await acceptor.waitClosed();
      }
    };
    const keys = `AuthorizedKeysFile ${dir}/keys/%u`;
    expect(await count(await sshdConfig(keys))).toBe(1);
    expect(await count(await sshdConfig(keys, 'RekeyLimit 1M'))).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
