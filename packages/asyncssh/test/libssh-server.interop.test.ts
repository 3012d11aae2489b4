/**
 * Our client (connect(), processes, SFTP, forwarding) against a server built on libssh
 * (libssh.org; Debian's libssh-dev 0.10.6 with OpenSSL, tooling/interop's libssh/libsshpeer.c
 * compiled by cc at test time, with libssh's server callbacks): host key checking with our
 * known_hosts, public key, password and keyboard-interactive authentication, every key exchange,
 * cipher and MAC both have, exec with exit status and stderr, stdin/stdout integrity, pty and
 * window change, env, SFTP (OpenSSH's sftp-server behind libssh's channel), direct-tcpip, and
 * rekeys started by either side.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  LIBSSH_CIPHERS,
  LIBSSH_HOST_KEY_ALGORITHMS,
  LIBSSH_KEX,
  LIBSSH_MACS,
  generateKey,
  knownHostsLines,
  makeTempDir,
  removeTempDir,
  startLibsshServer,
  type KeyPair,
  type LibsshServer,
} from '@ssh/interop';
import { logPeersOnFailure } from '@ssh/interop/vitest';
import type { TransportEvent } from '@ssh/transport';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChannelOpenError, HostKeyNotVerifiable, PermissionDenied, SSHClientConnection, connect, type SSHClientConnectionOptions } from '../src/index.ts';
import { expectLocalPortForward, expectPasswordAuth, foreignServerOptions, kbdintAnswering, sha256sumThenCat, strangerKnownHosts } from './foreign-server-client.ts';
import { startEcho, type EchoServer } from './forward-helpers.ts';

logPeersOnFailure();

let server: LibsshServer;
let rekeying: LibsshServer;
let hostKeys: Record<'ed25519' | 'p256' | 'rsa', KeyPair>;
let clientKeys: Record<'ed25519' | 'ecdsa' | 'rsa', KeyPair>;
let echo: EchoServer;
let work: string;

// Key exchanges our client connections completed (the first and every rekey).
let kexCompleted = 0;
const clientEvents = SSHClientConnection.prototype as unknown as { handleTransportEvent(e: TransportEvent): void };
const original = clientEvents.handleTransportEvent;
vi.spyOn(clientEvents, 'handleTransportEvent').mockImplementation(function (this: unknown, e: TransportEvent) {
  if (e.type === 'kex-complete') kexCompleted++;
  original.call(this, e);
});

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  const [cEd, cEc, cRsa, hEd, h256, hRsa] = await Promise.all([
    generateKey('ed25519', { label: 'libssh-server-client' }),
    generateKey('ecdsa-p256', { label: 'libssh-server-client' }),
    generateKey('rsa', { label: 'libssh-server-client' }),
    generateKey('ed25519', { label: 'libssh-server-host' }),
    generateKey('ecdsa-p256', { label: 'libssh-server-host' }),
    generateKey('rsa', { label: 'libssh-server-host' }),
  ]);
  clientKeys = { ed25519: cEd, ecdsa: cEc, rsa: cRsa };
  hostKeys = { ed25519: hEd, p256: h256, rsa: hRsa };
  // Every algorithm libssh 0.10 knows, named so that its server offers the ones it leaves out by default.
  const common = {
    authorizedKeys: [cEd, cEc, cRsa],
    hostKeys: [hEd, h256, hRsa],
    password: 'pw-tester',
    kex: LIBSSH_KEX,
    hostKeyAlgorithms: LIBSSH_HOST_KEY_ALGORITHMS,
    ciphers: LIBSSH_CIPHERS,
    macs: LIBSSH_MACS,
  };
  [server, rekeying] = await Promise.all([startLibsshServer(common), startLibsshServer({ ...common, rekeyData: 256 * 1024 })]);
  echo = await startEcho();
  work = await makeTempDir('libssh-server-test');
  writeFileSync(path.join(work, 'known_hosts'), [...knownHostsLines(server), ...knownHostsLines(rekeying)].join('\n') + '\n');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rekeying?.stop();
  await echo?.close();
  if (work) await removeTempDir(work);
});

function options(extra: Partial<SSHClientConnectionOptions> = {}, target: LibsshServer = server): SSHClientConnectionOptions {
  return foreignServerOptions(target, clientKeys.ed25519, path.join(work, 'known_hosts'), extra);
}

describe('our client against a libssh server: host keys and authentication', () => {
  it.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa'])('verifies its %s host key against our known_hosts', async (alg) => {
    await using conn = await connect(options({ serverHostKeyAlgs: [alg] }));
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe(alg);
    expect((await conn.run('echo hello', { encoding: 'utf-8' })).stdout).toBe('hello\n');
  });

  it('refuses the server when our known_hosts has another key for it', async () => {
    const file = await strangerKnownHosts(server, path.join(work, 'known_hosts_wrong'), 'libssh-server-stranger');
    await expect(connect(options({ knownHosts: file, serverHostKeyAlgs: ['ssh-ed25519'] }))).rejects.toBeInstanceOf(HostKeyNotVerifiable);
  });

  it.each([
    ['ssh-ed25519', 'ed25519', 'ssh-ed25519'],
    ['ecdsa-sha2-nistp256', 'ecdsa', 'ecdsa-sha2-nistp256'],
    ['rsa-sha2-256', 'rsa', 'ssh-rsa'],
    ['rsa-sha2-512', 'rsa', 'ssh-rsa'],
  ] as const)('authenticates with a key signing with %s', async (alg, kind, keyType) => {
    await using conn = await connect(options({ clientKeys: [clientKeys[kind].privateKeyPath], signatureAlgs: [alg] }));
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect((await conn.run('echo in', { encoding: 'utf-8' })).stdout).toBe('in\n');
    await server.process.waitForOutput(`auth publickey tester ${keyType} accepted`, { stream: 'stderr', timeoutMs: 5_000 });
  });

  it('tries a refused key, then the right one', async () => {
    const stranger = await generateKey('ed25519', { label: 'libssh-server-stranger-key' });
    await using conn = await connect(options({ clientKeys: [stranger.privateKeyPath, clientKeys.ecdsa.privateKeyPath] }));
    expect((await conn.run('echo in', { encoding: 'utf-8' })).stdout).toBe('in\n');
  });

  it('is refused with no key it accepts and no other method', async () => {
    const stranger = await generateKey('ed25519', { label: 'libssh-server-stranger-key' });
    await expect(connect(options({ clientKeys: [stranger.privateKeyPath], preferredAuth: ['publickey'] }))).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('authenticates with a password, and is refused a wrong one', async () => {
    await expectPasswordAuth(options, 'pw-tester');
  });

  it('answers its two keyboard-interactive questions, and is refused wrong answers', async () => {
    const seen: unknown[] = [];
    await using conn = await connect(options({ clientKeys: null, preferredAuth: ['keyboard-interactive'], clientFactory: kbdintAnswering(seen, ['pw-tester', 'blue']) }));
    expect(conn.getExtraInfo('authMethod')).toBe('keyboard-interactive');
    expect(seen[0]).toEqual(['Two questions', 'Answer both', [['Code: ', false], ['Colour: ', true]]]);
    expect((await conn.run('echo in', { encoding: 'utf-8' })).stdout).toBe('in\n');
    await server.process.waitForOutput('auth keyboard-interactive tester accepted', { stream: 'stderr', timeoutMs: 5_000 });
    await expect(connect(options({ clientKeys: null, preferredAuth: ['keyboard-interactive'], clientFactory: kbdintAnswering([], ['pw-tester', 'red']) }))).rejects.toBeInstanceOf(PermissionDenied);
  });
});

describe('our client against a libssh server: algorithms', () => {
  // libssh 0.10's default cipher lists end in a comma ("...,aes128-ctr,"): the empty name is
  // ignored, as ssh and AsyncSSH's client ignore it.
  it("connects with both sides' default algorithm lists", async () => {
    const plain = await startLibsshServer({ authorizedKeys: [clientKeys.ed25519], hostKeys: [hostKeys.ed25519, hostKeys.p256, hostKeys.rsa] });
    try {
      await using conn = await connect(options({ knownHosts: null }, plain));
      expect(conn.getExtraInfo('kex')).toBe('curve25519-sha256');
      expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe('ssh-ed25519');
      expect((await conn.run('echo in', { encoding: 'utf-8' })).stdout).toBe('in\n');
      await plain.process.waitForOutput(/kex curve25519-sha256 cipher (\S+) \1 /, { stream: 'stderr', timeoutMs: 5_000 });
    } finally {
      await plain.stop();
    }
  });

  const algo = async (extra: Partial<SSHClientConnectionOptions>) => {
    await using conn = await connect(options(extra));
    const data = randomBytes(300_000);
    const r = await conn.run<Uint8Array>('cat', { input: data, encoding: null });
    return {
      ok: r.stdout !== undefined && sha(r.stdout) === sha(data),
      kex: conn.getExtraInfo('kex'),
      cipher: [conn.getExtraInfo('sendCipher'), conn.getExtraInfo('recvCipher')],
      mac: [conn.getExtraInfo('sendMac'), conn.getExtraInfo('recvMac')],
    };
  };

  it.each(LIBSSH_KEX)('exchanges keys with %s', async (kex) => {
    expect(await algo({ kexAlgs: [kex] })).toMatchObject({ ok: true, kex });
  });

  it.each(LIBSSH_CIPHERS)('encrypts with %s', async (cipher) => {
    expect(await algo({ encryptionAlgs: [cipher] })).toMatchObject({ ok: true, cipher: [cipher, cipher] });
    await server.process.waitForOutput(`cipher ${cipher} ${cipher} `, { stream: 'stderr', timeoutMs: 5_000 });
  });

  it.each(LIBSSH_MACS)('authenticates packets with %s', async (mac) => {
    expect(await algo({ encryptionAlgs: ['aes128-ctr'], macAlgs: [mac] })).toMatchObject({ ok: true, mac: [mac, mac] });
    await server.process.waitForOutput(`hmac ${mac} ${mac}\n`, { stream: 'stderr', timeoutMs: 5_000 });
  });
});

describe('our client against a libssh server: compression', () => {
  // Its server offers "none,zlib@openssh.com" (not plain zlib).
  it.each(['zlib@openssh.com'])('compresses with %s, which its server offers by default', async (compression) => {
    await using conn = await connect(options({ compressionAlgs: [compression] }));
    expect([conn.getExtraInfo('sendCompression'), conn.getExtraInfo('recvCompression')]).toEqual([compression, compression]);
    const data = randomBytes(1 << 20);
    const echoed = await conn.run<Uint8Array>('cat', { input: data, encoding: null });
    expect([echoed.exitStatus, sha(echoed.stdout ?? new Uint8Array())]).toEqual([0, sha(data)]);
  });
});

describe('our client against a libssh server: sessions', () => {
  it('runs a command with its exit status and stderr', async () => {
    await using conn = await connect(options());
    const r = await conn.run('echo out; echo err >&2; exit 3', { encoding: 'utf-8' });
    expect([r.stdout, r.stderr, r.exitStatus]).toEqual(['out\n', 'err\n', 3]);
    expect((await conn.run('true')).exitStatus).toBe(0);
  });

  it('sends 6 MiB through stdin and gets the same bytes back intact', async () => {
    await using conn = await connect(options());
    const data = randomBytes(6 * 1024 * 1024 + 333);
    const echoed = await sha256sumThenCat(conn, data);
    expect([echoed.exitStatus, echoed.stdout?.length, sha(echoed.stdout ?? new Uint8Array())]).toEqual([0, data.length, sha(data)]);
  }, 60_000);

  it('asks for a pty with a terminal size and sends a window change', async () => {
    await using conn = await connect(options());
    const proc = await conn.createProcess('echo "$TERM $(stty size)"; read line; stty size', { termType: 'xterm-256color', termSize: [101, 31], encoding: 'utf-8' });
    expect(await proc.stdout.readline()).toBe('xterm-256color 31 101\r\n');
    proc.changeTerminalSize(132, 43);
    await server.process.waitForOutput('window-change 132x43', { stream: 'stderr', timeoutMs: 5_000 });
    proc.stdin.write('\n');
    expect(await proc.stdout.readline()).toBe('\r\n');
    expect(await proc.stdout.readline()).toBe('43 132\r\n');
    expect((await proc.wait()).exitStatus).toBe(0);
  });

  it('sends environment variables', async () => {
    await using conn = await connect(options());
    const r = await conn.run('printf "%s|%s" "$LIBSSH_ONE" "$LIBSSH_TWO"', { env: { LIBSSH_ONE: 'first', LIBSSH_TWO: 'with space' }, encoding: 'utf-8' });
    expect(r.stdout).toBe('first|with space');
  });

  it('runs the SFTP client over its sftp subsystem: mkdir, put, stat, readdir, get, rename, remove', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    const dir = path.join(work, 'sftp');
    const local = path.join(work, 'sftp-local.bin');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(local, data);
    await sftp.mkdir(dir);
    await sftp.put(local, path.join(dir, 'up.bin'));
    expect((await sftp.stat(path.join(dir, 'up.bin'))).size).toBe(data.length);
    expect((await sftp.readdir(dir)).map((name) => name.filename).sort()).toEqual(['.', '..', 'up.bin']);
    await sftp.get(path.join(dir, 'up.bin'), `${local}.back`);
    expect(sha(readFileSync(`${local}.back`))).toBe(sha(data));
    await sftp.rename(path.join(dir, 'up.bin'), path.join(dir, 'moved.bin'));
    expect(await sftp.exists(path.join(dir, 'up.bin'))).toBe(false);
    await sftp.remove(path.join(dir, 'moved.bin'));
    await sftp.rmdir(dir);
    expect(await sftp.exists(dir)).toBe(false);
    await sftp.exit();
    await server.process.waitForOutput('subsystem sftp', { stream: 'stderr', timeoutMs: 5_000 });
  }, 60_000);
});

describe('our client against a libssh server: forwarding, rekey', () => {
  it('forwards a local port through direct-tcpip', async () => {
    await using conn = await connect(options());
    await expectLocalPortForward(conn, echo.port);
    await server.process.waitForOutput(`direct-tcpip 127.0.0.1:${echo.port}`, { stream: 'stderr', timeoutMs: 5_000 });
  });

  it('is refused a direct-tcpip channel to a closed port with a typed error, and goes on', async () => {
    const closed = await startEcho();
    const deadPort = closed.port;
    await closed.close();
    await using conn = await connect(options());
    const err = await conn.openConnection('127.0.0.1', deadPort).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelOpenError);
    // libssh's default reply to a channel open it was not told to accept.
    expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED);
    expect((await conn.run('echo after', { encoding: 'utf-8' })).stdout).toBe('after\n');
  });

  it('rekeys every 256 KiB in the middle of a 4 MiB round trip', async () => {
    await using conn = await connect(options({ rekeyBytes: 256 * 1024 }));
    kexCompleted = 0;
    const data = randomBytes(4 * 1024 * 1024);
    const echoed = await conn.run<Uint8Array>('cat', { input: data, encoding: null });
    expect(sha(echoed.stdout ?? new Uint8Array())).toBe(sha(data));
    expect(kexCompleted).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it.each([['chacha20-poly1305@openssh.com'], ['aes128-gcm@openssh.com'], ['aes256-ctr']])(
    'keeps 4 MiB each way intact across rekeys the libssh server starts every 256 KiB (%s)',
    async (cipher) => {
      await using conn = await connect(options({ encryptionAlgs: [cipher] }, rekeying));
      kexCompleted = 0;
      const data = randomBytes(4 * 1024 * 1024);
      const echoed = await conn.run<Uint8Array>('cat', { input: data, encoding: null });
      expect([echoed.exitStatus, sha(echoed.stdout ?? new Uint8Array())]).toEqual([0, sha(data)]);
      expect((await conn.run('echo after', { encoding: 'utf-8' })).stdout).toBe('after\n');
      expect(kexCompleted).toBeGreaterThanOrEqual(2);
    },
    60_000,
  );
});
