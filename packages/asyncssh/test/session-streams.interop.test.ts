/**
 * SSHReader and SSHWriter over real channels (a process of OpenSSH's sshd): readline,
 * readexactly, readuntil, async iteration, text decoding across packet boundaries, and the
 * Node stream adapters piping a process's output to a file and a file into a process.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readerToReadable, writerToWritable } from '@ssh/connection/node';
import { defaultClientKey, knownHostsLines, makeTempDir, removeTempDir, startSshd, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IncompleteReadError, LimitOverrunError, SSHWriter, connect, type SSHClientConnection } from '../src/index.ts';

let sshd: SshdServer;
let conn: SSHClientConnection;
let dir: string;

beforeAll(async () => {
  const key = await defaultClientKey();
  sshd = await startSshd();
  dir = await makeTempDir('session-streams');
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  conn = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null, config: null });
}, 30_000);

afterAll(async () => {
  conn?.close();
  await conn?.waitClosed();
  await sshd?.stop();
  if (dir !== undefined) await removeTempDir(dir);
});

/** `seq 1 n` as the text it prints. */
function seqText(n: number): string {
  return Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');
}

describe('SSHReader on process output', () => {
  it('readline returns each line, the unterminated last one, then the empty string', async () => {
    const proc = await conn.createProcess("printf 'one\\ntwo\\nthree'");
    expect(await proc.stdout.readline()).toBe('one\n');
    expect(await proc.stdout.readline()).toBe('two\n');
    expect(await proc.stdout.readline()).toBe('three');
    expect(await proc.stdout.readline()).toBe('');
    expect(proc.stdout.atEof()).toBe(true);
    expect((await proc.wait({ timeout: 10 })).exitStatus).toBe(0);
  });

  it('readexactly returns exactly n, and IncompleteReadError holds the rest at EOF', async () => {
    const proc = await conn.createProcess<Uint8Array>('printf abcdefgh', { encoding: null });
    expect(new TextDecoder().decode(await proc.stdout.readexactly(3))).toBe('abc');
    const error = await proc.stdout.readexactly(10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect(new TextDecoder().decode((error as IncompleteReadError<Uint8Array>).partial)).toBe('defgh');
    expect((error as IncompleteReadError).expected).toBe(10);
    await proc.wait({ timeout: 10 });
  });

  it('readuntil stops after the first separator found, of one or several', async () => {
    const proc = await conn.createProcess("printf 'a::b;c::d'");
    expect(await proc.stdout.readuntil('::')).toBe('a::');
    expect(await proc.stdout.readuntil(['::', ';'])).toBe('b;');
    expect(await proc.stdout.readuntil('::')).toBe('c::');
    await expect(proc.stdout.readuntil('::')).rejects.toMatchObject({ name: 'IncompleteReadError', partial: 'd' });
    await proc.wait({ timeout: 10 });
  });

  it('readline past the limit throws LimitOverrunError and leaves the data to read', async () => {
    const proc = await conn.createProcess("head -c 100000 /dev/zero | tr '\\0' x; echo");
    await expect(proc.stdout.readline()).rejects.toBeInstanceOf(LimitOverrunError);
    const rest = await proc.stdout.read();
    expect(rest).toBe('x'.repeat(100_000) + '\n');
    await proc.wait({ timeout: 10 });
  });

  it('iterates over lines of a long output with async iteration', async () => {
    const proc = await conn.createProcess('seq 1 20000');
    let count = 0;
    for await (const line of proc.stdout) {
      count++;
      if (line !== `${count}\n`) throw new Error(`line ${count} was ${JSON.stringify(line)}`);
    }
    expect(count).toBe(20_000);
    expect((await proc.wait({ timeout: 10 })).exitStatus).toBe(0);
  });

  it('decodes multi-byte UTF-8 split across packets', async () => {
    // 200000 two-byte characters: far more than one packet, so some split a character.
    const proc = await conn.createProcess("head -c 200000 /dev/zero | tr '\\0' x | sed 's/x/é/g'");
    const text = await proc.stdout.read();
    expect(text).toBe('é'.repeat(200_000));
    await proc.wait({ timeout: 10 });
  });

  it('reads stderr and stdout apart and at once', async () => {
    const proc = await conn.createProcess('seq 1 3000; seq 1 3000 >&2');
    const [out, err] = await Promise.all([proc.stdout.read(), proc.stderr.read()]);
    expect(out).toBe(seqText(3000));
    expect(err).toBe(seqText(3000));
    await proc.wait({ timeout: 10 });
  });
});

describe('Node stream adapters on a process', () => {
  it("pipes a process's output to a file through readerToReadable", async () => {
    const file = path.join(dir, 'seq.txt');
    const proc = await conn.createProcess<Uint8Array>('seq 1 300000', { encoding: null });
    await pipeline(readerToReadable(proc.stdout), createWriteStream(file));
    expect(readFileSync(file, 'utf8')).toBe(seqText(300_000));
    expect((await proc.wait({ timeout: 10 })).exitStatus).toBe(0);
  });

  it('pipes a file into a process through writerToWritable, ending with EOF', async () => {
    const file = path.join(dir, 'input.bin');
    const data = new Uint8Array(8 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    writeFileSync(file, data);
    const proc = await conn.createProcess('sha256sum; wc -c');
    const output = proc.stdout.read();
    await pipeline(createReadStream(file), writerToWritable(proc.stdin));
    const expected = createHash('sha256').update(data).digest('hex');
    // sha256sum reads all of stdin, so `wc -c` sees nothing left: 0.
    expect(await output).toBe(`${expected}  -\n0\n`);
    expect((await proc.wait({ timeout: 10 })).exitStatus).toBe(0);
  });

  it("feeds a local child's stdout to a process's stdin from a reused read buffer", async () => {
    const file = path.join(dir, 'child-input.bin');
    const data = new Uint8Array(6 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 40503) >>> 8;
    writeFileSync(file, data);
    const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'ignore'] });
    const transient = vi.spyOn(SSHWriter.prototype, 'writeTransient');
    try {
      const proc = await conn.createProcess('sha256sum', { stdin: child.stdout });
      const expected = createHash('sha256').update(data).digest('hex');
      expect(await proc.stdout.read()).toBe(`${expected}  -\n`);
      expect((await proc.wait({ timeout: 10 })).exitStatus).toBe(0);
      // The child's pipe went through the reused-buffer relay, not async iteration.
      expect(transient).toHaveBeenCalled();
    } finally {
      transient.mockRestore();
      child.kill();
    }
  });

  it('pipes one process into another through both adapters', async () => {
    const source = await conn.createProcess<Uint8Array>('seq 1 100000', { encoding: null });
    const sink = await conn.createProcess('wc -l');
    await pipeline(readerToReadable(source.stdout), writerToWritable(sink.stdin));
    expect((await sink.stdout.read()).trim()).toBe('100000');
    await Promise.all([source.wait({ timeout: 10 }), sink.wait({ timeout: 10 })]);
  });
});
