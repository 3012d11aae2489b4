/**
 * Our client against tinysshd (Debian tinysshd 20230101), a minimal and strict server of its own:
 * curve25519-sha256 and sntrup761x25519-sha512@openssh.com, ssh-ed25519 host and user keys,
 * chacha20-poly1305@openssh.com, public-key authentication only. tinysshd runs one process per
 * connection on its stdio; @ssh/interop's startTinysshd() runs a loopback listener that starts one
 * per connection, in a mount namespace where a throwaway home (with our authorized_keys) is
 * bind-mounted on /root (see tooling/interop/src/tinyssh.ts).
 *
 * tinysshd serves one session channel per connection (a second is refused, "only one 'session'
 * channel allowed") and ends the connection when that session ends, so most tests here open a
 * connection of their own.
 */
import { defaultClientKey, generateKey, makeTempDir, removeTempDir, startTinysshd, type KeyPair, type TinysshdServer } from '@ssh/interop';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelOpenError, connect, type SSHClientConnectionOptions } from '../src/index.ts';
import { bounded } from './forward-helpers.ts';
import { throughCat } from './through-cat.ts';

let dir: string;
let tinysshd: TinysshdServer;
let knownHosts: string;
let clientKey: KeyPair;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function options(extra: SSHClientConnectionOptions = {}): SSHClientConnectionOptions {
  return { host: tinysshd.host, port: tinysshd.port, username: tinysshd.user, clientKeys: [clientKey.privateKeyPath], knownHosts, agentPath: null, config: null, ...extra };
}

