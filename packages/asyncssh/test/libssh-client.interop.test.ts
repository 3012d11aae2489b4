/**
 * Our server (listen() with a processFactory, SFTP and forwarding) against the client of libssh
 * (libssh.org; Debian's libssh-dev 0.10.6 with OpenSSL, tooling/interop's libssh/libsshpeer.c
 * compiled by cc at test time): an SSH implementation of its own, with its own key exchanges,
 * ciphers, MACs, known_hosts checking, authentication, channels, SFTP client and rekeying
 * (SSH_OPTIONS_REKEY_DATA).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  LIBSSH_CIPHERS,
  startAsyncsshServer,
  startSshd,
  LIBSSH_HOST_KEY_ALGORITHMS,
  LIBSSH_KEX,
  LIBSSH_MACS,
  buildLibsshPeer,
  generateKey,
  makeTempDir,
  removeTempDir,
  runLibsshClient,
  type KeyPair,
  type LibsshClientOptions,
  type LibsshExecResult,
  type LibsshLocalResult,
  type LibsshSftpResult,
} from '@ssh/interop';
import { logPeersOnFailure } from '@ssh/interop/vitest';
import type { TransportEvent } from '@ssh/transport';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SSHServerConnection, TerminalSizeChanged, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { ForeignClientServer, foreignClientListenOptions, withOwnServer } from './foreign-client-server.ts';
import { startEcho, type EchoServer } from './forward-helpers.ts';
import { answerPeerCommand } from './peer-commands.ts';

logPeersOnFailure();

type HostKind = 'ed25519' | 'p256' | 'p384' | 'p521' | 'rsa';
let acceptor: SSHAcceptor;
let rsa256Only: SSHAcceptor;
let rsa512Only: SSHAcceptor;
let hostKeys: Record<HostKind, KeyPair>;
let clientKeys: Record<'ed25519' | 'ecdsa' | 'rsa', KeyPair>;
let echo: EchoServer;
let work: string;
const forwardRequests: string[] = [];
const encoder = new TextEncoder();

// Key exchanges our server connections completed (the first and every rekey).
let kexCompleted = 0;
const serverEvents = SSHServerConnection.prototype as unknown as { handleTransportEvent(e: TransportEvent): void };
const original = serverEvents.handleTransportEvent;
vi.spyOn(serverEvents, 'handleTransportEvent').mockImplementation(function (this: unknown, e: TransportEvent) {
  if (e.type === 'kex-complete') kexCompleted++;
  original.call(this, e);
});

/** The foreign clients' server, letting direct-tcpip through only to the echo server, and refusing tcpip-forward as SSHServer does. */
class LibsshFacingServer extends ForeignClientServer {
  override connectionRequested(destHost: string, destPort: number): boolean {
    this.forwardRequests.push(`open ${destHost}:${destPort}`);
    return destHost === '127.0.0.1' && destPort === echo.port;
  }

  override serverRequested(): boolean {
    return false;
  }
}

async function handler(process: SSHServerProcess<Uint8Array>): Promise<void> {
  const command = process.command ?? '';
  const say = (text: string): void => {
    process.stdout.write(encoder.encode(text));
  };
  if (await answerPeerCommand(process, command)) return;
  if (command === 'cat') {
    for await (const chunk of process.stdin) {
      process.stdout.write(chunk);
      await process.stdout.drain();
    }
    process.exit(0);
  } else if (command === 'algorithms') {
    say(`${['kex', 'serverHostKeyAlgorithm', 'recvCipher', 'recvMac', 'sendCipher', 'sendMac', 'recvCompression', 'sendCompression'].map((name) => String(process.getExtraInfo(name))).join(' ')}\n`);
    process.exit(0);
  } else if (command === 'pty') {
    // The terminal, then each window change, until stdin ends.
    say(`pty ${process.termType ?? 'none'} ${process.termSize[0]}x${process.termSize[1]}\n`);
    for (;;) {
      try {
        if ((await process.stdin.read(4096)).length === 0) break;
      } catch (error) {
        if (!(error instanceof TerminalSizeChanged)) throw error;
        say(`resized ${error.width}x${error.height}\n`);
      }
    }
    process.exit(0);
  } else {
    say(`ran: ${command}\n`);
    process.exit(0);
  }
}

