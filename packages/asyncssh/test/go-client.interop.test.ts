/**
 * Our server (listen() with a processFactory and forwarding) against the client of Go's
 * golang.org/x/crypto/ssh (Debian's golang-golang-x-crypto-dev 0.4.0, tooling/interop's
 * go/gossh.go): an SSH implementation of its own, with its own key exchanges, ciphers, MACs,
 * host key checking (knownhosts), channels, forwarding and rekeying (RekeyThreshold).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { GO_CIPHERS, GO_KEX, GO_MACS, buildGoPeer, generateKey, makeTempDir, removeTempDir, runGoClient, signCertificate, type GoClientOptions, type GoExecResult, type KeyPair } from '@ssh/interop';
import { logPeersOnFailure } from '@ssh/interop/vitest';
import type { TransportEvent } from '@ssh/transport';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SSHServerConnection, SignalReceived, TerminalSizeChanged, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { ForeignClientServer, foreignClientListenOptions, withOwnServer } from './foreign-client-server.ts';
import { startEcho, type EchoServer } from './forward-helpers.ts';
import { answerPeerCommand } from './peer-commands.ts';

logPeersOnFailure();

type HostKind = 'ed25519' | 'p256' | 'p384' | 'p521' | 'rsa';
let acceptor: SSHAcceptor;
let smallRekey: SSHAcceptor;
let rsa512Only: SSHAcceptor;
let keepaliveServer: SSHAcceptor;
let hostKeys: Record<HostKind, KeyPair>;
let clientKeys: Record<'ed25519' | 'ecdsa' | 'rsa', KeyPair>;
let echo: EchoServer;
const forwardRequests: string[] = [];
const encoder = new TextEncoder();

// Key exchanges our server connections completed (the first and every rekey), to see rekeys happen:
// the initial one and at least one more in each rekey test.
let kexCompleted = 0;
const serverEvents = SSHServerConnection.prototype as unknown as { handleTransportEvent(e: TransportEvent): void };
const original = serverEvents.handleTransportEvent;
vi.spyOn(serverEvents, 'handleTransportEvent').mockImplementation(function (this: unknown, e: TransportEvent) {
  if (e.type === 'kex-complete') kexCompleted++;
  original.call(this, e);
});

// Every algorithm x/crypto 0.4.0 knows, legacy ones included, named explicitly so that our
// server offers the ones it leaves out by default.
const SIGNATURE_ALGS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** The foreign clients' server, with streamlocal forwarding (x/crypto's Dial("unix") and ListenUnix) allowed and recorded too. */
class GoFacingServer extends ForeignClientServer {
  override unixConnectionRequested(destPath: string): boolean {
    this.forwardRequests.push(`open ${destPath}`);
    return true;
  }

  override unixServerRequested(listenPath: string): boolean {
    this.forwardRequests.push(`listen ${listenPath}`);
    return true;
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
    say(`${['kex', 'serverHostKeyAlgorithm', 'recvCipher', 'recvMac', 'sendCipher', 'sendMac'].map((name) => String(process.getExtraInfo(name))).join(' ')}\n`);
    process.exit(0);
  } else if (command === 'wait-signal') {
    try {
      while ((await process.stdin.read(4096)).length > 0);
      say('no signal\n');
    } catch (error) {
      if (!(error instanceof SignalReceived)) throw error;
      say(`signal ${error.signal}\n`);
    }
    process.exit(0);
  } else if (command === 'die') {
    process.stderr.write(encoder.encode('dying\n'));
    process.exitWithSignal('TERM', false, 'terminated', 'en-US');
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
  // The build (a few seconds, more on a busy machine) under the hook's bound, not the first test's.
  const [, hEd, h256, h384, h521, hRsa, cEd, cEc, cRsa] = await Promise.all([
    buildGoPeer(),
    generateKey('ed25519', { label: 'go-host' }),
    generateKey('ecdsa-p256', { label: 'go-host' }),
    generateKey('ecdsa-p384', { label: 'go-host' }),
    generateKey('ecdsa-p521', { label: 'go-host' }),
    generateKey('rsa', { label: 'go-host' }),
    generateKey('ed25519', { label: 'go-client' }),
    generateKey('ecdsa-p256', { label: 'go-client' }),
    generateKey('rsa', { label: 'go-client' }),
  ]);
  hostKeys = { ed25519: hEd, p256: h256, p384: h384, p521: h521, rsa: hRsa };
  clientKeys = { ed25519: cEd, ecdsa: cEc, rsa: cRsa };
  echo = await startEcho();
  const common = {
    serverFactory: () => new GoFacingServer(forwardRequests),
    ...foreignClientListenOptions(Object.values(hostKeys), [cEd, cEc, cRsa], handler),
    lineEditor: false,
    kexAlgs: GO_KEX,
    encryptionAlgs: GO_CIPHERS,
    macAlgs: GO_MACS,
    signatureAlgs: SIGNATURE_ALGS,
  } as const;
  [acceptor, smallRekey, rsa512Only, keepaliveServer] = await Promise.all([
    listen('127.0.0.1', 0, common),
    listen('127.0.0.1', 0, { ...common, rekeyBytes: '1M' }),
    listen('127.0.0.1', 0, { ...common, signatureAlgs: ['ssh-ed25519', 'rsa-sha2-512'] }),
    listen('127.0.0.1', 0, { ...common, keepaliveInterval: 0.3, keepaliveCountMax: 2 }),
  ]);
});