/** What `connect(options(extra))` was rejected with (fails the test if it connected). */
async function refused(extra: SSHClientConnectionOptions): Promise<Error> {
  const outcome = await connect(options(extra)).then(
    (c) => {
      c.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
}

beforeAll(async () => {
  dir = await makeTempDir('tinyssh-server');
  clientKey = await defaultClientKey();
  tinysshd = await startTinysshd({ authorizedKeys: [clientKey.publicKey] });
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[${tinysshd.host}]:${tinysshd.port} ${tinysshd.hostPublicKey}\n`);
});

afterAll(async () => {
  await tinysshd?.stop();
  if (dir) await removeTempDir(dir);
});

describe("our client against tinysshd's server", () => {
  it('negotiates sntrup761x25519, ssh-ed25519 and chacha20-poly1305 by default, and runs a command with its exit status', async () => {
    await using c = await connect(options());
    expect(c.getExtraInfo('serverVersion')).toMatch(/tinyssh/i);
    expect(c.getExtraInfo('kex')).toBe('sntrup761x25519-sha512@openssh.com');
    expect(c.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519');
    expect(c.getExtraInfo('sendCipher')).toBe('chacha20-poly1305@openssh.com');
    expect(c.getExtraInfo('recvCipher')).toBe('chacha20-poly1305@openssh.com');
    const r = await c.run('echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitStatus: 3 });
  });

  for (const kex of ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'sntrup761x25519-sha512@openssh.com']) {
    it(`exchanges keys with ${kex}`, async () => {
      await using c = await connect(options({ kexAlgs: [kex] }));
      expect(c.getExtraInfo('kex')).toBe(kex);
      expect((await c.run('echo ok')).stdout).toBe('ok\n');
    });
  }

  it('feeds a few MiB of stdin to a command and gets its sha256 back', async () => {
    await using c = await connect(options());
    const data = randomBytes(3 * 1024 * 1024 + 11);
    const r = await c.run<Uint8Array>('sha256sum', { input: data, encoding: null });
    expect(Buffer.from(r.stdout ?? new Uint8Array(0)).toString().split(' ')[0]).toBe(sha256(data));
  });

  it('moves 4 MiB through cat both ways', async () => {
    await using c = await connect(options());
    const data = randomBytes(4 * 1024 * 1024 + 7);
    expect(sha256(await throughCat(c, data))).toBe(sha256(data));
  });

  it('gets 1 MiB of stderr apart from stdout', async () => {
    await using c = await connect(options());
    const r = await c.run<Uint8Array>('head -c 1048576 /dev/zero >&2; echo done', { encoding: null });
    expect(Buffer.from(r.stdout ?? new Uint8Array(0)).toString()).toBe('done\n');
    expect((r.stderr ?? new Uint8Array(0)).length).toBe(1024 * 1024);
  });

  it('allocates a pty with the terminal size asked and passes a window change', async () => {
    // stdin stays open until the command is done: tinysshd 20230101 uses one descriptor, the pty
    // master, for the channel's input and output, and on our EOF closes it, so the command loses
    // its terminal before it runs (it exits 111 with no output). OpenSSH's ssh does the same
    // there: `ssh -tt host cmd </dev/null` against tinysshd prints nothing either.
    await using c = await connect(options());
    const proc = await c.createProcess('tty; stty size; read x; stty size; echo "[$TERM]"', { termType: 'xterm', termSize: [100, 30] });
    expect((await bounded(proc.stdout.readline(), 15_000, 'tty')).trim()).toMatch(/^\/dev\/pts\/\d+$/);
    expect((await bounded(proc.stdout.readline(), 15_000, 'first size')).trim()).toBe('30 100');
    proc.changeTerminalSize(120, 40);
    await new Promise((r) => setTimeout(r, 300));
    proc.stdin.write('\n');
    const rest = await proc.wait({ timeout: 20 });
    expect(rest.exitStatus).toBe(0);
    expect(String(rest.stdout)).toContain('40 120');
    expect(String(rest.stdout)).toContain('[xterm]');
  });

  it('runs the command with the env it sends (tinysshd accepts env requests)', async () => {
    await using c = await connect(options());
    const r = await c.run('echo "[$TINYSSH_TEST_VAR]"', { env: { TINYSSH_TEST_VAR: 'from-env' } });
    expect(r).toMatchObject({ stdout: '[from-env]\n', exitStatus: 0 });
  });

  it('rekeys every 256 KiB under 4 MiB through cat', async () => {
    // Keepalives every second: tinysshd 20230101 runs a key exchange in a loop of its own, and
    // packets that arrived right behind our NEWKEYS stay in its input buffer until its main loop
    // next wakes (a socket read, the command's output, or its 60 s poll timeout). When the last of
    // our data and EOF come in just behind a NEWKEYS, cat waits for them and tinysshd waits on the
    // socket: the transfer stalls for a minute. Any later packet, as a keepalive, wakes it.
    await using c = await connect(options({ rekeyBytes: 256 * 1024, keepaliveInterval: 1 }));
    const data = randomBytes(4 * 1024 * 1024);
    expect(sha256(await throughCat(c, data))).toBe(sha256(data));
  });

  it('keeps an idle connection alive with keepalives tinysshd answers', async () => {
    await using c = await connect(options({ keepaliveInterval: 1, keepaliveCountMax: 2 }));
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await c.run('echo alive')).stdout).toBe('alive\n');
  });

  it('is refused a second session side by side, with a typed error, and the first one goes on', async () => {
    await using c = await connect(options());
    const first = await c.createProcess('sleep 0.5; echo first');
    const second = await c.createProcess('echo second').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(ChannelOpenError);
    expect(second).toMatchObject({ reasonCode: 1 });
    expect(String((second as Error).message)).toMatch(/only one 'session' channel/);
    expect(await first.wait({ timeout: 15 })).toMatchObject({ stdout: 'first\n', exitStatus: 0 });
  });

  it('ends the connection after its session, and we report it as closed', async () => {
    const c = await connect(options());
    expect((await c.run('echo once')).stdout).toBe('once\n');
    await bounded(c.waitClosed(), 15_000, 'close after the session');
    await expect(c.run('echo twice')).rejects.toThrow(/closed|lost/i);
  });

  it('runs many sessions one after another, a connection each', async () => {
    for (let i = 0; i < 10; i++) {
      await using c = await connect(options());
      expect((await c.run(`echo ${i}`)).stdout).toBe(`${i}\n`);
    }
  });

  it('fails clearly when no key exchange is shared', async () => {
    expect((await refused({ kexAlgs: ['diffie-hellman-group14-sha256'] })).message).toMatch(/no matching kex algorithm/);
  });

  it('fails clearly when no cipher is shared', async () => {
    expect((await refused({ encryptionAlgs: ['aes128-ctr'] })).message).toMatch(/cipher|encryption/i);
  });

  it('fails clearly when no host key algorithm is shared', async () => {
    expect((await refused({ serverHostKeyAlgs: ['rsa-sha2-256'] })).message).toMatch(/host key/i);
  });

  it('is refused with a key tinysshd does not take (ECDSA), as a permission error', async () => {
    const ecdsa = await generateKey('ecdsa-p256', { label: 'tinyssh-ecdsa' });
    expect((await refused({ clientKeys: [ecdsa.privateKeyPath] })).message).toMatch(/permission|auth/i);
  });

  it('refuses a host key known_hosts does not list', async () => {
    const other = join(dir, 'other_known_hosts');
    writeFileSync(other, `[${tinysshd.host}]:${tinysshd.port} ${clientKey.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    expect((await refused({ knownHosts: other })).message).toMatch(/host key/i);
  });
});
