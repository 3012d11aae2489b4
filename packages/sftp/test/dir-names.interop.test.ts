/**
 * Names that end in `/` name directories: OpenSSH's sftp-server hands them to the kernel as they
 * are, which refuses a file or follows a symlink there. Our server, unconfined and chrooted
 * (where it resolves every path itself), must answer every request as sftp-server does.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILEXFER_TYPE, SFTPError, type SFTPClient, attrsType, createMemoryPipe, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';
import { openSshSession } from './helpers/openssh.ts';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** A file, a directory, symlinks to each, a dangling one and one out of the directory (to `outside`). */
function populate(dir: string, outside: string): void {
  writeFileSync(join(dir, 'f'), 'file');
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'inner'), 'inner');
  mkdirSync(join(dir, 'gone'));
  symlinkSync('d', join(dir, 'ld'));
  symlinkSync('f', join(dir, 'lf'));
  symlinkSync('nowhere', join(dir, 'dang'));
  mkdirSync(join(outside, 'od'), { recursive: true });
  symlinkSync(join(outside, 'od'), join(dir, 'lout'));
}

function typeName(type: number): string {
  return type === FILEXFER_TYPE.DIRECTORY ? 'dir' : type === FILEXFER_TYPE.REGULAR ? 'file' : type === FILEXFER_TYPE.SYMLINK ? 'link' : String(type);
}

/** What each request does with names ending in `/`: a result, or `error`. */
async function answers(client: SFTPClient, root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const attempt = async (label: string, fn: () => Promise<string>): Promise<void> => {
    out[label] = await fn().then(
      (r) => `ok ${r}`,
      (e: unknown) => `error ${e instanceof SFTPError ? e.code : String(e)}`,
    );
  };
  const names = ['f/', 'd/', 'ld/', 'lf/', 'dang/', 'nx/', 'f/.', 'd/.'];
  for (const n of names) {
    await attempt(`stat ${n}`, async () => typeName(attrsType(await client.stat(n))));
    await attempt(`lstat ${n}`, async () => typeName(attrsType(await client.lstat(n))));
    await attempt(`readlink ${n}`, () => client.readlink(n));
    await attempt(`realpath ${n}`, async () => (await client.realpath(n)).replace(root, '').replace(/^\/$/, '(root)'));
    await attempt(`listdir ${n}`, async () => (await client.listdir(n)).filter((e) => e !== '.' && e !== '..').sort().join(','));
    await attempt(`open ${n}`, async () => {
      const file = await client.open(n, 'r');
      await file.close();
      return 'opened';
    });
    await attempt(`chmod ${n}`, async () => {
      await client.chmod(n, 0o700);
      return 'done';
    });
  }
  await attempt('create new/', async () => {
    const file = await client.open('new/', 'w');
    await file.close();
    return 'created';
  });
  for (const n of ['f/', 'lf/', 'ld/', 'dang/', 'nx/', 'lout/']) {
    await attempt(`remove ${n}`, async () => {
      await client.remove(n);
      return 'done';
    });
    await attempt(`rmdir ${n}`, async () => {
      await client.rmdir(n);
      return 'done';
    });
    await attempt(`rename ${n}`, async () => {
      await client.rename(n, 'renamed');
      return 'done';
    });
    await attempt(`mkdir ${n}`, async () => {
      await client.mkdir(n);
      return 'done';
    });
    await attempt(`symlink at ${n}`, async () => {
      await client.symlink('x', n);
      return 'done';
    });
  }
  await attempt('rename f to nx2/', async () => {
    await client.rename('f', 'nx2/');
    return 'done';
  });
  await attempt('remove d/', async () => {
    await client.remove('d/');
    return 'done';
  });
  await attempt('mkdir made/', async () => {
    await client.mkdir('made/');
    return 'done';
  });
  await attempt('rmdir gone/', async () => {
    await client.rmdir('gone/');
    return 'done';
  });
  return out;
}

/** What the directory holds afterwards (names, types, link targets' existence). */
function tree(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((n) => {
      const st = lstatSync(join(dir, n));
      return `${n}:${st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file'}`;
    });
}

async function ourSession(dir: string, chroot: boolean): Promise<{ client: SFTPClient; close(): Promise<void> }> {
  const [clientEnd, serverEnd] = createMemoryPipe();
  const served = runSftpServer(serverEnd, new LocalSFTPServer(chroot ? { chroot: dir } : { home: dir }));
  const client = await startSftpClient(clientEnd);
  return {
    client,
    async close() {
      client.exit();
      await served;
    },
  };
}

function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  temps.push(dir);
  return dir;
}

describe('names ending in /', () => {
  it('get the answers OpenSSH sftp-server gives, from our server unconfined and chrooted', async () => {
    const theirs = await openSshSession();
    const theirOutside = tempDir('sftp-dirnames-out-');
    let expected: Record<string, string>;
    let expectedTree: string[];
    try {
      const dir = realpathSync(theirs.dir);
      populate(dir, theirOutside);
      // sftp-server answers EINVAL (readlink of a directory) with BAD_MESSAGE; ours, as AsyncSSH's,
      // with INVALID_PARAMETER, which is FAILURE before v5. Every other code must be the same.
      expected = Object.fromEntries(Object.entries(await answers(theirs.client, dir)).map(([k, v]) => [k, v.replace('BAD_MESSAGE', 'FAILURE')]));
      expectedTree = tree(dir);
    } finally {
      await theirs.close();
    }
    // Not vacuous: a file named as a directory is refused, and a symlink to one is followed.
    expect(expected['stat f/']).toMatch(/^error/);
    expect(expected['remove f/']).toMatch(/^error/);
    expect(expected['lstat ld/']).toBe('ok dir');
    expect(expected['mkdir made/']).toBe('ok done');

    for (const chroot of [false, true]) {
      const dir = tempDir('sftp-dirnames-');
      const outside = tempDir('sftp-dirnames-out-');
      populate(dir, outside);
      const ours = await ourSession(dir, chroot);
      try {
        const got = await answers(ours.client, chroot ? '' : dir);
        expect({ chroot, ...got }).toEqual({ chroot, ...expected });
        expect(tree(dir)).toEqual(expectedTree);
        expect(existsSync(join(outside, 'od'))).toBe(true);
      } finally {
        await ours.close();
      }
    }
  }, 60000);
});
