/**
 * Our server against dropbear's client (Debian dropbear-bin 2022.83), an implementation of its own:
 * it guesses the key exchange (first_kex_packet_follows with kexguess2@matt.ucc.asn.au),
 * compresses with zlib@openssh.com by default, prefers chacha20-poly1305, and checks the host key
 * against its own known_hosts. Commands with exit status, stdin and stdout both ways under
 * compression, each cipher and MAC it offers, each key type, and netcat-style forwarding (-B).
 */
import { defaultClientKey, generateKey, makeTempDir, removeTempDir, run, type KeyPair, type RunResult } from '@ssh/interop';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { writeStdinHash } from './stdin-hash.ts';
import { startEcho, type EchoServer } from './forward-helpers.ts';

let acceptor: SSHAcceptor;
let hostKey: KeyPair;
let home: string;
let echo: EchoServer;
const keys = new Map<string, string>(); // key type -> dropbear-format private key file

const text = (s: string) => new TextEncoder().encode(s);

async function handler(process: SSHServerProcess<Uint8Array>): Promise<void> {
  const command = process.command ?? '';
  if (command === 'sha256') {
    await writeStdinHash(process);
  } else if (command.startsWith('lines ')) {
    // Compressible output: numbered lines, a thousand per write. Written one line per packet
    // (40,000 packets of 38 bytes), dbclient 2022.83 sometimes stayed in select() after the
    // channel had closed both ways, when the machine was loaded (3 runs in 8 with both cores
    // busy; never against sshd, whose packets come from pipe reads of many lines).
    const count = Number(command.slice(6));
    for (let i = 0; i < count; i += 1000) {
      let chunk = '';
      for (let j = i; j < Math.min(count, i + 1000); j++) chunk += `line ${j} of the compressible output\n`;
      process.stdout.write(text(chunk));
      await process.stdout.drain();
    }
  } else if (command === 'algorithms') {
    const info = (name: string) => String(process.getExtraInfo(name));
    process.stdout.write(text(`${info('recvCompression')} ${info('sendCompression')} ${info('recvCipher')} ${info('recvMac')}\n`));
  } else if (command.startsWith('exit ')) {
    process.stderr.write(text('leaving\n'));
    process.exit(Number(command.slice(5)));
    return;
  } else process.stdout.write(text(`ran: ${command}\n`));
  process.exit(0);
}

/** Lets clients reach the echo server and nothing else; remembers what was asked. */
const requested: string[] = [];
class EchoOnlyServer extends SSHServer {
  override connectionRequested(destHost: string, destPort: number): boolean {
    requested.push(`${destHost}:${destPort}`);
    return destHost === '127.0.0.1' && destPort === echo.port;
  }
}

