/**
 * Our SCP source and sink against OpenSSH's scp in its remote roles (`scp -t` sink, `scp -f`
 * source), spawned directly on pipes: the same bytes an SSH exec channel would carry.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScpError, createMemoryPipe, encodeDirective, scpReceive, scpSend, type LocalFs, type SftpByteStream } from '../src/index.ts';
import { fromNodeStreams, nodeLocalFs } from '../src/node/index.ts';

let work: string;
beforeEach(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'scp-')));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Runs `scp <args>` with our side `run` on its pipes; resolves when both are done. */
async function withScp(args: string[], run: (stream: ReturnType<typeof fromNodeStreams>) => Promise<void>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('scp', args, { cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  try {
    await run(fromNodeStreams(child.stdout, child.stdin));
  } finally {
    const code = await exited;
    clearTimeout(timer);
    void code;
  }
  return { code: child.exitCode, stderr };
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * seed + (i >> 7)) & 0xff;
  return b;
}

describe('scpSend to scp -t', () => {
  it('uploads files and a tree with times and modes', async () => {
    mkdirSync(join(work, 'src/tree/sub'), { recursive: true });
    writeFileSync(join(work, 'src/one.bin'), bytes(300_000, 3));
    writeFileSync(join(work, 'src/tree/a.txt'), 'A');
    writeFileSync(join(work, 'src/tree/sub/b.txt'), 'B');
    utimesSync(join(work, 'src/one.bin'), 1000000000, 1200000000);
    mkdirSync(join(work, 'dst'));
    const progress: number[] = [];
    const destinations = new Set<string>();
    const r = await withScp(['-r', '-p', '-t', join(work, 'dst')], (stream) =>
      scpSend(stream, nodeLocalFs, [join(work, 'src/one.bin'), join(work, 'src/tree')], {
        recurse: true,
        preserve: true,
        progressHandler: (_src, dst, n) => {
          progress.push(n);
          destinations.add(dst);
        },
      }),
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(work, 'dst/one.bin')).equals(readFileSync(join(work, 'src/one.bin')))).toBe(true);
    expect(statSync(join(work, 'dst/one.bin')).mtimeMs).toBe(1200000000 * 1000);
    expect(readFileSync(join(work, 'dst/tree/sub/b.txt'), 'utf8')).toBe('B');
    expect(progress).toContain(300_000);
    expect(destinations).toContain('one.bin');
    expect(destinations).toContain('tree/sub/b.txt');
  });

  it('reports the sink refusing a directory without -r', async () => {
    mkdirSync(join(work, 'd'));
    mkdirSync(join(work, 'dst'));
    await withScp(['-t', join(work, 'dst')], async (stream) => {
      await expect(scpSend(stream, nodeLocalFs, [join(work, 'd')], { recurse: true })).rejects.toBeInstanceOf(ScpError);
    });
  });

  it('with an error handler, reports a source it cannot read and sends the others', async () => {
    writeFileSync(join(work, 'ok.txt'), 'ok');
    mkdirSync(join(work, 'dst'));
    const errors: Error[] = [];
    const r = await withScp(['-t', join(work, 'dst')], (stream) =>
      scpSend(stream, nodeLocalFs, [join(work, 'missing.txt'), join(work, 'ok.txt')], { errorHandler: (e) => errors.push(e) }),
    );
    expect(errors.map((e) => e.message).join()).toMatch(/missing\.txt/);
    expect(readFileSync(join(work, 'dst/ok.txt'), 'utf8')).toBe('ok');
    // The sink heard of the failure (scp's \1 message): scp -t counts it and exits 1.
    expect(r.code).toBe(1);
  });

  it('skips a file whose name holds a newline, which scp cannot carry', async () => {
    writeFileSync(join(work, 'bad\nname'), 'x');
    writeFileSync(join(work, 'fine.txt'), 'fine');
    mkdirSync(join(work, 'dst'));
    const errors: Error[] = [];
    await withScp(['-t', join(work, 'dst')], (stream) =>
      scpSend(stream, nodeLocalFs, [join(work, 'bad\nname'), join(work, 'fine.txt')], { errorHandler: (e) => errors.push(e) }),
    );
    expect(errors.map((e) => e.message).join()).toMatch(/newline/);
    expect(readFileSync(join(work, 'dst/fine.txt'), 'utf8')).toBe('fine');
    await withScp(['-t', join(work, 'dst')], async (stream) => {
      await expect(scpSend(stream, nodeLocalFs, [join(work, 'bad\nname')])).rejects.toBeInstanceOf(ScpError);
    });
  });
});

