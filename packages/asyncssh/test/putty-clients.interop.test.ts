/**
 * Our server against PuTTY's clients (Debian putty-tools 0.78): plink runs commands with stdin,
 * stdout, stderr and exit status; pscp copies both ways over SCP and over SFTP; psftp runs a batch
 * of file operations. PuTTY is an SSH implementation of its own (its own ciphers' preference
 * order, 4 KiB SCP pieces, its own SFTP client), not OpenSSH's.
 */
import { defaultClientKey, generateKey, makeTempDir, removeTempDir, run, type KeyPair, type RunResult } from '@ssh/interop';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { writeStdinHash } from './stdin-hash.ts';

let acceptor: SSHAcceptor;
let hostKey: KeyPair;
let work: string;
let ppk: string;

async function handler(process: SSHServerProcess<Uint8Array>): Promise<void> {
  const command = process.command ?? '';
  if (command === 'sha256') {
    await writeStdinHash(process);
    process.exit(0);
  } else if (command.startsWith('bytes ')) {
    const n = Number(command.slice(6));
    const block = new Uint8Array(65536).fill(0x61);
    for (let sent = 0; sent < n; sent += block.length) {
      process.stdout.write(block.subarray(0, Math.min(block.length, n - sent)));
      await process.stdout.drain();
    }
    process.exit(0);
  } else if (command.startsWith('exit ')) {
    process.stderr.write(new TextEncoder().encode('leaving\n'));
    process.exit(Number(command.slice(5)));
  } else {
    process.stdout.write(new TextEncoder().encode(`ran: ${command}\n`));
    process.exit(0);
  }
}

beforeAll(async () => {
  const clientKey = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'putty-host' });
  work = await makeTempDir('putty');
  ppk = join(work, 'client.ppk');
  execFileSync('/usr/bin/puttygen', [clientKey.privateKeyPath, '-O', 'private', '-o', ppk], { timeout: 30_000, stdio: 'pipe' });
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
    processFactory: handler,
    encoding: null,
    sftpFactory: true,
    allowScp: true,
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  if (work) await removeTempDir(work);
});

/** PuTTY's common arguments: batch mode, our port, the key, the pinned host key; its settings in a throwaway home. */
function putty(tool: 'plink' | 'pscp' | 'psftp', args: readonly string[], options: { input?: Uint8Array; allowFailure?: boolean } = {}): Promise<RunResult> {
  const common = ['-batch', '-P', String(acceptor.getPort()), '-i', ppk, '-hostkey', hostKey.fingerprint];
  return run(`/usr/bin/${tool}`, [...(tool === 'plink' ? ['-ssh'] : []), ...common, ...args], { ...options, env: { HOME: work }, timeoutMs: 60_000 });
}

const pattern = (n: number, seed: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * seed + (i >> 9)) & 0xff));

describe('PuTTY clients against our server', () => {
  it('plink runs a command with its exit status and stderr', async () => {
    expect((await putty('plink', ['tester@127.0.0.1', 'hello putty'])).stdout).toBe('ran: hello putty\n');
    const failed = await putty('plink', ['tester@127.0.0.1', 'exit 7'], { allowFailure: true });
    expect(failed.exitCode).toBe(7);
    expect(failed.stderr).toContain('leaving');
  });

  it('plink streams 3 MiB of stdin in and 5 MiB of output out', async () => {
    const input = pattern(3 * 1024 * 1024, 5);
    const hashed = await putty('plink', ['tester@127.0.0.1', 'sha256'], { input });
    expect(hashed.stdout).toBe(`${input.length} ${createHash('sha256').update(input).digest('hex')}\n`);
    const big = await putty('plink', ['tester@127.0.0.1', 'bytes 5000000']);
    expect(big.stdoutBytes.length).toBe(5_000_000);
    expect(big.stdoutBytes.every((b) => b === 0x61)).toBe(true);
  });

  it.each(['-scp', '-sftp'])('pscp %s uploads and downloads a file intact', async (mode) => {
    const data = pattern(3 * 1024 * 1024 + 17, 11);
    const dir = join(work, `pscp${mode}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'local.bin'), data);
    await putty('pscp', ['-q', mode, join(dir, 'local.bin'), `tester@127.0.0.1:${join(dir, 'remote.bin')}`]);
    expect(readFileSync(join(dir, 'remote.bin')).equals(data)).toBe(true);
    await putty('pscp', ['-q', mode, `tester@127.0.0.1:${join(dir, 'remote.bin')}`, join(dir, 'back.bin')]);
    expect(readFileSync(join(dir, 'back.bin')).equals(data)).toBe(true);
  });

  it('psftp runs a batch of directory and file operations', async () => {
    const dir = join(work, 'psftp');
    mkdirSync(dir);
    const data = pattern(700_000, 3);
    writeFileSync(join(dir, 'up.bin'), data);
    const batch = join(work, 'batch.txt');
    writeFileSync(
      batch,
      [`cd ${dir}`, 'mkdir sub', `put ${join(dir, 'up.bin')} sub/a.bin`, 'mv sub/a.bin sub/b.bin', 'ls sub', `get sub/b.bin ${join(dir, 'down.bin')}`, 'rm sub/b.bin', 'rmdir sub', 'pwd', ''].join('\n'),
    );
    const r = await putty('psftp', ['-b', batch, 'tester@127.0.0.1']);
    expect(r.stdout).toContain('b.bin');
    expect(r.stdout).toContain(`Remote directory is ${dir}`);
    expect(readFileSync(join(dir, 'down.bin')).equals(data)).toBe(true);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
  });
});