beforeAll(async () => {
  home = await makeTempDir('dropbear');
  hostKey = await generateKey('ed25519', { label: 'dropbear-host' });
  const clientKeys: Array<[string, KeyPair]> = [
    ['ed25519', await defaultClientKey()],
    ['rsa', await generateKey('rsa', { label: 'dropbear-rsa' })],
    ['ecdsa', await generateKey('ecdsa-p256', { label: 'dropbear-ecdsa' })],
  ];
  for (const [type, key] of clientKeys) {
    const file = join(home, `id_${type}.dropbear`);
    execFileSync('/usr/bin/dropbearconvert', ['openssh', 'dropbear', key.privateKeyPath, file], { timeout: 30_000, stdio: 'pipe' });
    keys.set(type, file);
  }
  // dbclient reads $HOME/.ssh/known_hosts, by host name without the port, and takes no comment.
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'known_hosts'), `127.0.0.1 ${hostKey.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
  echo = await startEcho();
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: clientKeys.map(([, k]) => k.publicKey).join('\n'),
    processFactory: handler,
    encoding: null,
    serverFactory: () => new EchoOnlyServer(),
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  await echo?.close();
  if (home) await removeTempDir(home);
});

function dbclient(args: readonly string[], options: { input?: Uint8Array; allowFailure?: boolean; key?: string } = {}): Promise<RunResult> {
  const key = keys.get(options.key ?? 'ed25519') as string;
  return run('/usr/bin/dbclient', ['-p', String(acceptor.getPort()), '-i', key, ...args], { ...options, env: { HOME: home }, timeoutMs: 60_000 });
}

describe("dropbear's client against our server", () => {
  it('runs a command with its exit status and stderr, the host key checked', async () => {
    expect((await dbclient(['tester@127.0.0.1', 'hello dropbear'])).stdout).toBe('ran: hello dropbear\n');
    const failed = await dbclient(['tester@127.0.0.1', 'exit 6'], { allowFailure: true });
    expect(failed.exitCode).toBe(6);
    expect(failed.stderr).toContain('leaving');
  });

  it('compresses with zlib@openssh.com both ways by default: 3 MiB in, 40,000 lines out', async () => {
    expect((await dbclient(['tester@127.0.0.1', 'algorithms'])).stdout).toMatch(/^zlib@openssh\.com zlib@openssh\.com /);
    const input = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `input line ${i} ${(i * 7919) % 10007}\n`).join(''));
    const hashed = await dbclient(['tester@127.0.0.1', 'sha256'], { input });
    expect(hashed.stdout).toBe(`${input.length} ${createHash('sha256').update(input).digest('hex')}\n`);
    const lines = (await dbclient(['tester@127.0.0.1', 'lines 40000'])).stdout.split('\n');
    expect(lines).toHaveLength(40_001);
    expect(lines[39_999]).toBe('line 39999 of the compressible output');
  });

  it.each([
    ['chacha20-poly1305@openssh.com', 'hmac-sha2-256'],
    ['aes128-ctr', 'hmac-sha1'],
    ['aes256-ctr', 'hmac-sha2-256'],
  ])('runs over %s with %s', async (cipher, mac) => {
    const r = await dbclient(['-c', cipher, '-m', mac, 'tester@127.0.0.1', 'algorithms']);
    const [, , recvCipher, recvMac] = r.stdout.trim().split(' ');
    expect(recvCipher).toBe(cipher);
    if (!cipher.includes('poly1305')) expect(recvMac).toBe(mac); // an AEAD cipher brings its own MAC
  });

  it.each(['rsa', 'ecdsa'])('authenticates with a %s key', async (type) => {
    expect((await dbclient(['tester@127.0.0.1', `as ${type}`], { key: type })).stdout).toBe(`ran: as ${type}\n`);
  });

  it('forwards its stdin to a destination the server allows (-B), and not to others', async () => {
    const r = await dbclient(['-B', `127.0.0.1:${echo.port}`, 'tester@127.0.0.1'], { input: text('through dbclient -B\n') });
    expect(r.stdout).toBe('through dbclient -B\n');
    // Refused: dbclient just ends (with status 0), having relayed nothing.
    const refused = await dbclient(['-B', '127.0.0.1:1', 'tester@127.0.0.1'], { input: text('x'), allowFailure: true });
    expect(refused.stdout).toBe('');
    expect(requested).toEqual([`127.0.0.1:${echo.port}`, '127.0.0.1:1']);
  });
});

describe('the host key check', () => {
  it('stops dbclient when the pinned key does not match', async () => {
    const other = await generateKey('ed25519', { label: 'dropbear-other' });
    const elsewhere = join(home, 'elsewhere');
    mkdirSync(join(elsewhere, '.ssh'), { recursive: true });
    writeFileSync(join(elsewhere, '.ssh', 'known_hosts'), `127.0.0.1 ${other.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    const r = await run('/usr/bin/dbclient', ['-p', String(acceptor.getPort()), '-i', keys.get('ed25519') as string, 'tester@127.0.0.1', 'true'], {
      env: { HOME: elsewhere },
      allowFailure: true,
      timeoutMs: 30_000,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/host key mismatch/i);
    expect(readFileSync(join(elsewhere, '.ssh', 'known_hosts'), 'utf8')).not.toContain(hostKey.publicKey.split(' ')[1]);
  });
});