beforeAll(async () => {
  // The build (a second or two) under the hook's bound, not the first test's.
  const [, hEd, h256, h384, h521, hRsa, cEd, cEc, cRsa] = await Promise.all([
    buildLibsshPeer(),
    generateKey('ed25519', { label: 'libssh-host' }),
    generateKey('ecdsa-p256', { label: 'libssh-host' }),
    generateKey('ecdsa-p384', { label: 'libssh-host' }),
    generateKey('ecdsa-p521', { label: 'libssh-host' }),
    generateKey('rsa', { label: 'libssh-host' }),
    generateKey('ed25519', { label: 'libssh-client' }),
    generateKey('ecdsa-p256', { label: 'libssh-client' }),
    generateKey('rsa', { label: 'libssh-client' }),
  ]);
  hostKeys = { ed25519: hEd, p256: h256, p384: h384, p521: h521, rsa: hRsa };
  clientKeys = { ed25519: cEd, ecdsa: cEc, rsa: cRsa };
  echo = await startEcho();
  work = await makeTempDir('libssh-client-test');
  const common = {
    serverFactory: () => new LibsshFacingServer(forwardRequests),
    ...foreignClientListenOptions(Object.values(hostKeys), [cEd, cEc, cRsa], handler),
    lineEditor: false,
    sftpFactory: true,
    // Every algorithm libssh 0.10 knows, legacy ones included, named so that our server offers
    // the ones it leaves out by default.
    kexAlgs: LIBSSH_KEX,
    encryptionAlgs: LIBSSH_CIPHERS,
    macAlgs: LIBSSH_MACS,
    signatureAlgs: LIBSSH_HOST_KEY_ALGORITHMS,
    compressionAlgs: ['zlib@openssh.com', 'zlib', 'none'],
  } as const;
  [acceptor, rsa256Only, rsa512Only] = await Promise.all([
    listen('127.0.0.1', 0, common),
    listen('127.0.0.1', 0, { ...common, signatureAlgs: ['ssh-ed25519', 'rsa-sha2-256'] }),
    listen('127.0.0.1', 0, { ...common, signatureAlgs: ['ssh-ed25519', 'rsa-sha2-512'] }),
  ]);
}, 120_000);

afterAll(async () => {
  for (const server of [acceptor, rsa256Only, rsa512Only]) {
    server?.close();
    await server?.waitClosed();
  }
  await echo?.close();
  if (work) await removeTempDir(work);
});

const ours = (server: SSHAcceptor = acceptor, keys: readonly KeyPair[] = Object.values(hostKeys)) => ({
  name: 'ours',
  host: '127.0.0.1',
  port: server.getPort(),
  user: 'libsshuser',
  hostPublicKeys: keys.map((key) => key.publicKey),
});

function libssh(options: Partial<LibsshClientOptions> = {}) {
  return runLibsshClient({ target: ours(), identity: clientKeys.ed25519, timeoutMs: 25_000, ...options });
}

const exec = (r: { actions: readonly unknown[] }, index = 0): LibsshExecResult => r.actions[index] as LibsshExecResult;