afterAll(async () => {
  for (const server of [acceptor, smallRekey, rsa512Only, keepaliveServer]) {
    server?.close();
    await server?.waitClosed();
  }
  await echo?.close();
});

const ours = (server: SSHAcceptor = acceptor, keys: readonly KeyPair[] = Object.values(hostKeys)) => ({
  name: 'ours',
  host: '127.0.0.1',
  port: server.getPort(),
  user: 'gopher',
  hostPublicKeys: keys.map((key) => key.publicKey),
});

function goClient(options: Partial<GoClientOptions> = {}) {
  return runGoClient({ target: ours(), identity: clientKeys.ed25519, timeoutMs: 25_000, ...options });
}

const exec = (r: { actions: readonly unknown[] }, index = 0): GoExecResult => r.actions[index] as GoExecResult;
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('x/crypto client: authentication and host keys', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('authenticates with an %s key', async (kind) => {
    const r = await goClient({ identity: clientKeys[kind], actions: [{ op: 'exec', command: 'user' }] });
    expect(exec(r)).toMatchObject({ stdout: 'gopher\n', exitStatus: 0 });
  });

  it('signs with rsa-sha2-512 when our server-sig-algs lists only that for RSA', async () => {
    // x/crypto 0.4.0 takes the first of rsa-sha2-256, rsa-sha2-512, ssh-rsa that server-sig-algs
    // lists; our rsa512Only server accepts no other RSA signature.
    const r = await goClient({ target: ours(rsa512Only), identity: clientKeys.rsa, actions: [{ op: 'exec', command: 'user' }] });
    expect(exec(r)).toMatchObject({ stdout: 'gopher\n', exitStatus: 0 });
  });

  it('authenticates with a password and is refused a wrong one', async () => {
    const ok = await goClient({ identity: null, password: 'sesame', actions: [{ op: 'exec', command: 'user' }] });
    expect(exec(ok)).toMatchObject({ stdout: 'gopher\n', exitStatus: 0 });
    const bad = await goClient({ identity: null, password: 'wrong', allowFailure: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.error).toMatch(/unable to authenticate, attempted methods \[none password\]/);
  });

  it('answers keyboard-interactive questions, and is refused wrong answers', async () => {
    const ok = await goClient({ identity: null, kbdintAnswers: ['sesame', 'blue'], actions: [{ op: 'exec', command: 'user' }] });
    expect(exec(ok)).toMatchObject({ stdout: 'gopher\n', exitStatus: 0 });
    expect(ok.challenges).toEqual([{ name: 'Two questions', instruction: 'Answer both', questions: ['Code: ', 'Colour: '], echos: [false, true] }]);
    const bad = await goClient({ identity: null, kbdintAnswers: ['sesame', 'red'], allowFailure: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.error).toMatch(/unable to authenticate/);
  });

  it.each([
    ['ssh-ed25519', 'ed25519'],
    ['ecdsa-sha2-nistp256', 'p256'],
    ['ecdsa-sha2-nistp384', 'p384'],
    ['ecdsa-sha2-nistp521', 'p521'],
    ['rsa-sha2-256', 'rsa'],
    ['rsa-sha2-512', 'rsa'],
    ['ssh-rsa', 'rsa'],
  ] as const)('passes x/crypto knownhosts checking with the %s host key', async (algorithm, kind) => {
    const r = await goClient({ target: ours(acceptor, [hostKeys[kind]]), hostKeyAlgorithms: [algorithm], actions: [{ op: 'exec', command: 'algorithms' }] });
    expect(r.hostKeyType).toBe(hostKeys[kind].publicKey.split(' ')[0]);
    expect(exec(r).stdout.split(' ')[1]).toBe(algorithm);
  });

  it.each([
    ['ed25519', 'ed25519', 'ssh-ed25519-cert-v01@openssh.com'],
    ['rsa', 'ecdsa-p256', 'ssh-rsa-cert-v01@openssh.com'],
    ['ecdsa-p384', 'rsa', 'ecdsa-sha2-nistp384-cert-v01@openssh.com'],
  ] as const)('authenticates with a user certificate (%s key, %s CA)', async (keyType, caType, certAlgorithm) => {
    const [key, ca] = await Promise.all([generateKey(keyType, { label: 'go-cert-user' }), generateKey(caType, { label: 'go-cert-ca' })]);
    const cert = await signCertificate(ca, key, { principals: ['certuser'], validity: '-5m:+1h' });
    expect(cert.algorithm).toBe(certAlgorithm);
    await withOwnServer(foreignClientListenOptions([hostKeys.ed25519], `cert-authority ${ca.publicKey}\n`, handler), async (server) => {
      const target = { ...ours(server, [hostKeys.ed25519]), user: 'certuser' };
      const r = await goClient({ target, identity: key, certificates: [cert.path], actions: [{ op: 'exec', command: 'user' }] });
      expect(exec(r)).toMatchObject({ stdout: 'certuser\n', exitStatus: 0 });
      const wrongUser = await goClient({ target: { ...target, user: 'other' }, identity: key, certificates: [cert.path], allowFailure: true });
      expect(wrongUser.error).toMatch(/unable to authenticate/);
    });
  });

  it.each([
    ['ed25519', 'ed25519', 'ssh-ed25519-cert-v01@openssh.com'],
    ['ecdsa-p256', 'rsa', 'ecdsa-sha2-nistp256-cert-v01@openssh.com'],
    ['rsa', 'ed25519', 'rsa-sha2-256-cert-v01@openssh.com'],
    ['rsa', 'ed25519', 'rsa-sha2-512-cert-v01@openssh.com'],
  ] as const)('shows a host certificate (%s key, %s CA) that x/crypto checks against @cert-authority with %s', async (keyType, caType, algorithm) => {
    const [key, ca] = await Promise.all([generateKey(keyType, { label: 'go-cert-host' }), generateKey(caType, { label: 'go-cert-host-ca' })]);
    const cert = await signCertificate(ca, key, { host: true, principals: ['127.0.0.1'], validity: '-5m:+1h' });
    await withOwnServer({ ...foreignClientListenOptions([key], `${clientKeys.ed25519.publicKey}\n`, handler), serverHostCerts: [cert.path] }, async (server) => {
      const target = { ...ours(server, []), hostCertAuthorities: [ca.publicKey] };
      const r = await goClient({ target, verifyHostKeys: true, hostKeyAlgorithms: [algorithm], actions: [{ op: 'exec', command: 'algorithms' }] });
      expect(r.hostKeyType).toBe(cert.algorithm);
      expect(exec(r).stdout.split(' ')[1]).toBe(algorithm);
      const stranger = await generateKey('ed25519', { label: 'go-cert-stranger-ca' });
      const refused = await goClient({ target: { ...target, hostCertAuthorities: [stranger.publicKey] }, verifyHostKeys: true, hostKeyAlgorithms: [algorithm], allowFailure: true });
      expect(refused.error).toMatch(/knownhosts: key is unknown|no authorities for hostname/);
    });
  });

  it('uses ssh-dss (DSA) host and user keys when both sides enable them', async () => {
    const [hostDsa, userDsa] = await Promise.all([generateKey('dsa', { label: 'go-dsa-host', format: 'pem' }), generateKey('dsa', { label: 'go-dsa-user', format: 'pem' })]);
    await withOwnServer({ ...foreignClientListenOptions([hostDsa], `${userDsa.publicKey}\n`, handler), signatureAlgs: ['ssh-dss'] }, async (server) => {
      const r = await goClient({ target: ours(server, [hostDsa]), identity: userDsa, hostKeyAlgorithms: ['ssh-dss'], actions: [{ op: 'exec', command: 'algorithms' }] });
      expect(r.hostKeyType).toBe('ssh-dss');
      expect(exec(r).stdout.split(' ')[1]).toBe('ssh-dss');
    });
  });

  it('is refused by x/crypto for a host key its known_hosts lists differently', async () => {
    const stranger = await generateKey('ed25519', { label: 'go-stranger' });
    const r = await goClient({ target: ours(acceptor, [stranger]), hostKeyAlgorithms: ['ssh-ed25519'], allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.error).toMatch(/knownhosts: key mismatch/);
  });
});

describe('x/crypto client: algorithms', () => {
  const negotiated = async (choice: Partial<GoClientOptions>) => {
    const r = await goClient({ ...choice, actions: [{ op: 'exec', command: 'algorithms' }, { op: 'exec', command: 'sha256', stdinRandom: 300_000 }] });
    const hashed = exec(r, 1);
    expect(hashed.stdout).toBe(`300000 ${hashed.stdinSha256}\n`);
    const [kex, hostKey, recvCipher, recvMac, sendCipher, sendMac] = exec(r).stdout.trim().split(' ');
    return { kex, hostKey, recvCipher, recvMac, sendCipher, sendMac };
  };

  it.each(GO_KEX)('exchanges keys with %s', async (kex) => {
    expect(await negotiated({ kex: [kex] })).toMatchObject({ kex });
  });

  it.each(GO_CIPHERS)('encrypts with %s', async (cipher) => {
    // x/crypto 0.4.0's CBC mode (cbcCipher) has no encrypt-then-MAC: offered an *-etm@openssh.com
    // MAC first (its default list), it negotiates one and then MACs and encrypts as if it were
    // the plain MAC, so neither we nor OpenSSH can read it ("ssh: packet too large" on its side).
    // Its own bug, not worked around: the CBC ciphers are tested with a plain MAC.
    const macs = cipher.endsWith('-cbc') ? ['hmac-sha2-256'] : undefined;
    expect(await negotiated({ ciphers: [cipher], ...(macs === undefined ? {} : { macs }) })).toMatchObject({ recvCipher: cipher, sendCipher: cipher });
  });

  it.each(GO_MACS)('authenticates packets with %s', async (mac) => {
    expect(await negotiated({ ciphers: ['aes128-ctr'], macs: [mac] })).toMatchObject({ recvMac: mac, sendMac: mac });
  });
});

describe('x/crypto client: sessions', () => {
  it('runs commands with their exit status and stderr', async () => {
    const r = await goClient({ actions: [{ op: 'exec', command: 'exit 3' }, { op: 'exec', command: 'exit 0' }, { op: 'exec', command: 'hello' }] });
    expect(exec(r, 0)).toMatchObject({ stdout: '', stderr: 'leaving\n', exitStatus: 3 });
    expect(exec(r, 1)).toMatchObject({ stderr: 'leaving\n', exitStatus: 0 });
    expect(exec(r, 2)).toMatchObject({ stdout: 'ran: hello\n', exitStatus: 0 });
  });

  it('sends 6 MiB through stdin and receives 6 MiB back intact', async () => {
    const n = 6 * 1024 * 1024 + 333;
    const r = await goClient({
      actions: [
        { op: 'exec', command: 'sha256', stdinRandom: n },
        { op: 'exec', command: 'cat', stdinRandom: n, hashStdout: true },
        { op: 'exec', command: `bytes ${n}`, hashStdout: true },
      ],
      timeoutMs: 60_000,
    });
    expect(exec(r, 0).stdout).toBe(`${n} ${exec(r, 0).stdinSha256}\n`);
    expect(exec(r, 1)).toMatchObject({ stdoutLength: n, stdoutSha256: exec(r, 1).stdinSha256, exitStatus: 0 });
    expect(exec(r, 2)).toMatchObject({ stdoutLength: n, stdoutSha256: sha(new Uint8Array(n).fill(0x62)), exitStatus: 0 });
  }, 90_000);

  it('asks for a pty with a terminal size and sends a window change', async () => {
    const r = await goClient({ actions: [{ op: 'exec', command: 'pty', pty: { term: 'xterm-256color', width: 101, height: 31 }, resize: [132, 43] }] });
    expect(exec(r)).toMatchObject({ stdout: 'pty xterm-256color 101x31\nresized 132x43\n', exitStatus: 0 });
  });

  it('runs 12 sessions at once, each with 1 MiB through cat', async () => {
    const r = await goClient({ actions: [{ op: 'parallel', count: 12, command: 'cat', stdinRandom: 1 << 20, hashStdout: true }], timeoutMs: 60_000 });
    const results = r.actions[0] as GoExecResult[];
    expect(results).toHaveLength(12);
    for (const one of results) expect(one).toMatchObject({ stdoutLength: 1 << 20, stdoutSha256: one.stdinSha256, exitStatus: 0 });
  }, 90_000);

  it('shows our pre-authentication banner (BannerCallback)', async () => {
    await withOwnServer({ ...foreignClientListenOptions([hostKeys.ed25519], `${clientKeys.ed25519.publicKey}\n`, handler), banner: 'Welcome, Grüße ☃\nSecond line\n' }, async (bannered) => {
      const r = await goClient({ target: ours(bannered, [hostKeys.ed25519]), actions: [{ op: 'exec', command: 'user' }] });
      expect(r.banners).toEqual(['Welcome, Grüße ☃\nSecond line\n']);
      expect(exec(r).stdout).toBe('gopher\n');
    });
  });

  it('delivers a signal request (Session.Signal) to the process', async () => {
    const r = await goClient({ actions: [{ op: 'exec', command: 'wait-signal', signal: 'USR1' }] });
    expect(exec(r)).toMatchObject({ stdout: 'signal USR1\n', exitStatus: 0 });
  });

  it('reports an exit-signal as x/crypto ExitError.Signal()', async () => {
    const r = await goClient({ actions: [{ op: 'exec', command: 'die' }] });
    expect(exec(r)).toMatchObject({ stdout: '', stderr: 'dying\n', exitStatus: null, exitSignal: 'TERM' });
  });

  it('passes environment variables (Setenv)', async () => {
    const r = await goClient({ actions: [{ op: 'exec', command: 'env GO_ONE GO_TWO GO_THREE', env: { GO_ONE: 'first', GO_TWO: 'with space' } }] });
    expect(exec(r)).toMatchObject({ stdout: 'GO_ONE=first\nGO_TWO=with space\nGO_THREE=<unset>\n', exitStatus: 0 });
    expect(exec(r).envErrors).toBeUndefined();
  });
});

describe('x/crypto client: forwarding, keepalive, rekey', () => {
  it('opens a direct-tcpip channel to a local echo server (client.Dial)', async () => {
    forwardRequests.length = 0;
    const r = await goClient({ actions: [{ op: 'local', host: '127.0.0.1', port: echo.port, bytes: 1_000_000 }] });
    expect(r.actions[0]).toEqual({ length: 1_000_000, equal: true, error: '' });
    expect(forwardRequests).toEqual([`open 127.0.0.1:${echo.port}`]);
  });

  it('forwards a remote port (client.Listen, port 0) back to x/crypto and cancels it', async () => {
    forwardRequests.length = 0;
    const r = await goClient({ actions: [{ op: 'remote', bytes: 500_000 }] });
    expect(r.actions[0]).toMatchObject({ length: 500_000, equal: true, error: '', cancelError: '' });
    expect(forwardRequests).toEqual(['listen 127.0.0.1:0']);
  });

  it('opens a direct-streamlocal@openssh.com channel to a UNIX socket (client.Dial("unix"))', async () => {
    const dir = await makeTempDir('go-client-unix');
    const unixEcho = await startEcho(path.join(dir, 'echo.sock'));
    try {
      forwardRequests.length = 0;
      const r = await goClient({ actions: [{ op: 'localUnix', path: path.join(dir, 'echo.sock'), bytes: 700_000 }] });
      expect(r.actions[0]).toEqual({ length: 700_000, equal: true, error: '' });
      expect(forwardRequests).toEqual([`open ${path.join(dir, 'echo.sock')}`]);
    } finally {
      await unixEcho.close();
      await removeTempDir(dir);
    }
  });

  it('forwards a remote UNIX socket (client.ListenUnix, streamlocal-forward@openssh.com) back to x/crypto and cancels it', async () => {
    const dir = await makeTempDir('go-client-unix');
    try {
      forwardRequests.length = 0;
      const socket = path.join(dir, 'remote.sock');
      const r = await goClient({ actions: [{ op: 'remoteUnix', path: socket, bytes: 400_000 }] });
      expect(r.actions[0]).toEqual({ length: 400_000, equal: true, error: '', cancelError: '' });
      expect(forwardRequests).toEqual([`listen ${socket}`]);
    } finally {
      await removeTempDir(dir);
    }
  });

  it('answers keepalive@openssh.com with want-reply as sshd does (REQUEST_FAILURE)', async () => {
    const r = await goClient({ actions: [{ op: 'keepalive' }, { op: 'keepalive' }, { op: 'exec', command: 'after' }] });
    expect(r.actions.slice(0, 2)).toEqual([
      { ok: false, payload: '', error: '' },
      { ok: false, payload: '', error: '' },
    ]);
    expect(exec(r, 2)).toMatchObject({ stdout: 'ran: after\n' });
  });

  it('answers a session channel request it does not know with CHANNEL_FAILURE, and goes on', async () => {
    const r = await goClient({ actions: [{ op: 'sessionRequest', name: 'no-such-request@example.com' }, { op: 'exec', command: 'after' }] });
    expect(r.actions[0]).toEqual({ ok: false, error: '' });
    expect(exec(r, 1)).toMatchObject({ stdout: 'ran: after\n', exitStatus: 0 });
  });

  it("is kept alive by our server's keepalive@openssh.com requests, which x/crypto refuses (an answer all the same)", async () => {
    const r = await goClient({ target: ours(keepaliveServer), actions: [{ op: 'sleep', ms: 2_500 }, { op: 'exec', command: 'alive' }] });
    expect(exec(r, 1)).toMatchObject({ stdout: 'ran: alive\n', exitStatus: 0 });
  });

  it.each([
    ['aes128-gcm@openssh.com', 'hmac-sha2-256'],
    ['chacha20-poly1305@openssh.com', 'hmac-sha2-256'],
    ['aes256-ctr', 'hmac-sha2-256-etm@openssh.com'],
  ])('keeps 4 MiB each way intact across x/crypto rekeys every 256 KiB (%s)', async (cipher, mac) => {
    const n = 4 * 1024 * 1024;
    kexCompleted = 0;
    const r = await goClient({
      ciphers: [cipher],
      macs: [mac],
      rekeyThreshold: 256 * 1024,
      actions: [
        { op: 'exec', command: 'cat', stdinRandom: n, hashStdout: true },
        { op: 'exec', command: 'user' },
      ],
      timeoutMs: 60_000,
    });
    expect(exec(r, 0)).toMatchObject({ stdoutLength: n, stdoutSha256: exec(r, 0).stdinSha256, exitStatus: 0 });
    expect(exec(r, 1).stdout).toBe('gopher\n');
    // x/crypto asks for a key exchange once 256 KiB were sent or received since the last one; data
    // sent while one runs is counted towards the next, so there are fewer than 8 MiB / 256 KiB.
    expect(kexCompleted).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('keeps transfers intact both ways when our server rekeys every MiB', async () => {
    const n = 5 * 1024 * 1024;
    kexCompleted = 0;
    const r = await goClient({
      target: ours(smallRekey),
      actions: [
        { op: 'exec', command: 'sha256', stdinRandom: n },
        { op: 'exec', command: `bytes ${n}`, hashStdout: true },
      ],
      timeoutMs: 60_000,
    });
    expect(exec(r, 0).stdout).toBe(`${n} ${exec(r, 0).stdinSha256}\n`);
    expect(exec(r, 1)).toMatchObject({ stdoutLength: n, exitStatus: 0 });
    expect(kexCompleted).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