describe('scpReceive from scp -f', () => {
  it('downloads a file with its times', async () => {
    writeFileSync(join(work, 'remote.bin'), bytes(500_000, 7));
    utimesSync(join(work, 'remote.bin'), 1000000000, 1100000000);
    mkdirSync(join(work, 'out'));
    const r = await withScp(['-p', '-f', join(work, 'remote.bin')], (stream) => scpReceive(stream, nodeLocalFs, join(work, 'out'), { preserve: true, expectedNames: ['remote.bin'] }));
    expect(r.code).toBe(0);
    expect(readFileSync(join(work, 'out/remote.bin')).equals(readFileSync(join(work, 'remote.bin')))).toBe(true);
    expect(statSync(join(work, 'out/remote.bin')).mtimeMs).toBe(1100000000 * 1000);
  });

  it('downloads a tree recursively', async () => {
    mkdirSync(join(work, 'rt/x/y'), { recursive: true });
    writeFileSync(join(work, 'rt/x/y/deep.txt'), 'deep');
    writeFileSync(join(work, 'rt/top.txt'), 'top');
    mkdirSync(join(work, 'out'));
    const r = await withScp(['-r', '-f', join(work, 'rt')], (stream) => scpReceive(stream, nodeLocalFs, join(work, 'out'), { recurse: true, expectedNames: ['rt'] }));
    expect(r.code).toBe(0);
    expect(readFileSync(join(work, 'out/rt/x/y/deep.txt'), 'utf8')).toBe('deep');
    expect(readFileSync(join(work, 'out/rt/top.txt'), 'utf8')).toBe('top');
  });

  it('reports a missing file', async () => {
    mkdirSync(join(work, 'out'));
    await withScp(['-f', join(work, 'missing')], async (stream) => {
      await expect(scpReceive(stream, nodeLocalFs, join(work, 'out'))).rejects.toBeInstanceOf(ScpError);
    });
  });

  it('with an error handler, reports a missing source and receives the others', async () => {
    writeFileSync(join(work, 'here.txt'), 'here');
    mkdirSync(join(work, 'out'));
    const errors: Error[] = [];
    const progress: string[] = [];
    await withScp(['-f', join(work, 'missing'), join(work, 'here.txt')], (stream) =>
      scpReceive(stream, nodeLocalFs, join(work, 'out'), { errorHandler: (e) => errors.push(e), progressHandler: (src, dst) => progress.push(`${src} -> ${dst}`) }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/missing/);
    expect(readFileSync(join(work, 'out/here.txt'), 'utf8')).toBe('here');
    expect(progress).toContain(`here.txt -> ${join(work, 'out/here.txt')}`);
  });

  it("refuses a file it cannot write and receives the rest of the tree, as OpenSSH's sink", async () => {
    mkdirSync(join(work, 'rt'));
    for (const name of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(work, 'rt', name), name);
    // A directory where b.txt should land: opening it for writing fails.
    mkdirSync(join(work, 'out/rt/b.txt'), { recursive: true });
    const errors: Error[] = [];
    const r = await withScp(['-r', '-f', join(work, 'rt')], (stream) => scpReceive(stream, nodeLocalFs, join(work, 'out'), { recurse: true, errorHandler: (e) => errors.push(e) }));
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/b\.txt/)]);
    expect(readFileSync(join(work, 'out/rt/a.txt'), 'utf8')).toBe('a.txt');
    expect(readFileSync(join(work, 'out/rt/c.txt'), 'utf8')).toBe('c.txt');
    // The source heard the refusal as an error (its exit status 1), and went on.
    expect(r.code).toBe(1);
  });
});

describe('scpReceive from a hostile source', () => {
  it.each(['../evil', '/tmp/evil', 'a/b', 'other.txt'])('refuses %j and writes nothing outside the target', async (name) => {
    mkdirSync(join(work, 'out'));
    const [ours, theirs] = createMemoryPipe();
    const source = (async () => {
      const it = theirs.readable[Symbol.asyncIterator]();
      await it.next(); // the sink's initial OK
      void theirs.write(encodeDirective({ kind: 'file', mode: 0o644, size: 4, name }));
      void theirs.write(new TextEncoder().encode('evil'));
      void theirs.write(Uint8Array.of(0));
      while (!(await it.next()).done);
      theirs.close();
    })();
    await expect(scpReceive(ours, nodeLocalFs, join(work, 'out'), { expectedNames: ['wanted.txt'] })).rejects.toBeInstanceOf(ScpError);
    await source;
    expect(existsSync(join(work, 'evil'))).toBe(false);
    expect(existsSync('/tmp/evil')).toBe(false);
    expect(existsSync(join(work, 'out', name))).toBe(false);
  });
});

