/**
 * Faults and odd files against OpenSSH's sftp-server: the server dies mid-transfer (a clear
 * error, the bytes so far on disk, nothing outside the target), unicode names, sparse files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SFTPConnectionLost } from '../src/index.ts';
import { type OpenSshSession, openSshSession } from './helpers/openssh.ts';

let s: OpenSshSession | undefined;
const temps: string[] = [];
afterEach(async () => {
  await s?.close();
  s = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function localTemp(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-faults-')));
  temps.push(d);
  return d;
}

describe('faults', () => {
  it('a server that dies mid-download gives SFTPConnectionLost and leaves the partial file', async () => {
    s = await openSshSession();
    const session = s;
    writeFileSync(join(session.dir, 'big'), Buffer.alloc(64 * 1024 * 1024, 7));
    const local = localTemp();
    let killed = false;
    const err = await session.client
      .get('big', join(local, 'big'), {
        blockSize: 32768,
        maxRequests: 4,
        progressHandler: (_s, _d, done) => {
          if (!killed && done >= 1024 * 1024) {
            killed = true;
            session.child.kill('SIGKILL');
          }
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SFTPConnectionLost);
    expect(statSync(join(local, 'big')).size).toBeGreaterThanOrEqual(1024 * 1024);
    expect(statSync(join(local, 'big')).size).toBeLessThan(64 * 1024 * 1024);
    expect(readdirSync(local)).toEqual(['big']);
    await expect(session.client.stat('big')).rejects.toBeInstanceOf(SFTPConnectionLost);
  });

  it('a server that dies mid-upload gives SFTPConnectionLost', async () => {
    s = await openSshSession();
    const session = s;
    const local = localTemp();
    writeFileSync(join(local, 'up'), Buffer.alloc(64 * 1024 * 1024, 9));
    let killed = false;
    const err = await session.client
      .put(join(local, 'up'), 'up', {
        blockSize: 32768,
        maxRequests: 4,
        progressHandler: (_s, _d, done) => {
          if (!killed && done >= 1024 * 1024) {
            killed = true;
            session.child.kill('SIGKILL');
          }
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SFTPConnectionLost);
    expect(statSync(join(session.dir, 'up')).size).toBeGreaterThanOrEqual(1024 * 1024);
  });
});

describe('odd files', () => {
  it('unicode names round-trip through put, listdir, get and rename', async () => {
    s = await openSshSession();
    const local = localTemp();
    const names = ['日本語.txt', 'émoji 😀.bin', 'Ünïcødé dir'];
    writeFileSync(join(local, names[0] as string), 'nihongo');
    writeFileSync(join(local, names[1] as string), 'smile');
    mkdirSync(join(local, names[2] as string));
    writeFileSync(join(local, names[2] as string, 'ß.txt'), 'eszett');
    await s.client.put(names.map((n) => join(local, n)), '.', { recurse: true });
    expect(await s.client.listdir('.')).toEqual([...names].sort());
    expect(await s.client.listdir(names[2] as string)).toEqual(['ß.txt']);
    await s.client.rename(names[0] as string, 'ελληνικά.txt');
    const back = localTemp();
    await s.client.get(['ελληνικά.txt', names[2] as string], back, { recurse: true });
    expect(readFileSync(join(back, 'ελληνικά.txt'), 'utf8')).toBe('nihongo');
    expect(readFileSync(join(back, names[2] as string, 'ß.txt'), 'utf8')).toBe('eszett');
  });

  it('downloads a sparse file with its holes as zeros', async () => {
    s = await openSshSession();
    const path = join(s.dir, 'sparse');
    execFileSync('truncate', ['-s', '20M', path]);
    execFileSync('dd', ['if=/dev/urandom', `of=${path}`, 'bs=4096', 'count=2', 'seek=2000', 'conv=notrunc'], { stdio: 'ignore' });
    const local = localTemp();
    await s.client.get('sparse', join(local, 'sparse'));
    expect(readFileSync(join(local, 'sparse')).equals(readFileSync(path))).toBe(true);
    expect(existsSync(join(local, 'sparse'))).toBe(true);
  });

  it('reads an empty file and writes an empty file', async () => {
    s = await openSshSession();
    writeFileSync(join(s.dir, 'empty'), '');
    const f = await s.client.open('empty', 'rb');
    expect(await f.read()).toEqual(new Uint8Array(0));
    expect(await f.read(100)).toEqual(new Uint8Array(0));
    await f.close();
    const local = localTemp();
    writeFileSync(join(local, 'e'), '');
    await s.client.put(join(local, 'e'), 'e2');
    expect(statSync(join(s.dir, 'e2')).size).toBe(0);
  });
});
