/**
 * Our server against JSch (Debian libjsch-java 0.1.55), an old Java client of its own: its key
 * exchange, ecdsa-sha2-nistp256 host key check against known_hosts, exec with stdin, exit status
 * and stderr, a pty, password and public-key authentication, and its SFTP client (ChannelSftp put,
 * ls, get), and its local port forwarding. tooling/interop/src/java/JschClient.java is compiled by javac at test time.
 *
 * JSch 0.1.55 signs with RSA keys as "ssh-rsa" (SHA-1) only. OpenSSH's sshd 9.2 refuses those
 * signatures unless PubkeyAcceptedAlgorithms adds ssh-rsa; AsyncSSH 2.10 accepts them by default
 * (ssh-rsa is in its default signature algorithms), and so do we; a server that lists its
 * signatureAlgs without ssh-rsa refuses them, as sshd does by default.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { compileJschClient, generateKey, makeTempDir, removeTempDir, runJschClient, startSshd, type JschClientOptions, type KeyPair } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { SSHServer, listen, setLogLevel, setLogSink, type LogSink, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { foreignClientListenOptions } from './foreign-client-server.ts';
import { startEcho, type EchoServer } from './forward-helpers.ts';
import { writeStdinHash } from './stdin-hash.ts';

let acceptor: SSHAcceptor;
let noSha1: SSHAcceptor;
let hostKey: KeyPair;
let ecdsaKey: KeyPair;
let rsaKey: KeyPair;
let work: string;
let echo: EchoServer;
const encoder = new TextEncoder();
const defaultSink: LogSink = (r) => {
  process.stderr.write(`${r.logger} ${r.level.toUpperCase()}: ${r.message}\n`);
};
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

class JschFacingServer extends SSHServer {
  override passwordAuthSupported(): boolean {
    return true;
  }

  override validatePassword(_username: string, password: string): boolean {
    return password === 'sesame';
  }

  override connectionRequested(destHost: string, destPort: number): boolean {
    return destHost === '127.0.0.1' && destPort === echo.port;
  }
}

async function handler(process: SSHServerProcess<Uint8Array>): Promise<void> {
  const command = process.command ?? '';
  if (command === 'sha256') {
    await writeStdinHash(process);
    process.exit(0);
  } else if (command === 'term') {
    process.stdout.write(encoder.encode(`${process.termType ?? 'none'} ${process.termSize[0]}x${process.termSize[1]}\n`));
    process.exit(0);
  } else if (command.startsWith('exit ')) {
    process.stderr.write(encoder.encode('leaving\n'));
    process.exit(Number(command.slice(5)));
  } else {
    process.stdout.write(encoder.encode(`ran: ${command} as ${String(process.getExtraInfo('username'))}\n`));
    process.exit(0);
  }
}

function knownHosts(port: number): string {
  const file = path.join(work, `known_hosts-${port}`);
  writeFileSync(file, `[127.0.0.1]:${port} ${hostKey.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
  return file;
}

function jsch(action: string[], extra: Partial<JschClientOptions> = {}) {
  const port = extra.port ?? acceptor.getPort();
  return runJschClient({ port, user: 'jsch', knownHosts: knownHosts(port), auth: { password: 'sesame' }, action, ...extra });
}

beforeAll(async () => {
  work = await makeTempDir('jsch-client');
  echo = await startEcho();
  // JSch 0.1.55 reads PEM private keys only (not the openssh-key-v1 format).
  [hostKey, ecdsaKey, rsaKey] = await Promise.all([
    generateKey('ecdsa-p256', { label: 'jsch-host' }),
    generateKey('ecdsa-p256', { label: 'jsch-client', format: 'pem' }),
    generateKey('rsa', { label: 'jsch-client', format: 'pem' }),
    compileJschClient(),
  ]);
  const common = {
    serverFactory: () => new JschFacingServer(),
    ...foreignClientListenOptions([hostKey], [ecdsaKey, rsaKey], handler),
    lineEditor: false,
    sftpFactory: true,
  } as const;
  acceptor = await listen('127.0.0.1', 0, common);
  noSha1 = await listen('127.0.0.1', 0, { ...common, signatureAlgs: ['ecdsa-sha2-nistp256', 'rsa-sha2-256', 'rsa-sha2-512'] });
}, 180_000);

afterAll(async () => {
  acceptor?.close();
  noSha1?.close();
  await acceptor?.waitClosed();
  await noSha1?.waitClosed();
  await echo?.close();
  if (work) await removeTempDir(work);
});

describe('JSch client against our server', () => {
  it('runs a command with password authentication, with its exit status and stderr', async () => {
    const r = await jsch(['exec', 'exit 7']);
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr).toContain('leaving');
    expect(r.stderr).toMatch(/server version: SSH-2\.0-AsyncSSH_TS/);
  });

  it('is refused with a wrong password', async () => {
    const r = await jsch(['exec', 'x'], { auth: { password: 'wrong' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Auth fail/);
  });

  it('sends 3 MiB of stdin and gets its sha256 back', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const r = await jsch(['exec', 'sha256'], { input: data });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${data.length} ${sha256(data)}\n`);
  });

  it('asks for a pty with its terminal type and size', async () => {
    const r = await jsch(['pty', 'term']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('xterm 100x30');
  });

  it('authenticates with an ECDSA key', async () => {
    const r = await jsch(['exec', 'who'], { auth: { keyPath: ecdsaKey.privateKeyPath } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('ran: who as jsch\n');
  });

  it('accepts its ssh-rsa (SHA-1) signature by default, as AsyncSSH does', async () => {
    const r = await jsch(['exec', 'who'], { auth: { keyPath: rsaKey.privateKeyPath } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('ran: who as jsch\n');
  });

  it('refuses its ssh-rsa signature when signatureAlgs leaves ssh-rsa out, as sshd does by default, and logs why', async () => {
    const logs: string[] = [];
    setLogLevel('info');
    setLogSink((r) => logs.push(`${r.logger} ${r.level} ${r.message}`));
    onTestFinished(() => {
      setLogSink(defaultSink);
      setLogLevel('warning');
    });
    const ours = await jsch(['exec', 'who'], { port: noSha1.getPort(), auth: { keyPath: rsaKey.privateKeyPath } });
    expect(ours.exitCode).toBe(2);
    expect(ours.stderr).toMatch(/Auth fail/);
    expect(logs.join('\n')).toContain('publickey: signature algorithm ssh-rsa is not among the accepted signature algorithms');
  });

  it.each([
    ['refuses', [], 2],
    ['accepts with PubkeyAcceptedAlgorithms +ssh-rsa', ['PubkeyAcceptedAlgorithms +ssh-rsa'], 0],
  ] as const)('sshd, for comparison, %s its ssh-rsa signature', async (_what, config, status) => {
    const sshd = await startSshd({ authorizedKeys: [rsaKey], config: [...config] });
    try {
      const kh = path.join(work, 'known_hosts-sshd');
      writeFileSync(kh, sshd.hostPublicKeys.map((k) => `[127.0.0.1]:${sshd.port} ${k.split(' ').slice(0, 2).join(' ')}`).join('\n') + '\n');
      const r = await runJschClient({ port: sshd.port, user: sshd.user, knownHosts: kh, auth: { keyPath: rsaKey.privateKeyPath }, action: ['exec', 'true'] });
      expect(r.exitCode, r.stderr).toBe(status);
      if (status !== 0) expect(sshd.log).toContain('signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms');
    } finally {
      await sshd.stop();
    }
  });

  it('puts, lists and gets a file over ChannelSftp', async () => {
    const dir = path.join(work, 'sftp-root');
    mkdirSync(dir, { recursive: true });
    const local = path.join(work, 'local.bin');
    const data = randomBytes(1024 * 1024 + 3);
    writeFileSync(local, data);
    const r = await jsch(['sftp', local, dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ls up.bin ${data.length}`);
    expect(sha256(readFileSync(path.join(dir, 'up.bin')))).toBe(sha256(data));
    expect(sha256(readFileSync(`${local}.back`))).toBe(sha256(data));
  });

  it('forwards a local port (setPortForwardingL) to an echo server through our server', async () => {
    // JschClient reads the echo back without half-closing first: JSch 0.1.55 closes the channel
    // as soon as it reads EOF from the local socket, dropping what is still on its way back (it
    // loses the tail against OpenSSH's sshd just the same).
    const data = randomBytes(256 * 1024);
    const r = await jsch(['forward', String(echo.port)], { input: data });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdoutBytes.length, r.stderr).toBe(data.length);
    expect(sha256(r.stdoutBytes)).toBe(sha256(data));
  });
});