describe('scpReceive when preserving fails', () => {
  it('tells the source in place of the final OK and goes on with the next file', async () => {
    mkdirSync(join(work, 'out'));
    const failingTimes: LocalFs = { ...nodeLocalFs, setstat: () => Promise.reject(new Error('read-only file system')) };
    const [ours, theirs] = createMemoryPipe();
    const heard: string[] = [];
    const source = (async () => {
      const it = theirs.readable[Symbol.asyncIterator]();
      const answer = async (): Promise<string> => new TextDecoder().decode(((await it.next()).value as Uint8Array | undefined) ?? new Uint8Array(0));
      await answer(); // the sink's initial OK
      for (const name of ['one.txt', 'two.txt']) {
        void theirs.write(encodeDirective({ kind: 'times', mtime: 1000000000, atime: 1000000000 }));
        heard.push(await answer());
        void theirs.write(encodeDirective({ kind: 'file', mode: 0o644, size: 4, name }));
        heard.push(await answer());
        void theirs.write(new TextEncoder().encode('data'));
        void theirs.write(Uint8Array.of(0));
        heard.push(await answer());
      }
      theirs.close();
    })();
    const errors: Error[] = [];
    await scpReceive(ours, failingTimes, join(work, 'out'), { preserve: true, errorHandler: (e) => errors.push(e) });
    await source;
    expect(readFileSync(join(work, 'out/one.txt'), 'utf8')).toBe('data');
    expect(readFileSync(join(work, 'out/two.txt'), 'utf8')).toBe('data');
    expect(errors).toHaveLength(2);
    expect(errors[0]?.message).toMatch(/set times: read-only file system/);
    // OK for T and C, then the error in place of the file's final OK, for each file.
    expect(heard.map((h) => (h === '\0' ? 'ok' : h.startsWith('\u0001') ? 'error' : h))).toEqual(['ok', 'ok', 'error', 'ok', 'ok', 'error']);
  });
});

describe('scpReceive from a source sending small pieces', () => {
  /** nodeLocalFs, counting the file writes. */
  function countingFs(): { fs: LocalFs; writes: () => number } {
    let writes = 0;
    const fs: LocalFs = {
      ...nodeLocalFs,
      open: async (path: string, mode: 'r' | 'w') => {
        const f = await nodeLocalFs.open(path, mode);
        return {
          read: (position: number, length: number) => f.read(position, length),
          write: (data: Uint8Array, position: number) => {
            writes++;
            return f.write(data, position);
          },
          close: () => f.close(),
        };
      },
    };
    return { fs, writes: () => writes };
  }

  /** A source sending `data` as one file in 4 KiB pieces, then (unless `cut`) its end. */
  function smallPieceSource(theirs: SftpByteStream, data: Buffer, cut: boolean): Promise<void> {
    return (async () => {
      const it = theirs.readable[Symbol.asyncIterator]();
      await it.next(); // the sink's initial OK
      await theirs.write(encodeDirective({ kind: 'file', mode: 0o644, size: data.length, name: 'f.bin' }));
      await it.next(); // accepted
      for (let at = 0; at < (cut ? data.length / 2 : data.length); at += 4096) await theirs.write(Uint8Array.from(data.subarray(at, at + 4096)));
      if (!cut) {
        await theirs.write(Uint8Array.of(0));
        await it.next(); // the file's ack
      }
      theirs.close();
    })();
  }

  it('writes the file whole in few large writes', async () => {
    const data = bytes(1024 * 1024 + 100, 7);
    const [ours, theirs] = createMemoryPipe();
    const { fs, writes } = countingFs();
    const source = smallPieceSource(theirs, data, false);
    await scpReceive(ours, fs, join(work, 'out.bin'));
    await source;
    expect(readFileSync(join(work, 'out.bin')).equals(data)).toBe(true);
    expect(writes()).toBe(5); // 257 pieces of 4 KiB: four full stages and the rest
  });

  it('keeps what arrived when the source goes away mid-file', async () => {
    const data = bytes(200 * 1024, 3);
    const [ours, theirs] = createMemoryPipe();
    const source = smallPieceSource(theirs, data, true);
    await expect(scpReceive(ours, nodeLocalFs, join(work, 'cut.bin'))).rejects.toBeInstanceOf(ScpError);
    await source;
    expect(readFileSync(join(work, 'cut.bin')).equals(data.subarray(0, 100 * 1024))).toBe(true);
  });
});
