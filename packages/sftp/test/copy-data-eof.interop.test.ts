/**
 * A copy-data followed at once by the end of the client's input (a half-close), sent as raw bytes
 * to OpenSSH's sftp-server and to our server (each a child process on pipes): both finish the copy
 * before they exit. OpenSSH 9.2 then exits without reading on (the requests behind the copy and
 * its reply are lost); ours also answers them, its output being still open.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writer } from '@ssh/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FX, FXF, FXP, PacketFramer, type SftpResponse, decodeResponse, encodeInit, encodeRequest } from '../src/index.ts';
import { SFTP_SERVER } from './helpers/openssh.ts';
import { writeLauncher } from './helpers/sftp-batch.ts';

let work: string;
beforeEach(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-copy-eof-')));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

const SIZE = 96 << 20;

/**
 * Runs `command` on pipes in `dir`: opens src and dst, sends a copy-data of all of src and a STAT
 * behind it, ends its input, and returns the replies to those two and the size dst had at exit.
 */
async function copyThenEof(command: string, args: readonly string[], dir: string): Promise<{ replies: SftpResponse[]; size: number }> {
  const child = spawn(command, args, { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const framer = new PacketFramer(1 << 20);
  const replies: SftpResponse[] = [];
  let wake: (() => void) | undefined;
  let versionSeen = false;
  child.stdout.on('data', (chunk: Buffer) => {
    for (const p of framer.push(new Uint8Array(chunk))) {
      if (!versionSeen) versionSeen = true;
      else replies.push(decodeResponse(p, 3));
    }
    wake?.();
  });
  const next = async (n: number): Promise<void> => {
    while (replies.length < n) await new Promise<void>((resolve) => (wake = resolve));
  };
  const handle = (r: SftpResponse | undefined): Uint8Array => {
    if (r?.kind !== 'handle') throw new Error(`expected a handle, got ${JSON.stringify(r)}`);
    return r.handle;
  };
  child.stdin.write(encodeInit(FXP.INIT, { version: 3, extensions: [] }));
  child.stdin.write(encodeRequest({ kind: 'open', id: 1, path: join(dir, 'src'), flags: FXF.READ, attrs: {} }, 3));
  child.stdin.write(encodeRequest({ kind: 'open', id: 2, path: join(dir, 'dst'), flags: FXF.WRITE | FXF.CREAT | FXF.TRUNC, attrs: {} }, 3));
  await next(2);
  const [src, dst] = [handle(replies[0]), handle(replies[1])];
  const copy = new Writer(64).bytes(src).u64(0n).u64(0n).bytes(dst).u64(0n).finish();
  child.stdin.write(encodeRequest({ kind: 'extended', id: 3, request: 'copy-data', data: copy }, 3));
  child.stdin.write(encodeRequest({ kind: 'stat', id: 4, path: join(dir, 'src') }, 3));
  child.stdin.end();
  await exited;
  clearTimeout(timer);
  return { replies: replies.slice(2), size: statSync(join(dir, 'dst')).size };
}

describe('copy-data, then the end of the input', () => {
  it('is finished by OpenSSH sftp-server and by ours; ours answers it and what follows', async () => {
    const theirs = join(work, 'theirs');
    const ours = join(work, 'ours');
    for (const d of [theirs, ours]) {
      mkdirSync(d);
      writeFileSync(join(d, 'src'), '');
      truncateSync(join(d, 'src'), SIZE);
    }
    const openssh = await copyThenEof(SFTP_SERVER, ['-e', '-l', 'QUIET'], theirs);
    expect(openssh.size).toBe(SIZE);
    const launcher = writeLauncher(work, ['-', ours]);
    const mine = await copyThenEof(launcher, [], ours);
    expect(mine.size).toBe(SIZE);
    expect(mine.replies.map((r) => [r.kind, r.id, r.kind === 'status' ? r.status : undefined])).toEqual([
      ['status', 3, FX.OK],
      ['attrs', 4, undefined],
    ]);
  }, 60_000);
});