describe('libssh client: authentication and host keys', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('authenticates with an %s key', async (kind) => {
    const r = await libssh({ identity: clientKeys[kind], actions: [{ op: 'exec', command: 'user' }] });
    expect(r.authMethod).toBe('publickey');
    expect(exec(r)).toMatchObject({ stdout: 'libsshuser\n', exitStatus: 0, error: null });
  });

  it.each([
    ['rsa-sha2-256', () => rsa256Only],
    ['rsa-sha2-512', () => rsa512Only],
  ] as const)('signs with %s, the one RSA signature our server accepts', async (algorithm, server) => {
    const r = await libssh({ target: ours(server()), identity: clientKeys.rsa, publicKeyAlgorithms: [algorithm], actions: [{ op: 'exec', command: 'user' }] });
    expect(r.authMethod).toBe('publickey');
    expect(exec(r).stdout).toBe('libsshuser\n');
    // The other SHA-2 signature is refused by that server.
    const other = algorithm === 'rsa-sha2-256' ? 'rsa-sha2-512' : 'rsa-sha2-256';
    const refused = await libssh({ target: ours(server()), identity: clientKeys.rsa, publicKeyAlgorithms: [other], allowFailure: true });
    expect(refused.exitCode).toBe(1);
    expect(refused.error).toMatch(/authentication failed/);
  });

  it('signs with ssh-rsa (SHA-1) when told to, accepted where signatureAlgs lists it and refused where not', async () => {
    const ok = await libssh({ identity: clientKeys.rsa, publicKeyAlgorithms: ['ssh-rsa'], actions: [{ op: 'exec', command: 'user' }] });
    expect(ok.authMethod).toBe('publickey');
    expect(exec(ok).stdout).toBe('libsshuser\n');
    const refused = await libssh({ target: ours(rsa256Only), identity: clientKeys.rsa, publicKeyAlgorithms: ['ssh-rsa'], allowFailure: true });
    expect(refused.exitCode).toBe(1);
    expect(refused.error).toMatch(/authentication failed/);
  });

  it('is refused a key our server does not list', async () => {
    const stranger = await generateKey('ed25519', { label: 'libssh-stranger-user' });
    const r = await libssh({ identity: stranger, allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.error).toMatch(/authentication failed/);
  });

  it('authenticates with a password and is refused a wrong one', async () => {
    const ok = await libssh({ identity: null, password: 'sesame', actions: [{ op: 'exec', command: 'user' }] });
    expect(ok.authMethod).toBe('password');
    expect(exec(ok)).toMatchObject({ stdout: 'libsshuser\n', exitStatus: 0 });
    const bad = await libssh({ identity: null, password: 'wrong', allowFailure: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.error).toMatch(/authentication failed/);
  });

  it('answers keyboard-interactive prompts, and is refused wrong answers', async () => {
    const ok = await libssh({ identity: null, kbdintAnswers: ['sesame', 'blue'], actions: [{ op: 'exec', command: 'user' }] });
    expect(ok.authMethod).toBe('keyboard-interactive');
    expect(exec(ok)).toMatchObject({ stdout: 'libsshuser\n', exitStatus: 0 });
    expect(ok.challenges).toEqual([
      {
        name: 'Two questions',
        instruction: 'Answer both',
        prompts: [
          { prompt: 'Code: ', echo: false },
          { prompt: 'Colour: ', echo: true },
        ],
      },
    ]);
    const bad = await libssh({ identity: null, kbdintAnswers: ['sesame', 'red'], allowFailure: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.error).toMatch(/authentication failed/);
  });

  it.each([
    ['ssh-ed25519', 'ed25519', 'ssh-ed25519'],
    ['ecdsa-sha2-nistp256', 'p256', 'ecdsa-sha2-nistp256'],
    ['ecdsa-sha2-nistp384', 'p384', 'ecdsa-sha2-nistp384'],
    ['ecdsa-sha2-nistp521', 'p521', 'ecdsa-sha2-nistp521'],
    ['rsa-sha2-256', 'rsa', 'ssh-rsa'],
    ['rsa-sha2-512', 'rsa', 'ssh-rsa'],
    ['ssh-rsa', 'rsa', 'ssh-rsa'],
  ] as const)('passes libssh known_hosts checking with the %s host key', async (algorithm, kind, keyType) => {
    const r = await libssh({ target: ours(acceptor, [hostKeys[kind]]), hostKeyAlgorithms: [algorithm], actions: [{ op: 'exec', command: 'algorithms' }] });
    expect(r.hostKeyType).toBe(keyType);
    expect(exec(r).stdout.split(' ')[1]).toBe(algorithm);
  });

  it('is refused by libssh for a host key its known_hosts lists differently', async () => {
    const stranger = await generateKey('ed25519', { label: 'libssh-stranger' });
    const r = await libssh({ target: ours(acceptor, [stranger]), hostKeyAlgorithms: ['ssh-ed25519'], allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.error).toBe('host key not accepted: changed');
  });

  it('shows our pre-authentication banner (ssh_get_issue_banner)', async () => {
    await withOwnServer({ ...foreignClientListenOptions([hostKeys.ed25519], [clientKeys.ed25519], handler), banner: 'Welcome, Grüße ☃\nSecond line\n' }, async (bannered) => {
      const r = await libssh({ target: ours(bannered, [hostKeys.ed25519]), actions: [{ op: 'exec', command: 'user' }] });
      expect(r.banner).toBe('Welcome, Grüße ☃\nSecond line\n');
      expect(exec(r).stdout).toBe('libsshuser\n');
    });
  });
});

describe('libssh client: algorithms', () => {
  it("is served with its default KEXINIT, whose cipher name-lists end in a comma (the empty name ignored, as sshd does)", async () => {
    const r = await libssh({ actions: [{ op: 'exec', command: 'user' }] });
    expect(r.cipherIn).toBe('chacha20-poly1305@openssh.com');
    expect(exec(r)).toMatchObject({ stdout: 'libsshuser\n', exitStatus: 0 });
  });

  it.each([
    ['sshd', startSshd],
    ['AsyncSSH', startAsyncsshServer],
  ] as const)("%s, for comparison, accepts libssh's default KEXINIT (its cipher name-lists end in a comma)", async (_name, start) => {
    const server = await start({ authorizedKeys: [clientKeys.ed25519] });
    try {
      const r = await runLibsshClient({ target: server, identity: clientKeys.ed25519, actions: [{ op: 'exec', command: 'echo ok' }] });
      expect(r.cipherIn).toBe('chacha20-poly1305@openssh.com');
      expect(exec(r)).toMatchObject({ stdout: 'ok\n', exitStatus: 0 });
    } finally {
      await server.stop();
    }
  });


  const negotiated = async (choice: Partial<LibsshClientOptions>) => {
    const r = await libssh({ ...choice, actions: [{ op: 'exec', command: 'algorithms' }, { op: 'exec', command: 'sha256', stdinRandom: 300_000 }] });
    const hashed = exec(r, 1);
    expect(hashed.stdout).toBe(`300000 ${hashed.stdinSha256}\n`);
    const [kex, hostKey, recvCipher, recvMac, sendCipher, sendMac, recvCompression, sendCompression] = exec(r).stdout.trim().split(' ');
    return {
      libssh: { kex: r.kex, cipherIn: r.cipherIn, cipherOut: r.cipherOut, hmacIn: r.hmacIn, hmacOut: r.hmacOut },
      ours: { kex, hostKey, recvCipher, recvMac, sendCipher, sendMac, recvCompression, sendCompression },
    };
  };

  it.each(LIBSSH_KEX)('exchanges keys with %s', async (kex) => {
    const r = await negotiated({ kex: [kex] });
    expect(r.ours.kex).toBe(kex);
    // libssh 0.10's ssh_get_kex_algo() has no name for its group-exchange key exchanges (NULL).
    expect(r.libssh.kex).toBe(kex.startsWith('diffie-hellman-group-exchange-') ? null : kex);
  });

  it.each(LIBSSH_CIPHERS)('encrypts with %s', async (cipher) => {
    const r = await negotiated({ ciphers: [cipher] });
    expect(r.libssh).toMatchObject({ cipherIn: cipher, cipherOut: cipher });
    expect(r.ours).toMatchObject({ recvCipher: cipher, sendCipher: cipher });
  });

  it.each(LIBSSH_MACS)('authenticates packets with %s', async (mac) => {
    const r = await negotiated({ ciphers: ['aes128-ctr'], macs: [mac] });
    expect(r.libssh).toMatchObject({ hmacIn: mac, hmacOut: mac });
    expect(r.ours).toMatchObject({ recvMac: mac, sendMac: mac });
  });

  it.each(['zlib@openssh.com', 'zlib', 'none'])('compresses with %s (SSH_OPTIONS_COMPRESSION)', async (compression) => {
    // libssh has no getter for the negotiated compression: our server's is asserted, and the
    // 300,000 random bytes hashed through it.
    const r = await negotiated({ compression: [compression] });
    expect(r.ours).toMatchObject({ recvCompression: compression, sendCompression: compression });
  });
});

describe('libssh client: sessions', () => {
  it('runs commands with their exit status and stderr', async () => {
    const r = await libssh({ actions: [{ op: 'exec', command: 'exit 3' }, { op: 'exec', command: 'exit 0' }, { op: 'exec', command: 'hello' }] });
    expect(exec(r, 0)).toMatchObject({ stdout: '', stderr: 'leaving\n', exitStatus: 3, error: null });
    expect(exec(r, 1)).toMatchObject({ stderr: 'leaving\n', exitStatus: 0 });
    expect(exec(r, 2)).toMatchObject({ stdout: 'ran: hello\n', stderr: '', exitStatus: 0 });
  });

  it('sends 6 MiB through stdin and receives 6 MiB back intact', async () => {
    const n = 6 * 1024 * 1024 + 333;
    const r = await libssh({
      actions: [
        { op: 'exec', command: 'sha256', stdinRandom: n },
        { op: 'exec', command: 'cat', stdinRandom: n },
        { op: 'exec', command: `bytes ${n}` },
      ],
      timeoutMs: 60_000,
    });
    expect(exec(r, 0).stdout).toBe(`${n} ${exec(r, 0).stdinSha256}\n`);
    expect(exec(r, 1)).toMatchObject({ stdoutLength: n, stdoutSha256: exec(r, 1).stdinSha256, exitStatus: 0 });
    expect(exec(r, 2)).toMatchObject({ stdoutLength: n, stdout: 'b'.repeat(n), exitStatus: 0 });
  }, 90_000);

  it('asks for a pty with a terminal size and sends a window change', async () => {
    const r = await libssh({ actions: [{ op: 'pty', command: 'pty', term: 'xterm-256color', size: [101, 31], resize: [132, 43] }] });
    expect(exec(r)).toMatchObject({ stdout: 'pty xterm-256color 101x31\nresized 132x43\n', exitStatus: 0, error: null });
  });

  it('passes environment variables (ssh_channel_request_env)', async () => {
    const r = await libssh({ actions: [{ op: 'exec', command: 'env LIBSSH_ONE LIBSSH_TWO LIBSSH_THREE', env: { LIBSSH_ONE: 'first', LIBSSH_TWO: 'with space' } }] });
    expect(exec(r)).toMatchObject({ stdout: 'LIBSSH_ONE=first\nLIBSSH_TWO=with space\nLIBSSH_THREE=<unset>\n', exitStatus: 0, error: null });
  });
});

describe('libssh client: sftp, forwarding, rekey', () => {
  it('uses our SFTP subsystem with its sftp client: mkdir, put, stat, readdir, get, rename, remove', async () => {
    const dir = path.join(work, 'sftp');
    mkdirSync(dir);
    const n = 3 * 1024 * 1024 + 17;
    const r = await libssh({ actions: [{ op: 'sftp', remoteDir: dir, bytes: n }], timeoutMs: 60_000 });
    const sftp = r.actions[0] as LibsshSftpResult;
    expect(sftp).toMatchObject({ size: n, permissions: 0o640, downloaded: n, renamed: true, removed: true, error: null });
    expect(sftp.downloadSha256).toBe(sftp.uploadSha256);
    expect([...sftp.names].sort()).toEqual(['.', '..', 'up.bin']);
    expect(readdirSync(dir)).toEqual([]);
  }, 90_000);

  it('opens a direct-tcpip channel to a local echo server (ssh_channel_open_forward)', async () => {
    forwardRequests.length = 0;
    const r = await libssh({ actions: [{ op: 'local', host: '127.0.0.1', port: echo.port, bytes: 1_000_000 }] });
    expect(r.actions[0] as LibsshLocalResult).toEqual({ length: 1_000_000, equal: true, error: null });
    expect(forwardRequests).toEqual([`open 127.0.0.1:${echo.port}`]);
  });

  it.each([
    ['aes256-gcm@openssh.com', 'hmac-sha2-256'],
    ['chacha20-poly1305@openssh.com', 'hmac-sha2-256'],
    ['aes128-ctr', 'hmac-sha2-512-etm@openssh.com'],
  ])('keeps 4 MiB each way intact across libssh rekeys every 256 KiB (%s)', async (cipher, mac) => {
    const n = 4 * 1024 * 1024;
    kexCompleted = 0;
    const r = await libssh({
      ciphers: [cipher],
      macs: [mac],
      rekeyData: 256 * 1024,
      actions: [
        { op: 'exec', command: 'cat', stdinRandom: n },
        { op: 'exec', command: 'user' },
      ],
      timeoutMs: 60_000,
    });
    expect(exec(r, 0)).toMatchObject({ stdoutLength: n, stdoutSha256: exec(r, 0).stdinSha256, exitStatus: 0, error: null });
    expect(exec(r, 1).stdout).toBe('libsshuser\n');
    expect(kexCompleted).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
