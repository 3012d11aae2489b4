/** runScpServer against a hostile source, in memory: what it leaves open on the local side. */
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalFs, createMemoryPipe, runScpServer } from '../src/index.ts';
import { chrootLocalFs, nodeLocalFs } from '../src/node/index.ts';

/** nodeLocalFs that counts the files it opened and has not closed yet. */
function countingFs(): { fs: LocalFs; open: () => number } {
  let open = 0;
  const fs: LocalFs = {
    ...nodeLocalFs,
    async open(p, mode) {
      const file = await nodeLocalFs.open(p, mode);
      open++;
      return {
        ...file,
        read: (position, length) => file.read(position, length),
        write: (data, position) => file.write(data, position),
        async close() {
          open--;
          await file.close();
        },
      };
    },
  };
  return { fs, open: () => open };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('runScpServer (scp -t) against a hostile source', () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'scp-server-')));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a file the source abandons with an error in place of its end marker', async () => {
    const { fs, open } = countingFs();
    const [client, server] = createMemoryPipe();
    const served = runScpServer(server, fs, `scp -t ${dir}`);
    // Each file's data is followed by `\1message\n` instead of `\0`, then the next file begins.
    for (let i = 0; i < 20; i++) void client.write(text(`C0644 5 f${i}\nhello\u0001abandoned\n`));
    void client.write(text('C0644 5 last\nworld\u0000'));
    client.close();
    await expect(served).rejects.toThrow(/abandoned/);
    expect(open()).toBe(0);
    expect(readFileSync(join(dir, 'last'), 'utf8')).toBe('world');
    expect(readFileSync(join(dir, 'f0'), 'utf8')).toBe('hello');
  });

  it('creates files with the mode the source sends, less the umask, and new directories with theirs, as scp -t does without -p', async () => {
    writeFileSync(join(dir, 'existing'), 'old');
    chmodSync(join(dir, 'existing'), 0o600);
    for (const fs of [nodeLocalFs, chrootLocalFs(dir)]) {
      const base = fs === nodeLocalFs ? dir : '/';
      const [client, server] = createMemoryPipe();
      const served = runScpServer(server, fs, `scp -r -t ${base}`);
      void client.write(text('C0604 1 shared\nx\u0000C0444 1 readonly\ny\u0000C0777 1 existing\nz\u0000D0700 0 private\nC0640 1 f\nw\u0000E\n'));
      client.close();
      await served;
      const mode = (name: string): number => statSync(join(dir, name)).mode & 0o7777;
      const umask = process.umask();
      expect(mode('shared')).toBe(0o604 & ~umask);
      // Kept writable by its owner until its data is in, as scp opens it, then given its mode.
      expect(mode('readonly')).toBe(0o444 & ~umask);
      expect(mode('existing')).toBe(0o600); // an existing file keeps its mode
      expect(mode('private')).toBe(0o700); // scp chmods a directory it made to the mode sent
      expect(mode('private/f')).toBe(0o640 & ~umask);
      for (const name of ['shared', 'readonly', 'private/f']) rmSync(join(dir, name));
      rmSync(join(dir, 'private'), { recursive: true });
    }
  });

  it('refuses scp -t -d onto a target that is not a directory, before taking any file', async () => {
    writeFileSync(join(dir, 'file'), 'kept');
    for (const [target, why] of [
      ['file', 'Not a directory'],
      ['missing', 'No such file or directory'],
    ] as const) {
      const [client, server] = createMemoryPipe();
      const served = runScpServer(server, chrootLocalFs(dir), `scp -t -d ${target}`);
      const reading = (async () => {
        const got: number[] = [];
        for await (const chunk of client.readable) got.push(...chunk);
        return new TextDecoder().decode(Uint8Array.from(got));
      })();
      await expect(served).rejects.toThrow(why);
      client.close();
      const reply = await reading;
      expect(reply.startsWith('\u0002')).toBe(true);
      expect(reply.endsWith(`${target}: ${why}\n`)).toBe(true);
    }
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('kept');
  });

  it('expands an scp -f glob as a shell would: hidden names only for a pattern with a dot', async () => {
    for (const f of ['a.txt', '.h.txt']) writeFileSync(join(dir, f), f);
    const sent = async (pattern: string): Promise<string> => {
      const [client, server] = createMemoryPipe();
      const served = runScpServer(server, chrootLocalFs(dir), `scp -f '${pattern}'`);
      const got: number[] = [];
      const reading = (async () => {
        for await (const chunk of client.readable) {
          for (const b of chunk) got.push(b);
          // Acknowledge each record and each file's end, as a sink does.
          void client.write(Uint8Array.of(0));
        }
      })();
      void client.write(Uint8Array.of(0));
      await served;
      client.close();
      await reading;
      return new TextDecoder().decode(Uint8Array.from(got));
    };
    const names = (records: string): string[] => [...records.matchAll(/^C\d{4} \d+ (.+)$/gm)].map((m) => m[1] as string).sort();
    expect(names(await sent('*.txt'))).toEqual(['a.txt']);
    expect(names(await sent('.*.txt'))).toEqual(['.h.txt']);
  });

  it('refuses an scp -f glob that matches more than 100,000 paths before listing them all', async () => {
    // n links to their own directory multiply the matches by n at each `*/`: 400^2 here, n^k for k.
    for (let i = 0; i < 400; i++) symlinkSync('.', join(dir, `l${i}`));
    writeFileSync(join(dir, 'f'), 'x');
    const [client, server] = createMemoryPipe();
    const served = runScpServer(server, chrootLocalFs(dir), `scp -f '*/*/f'`);
    void client.write(Uint8Array.of(0));
    const got: number[] = [];
    const reading = (async () => {
      for await (const chunk of client.readable) got.push(...chunk.subarray(0, 200 - got.length));
    })();
    await expect(served).rejects.toThrow(/more than 100000 matches/);
    client.close();
    await reading;
    const reply = new TextDecoder().decode(Uint8Array.from(got));
    expect(reply[0]).toBe('\u0002');
    expect(reply).toMatch(/more than 100000 matches/);
  }, 20_000);
});

/**
 * Bounds that only tell linear from worse: the deep tree below took over 40 s when each record
 * looked up every component of its path, a few seconds now on a busy machine.
 */
const LINEAR_BOUND_MS = 20_000;

describe('runScpServer (scp -r -t) into a chroot', () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'scp-server-')));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a tree 1,000 directories deep in time linear in its records', async () => {
    // Each directory holds a file and the next directory, as `scp -r` of such a tree sends them.
    const depth = 1000;
    const [client, server] = createMemoryPipe();
    const served = runScpServer(server, chrootLocalFs(dir), 'scp -r -t /');
    const started = performance.now();
    void client.write(text('D0755 0 d\nC0644 1 f\nx\u0000'.repeat(depth) + 'E\n'.repeat(depth)));
    client.close();
    await served;
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
    const deepest = join(dir, ...Array<string>(depth).fill('d'));
    expect(statSync(join(deepest, 'f')).size).toBe(1);
  }, 120_000);
});
