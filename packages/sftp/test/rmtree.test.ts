/**
 * rmtree against a server whose directory listing moves under removals: entries removed while a
 * listing is read may hide others from it (readdir(3) leaves that unspecified), so rmtree reads
 * the directory again rather than failing on a directory it left half full.
 */
import { describe, expect, it } from 'vitest';
import { type SFTPName, FX, SFTPFailure, SFTPPermissionDenied, encodeResponse, startSftpClient } from '../src/index.ts';
import { rawServer } from './helpers/raw-server.ts';

const status = (id: number, code: number, message = ''): Uint8Array => encodeResponse({ kind: 'status', id, status: code, message, lang: '' }, 3);

/**
 * A tree of directories and files whose READDIR reads by position in the live listing, 100 at a
 * time: each entry removed before the next READDIR makes it skip one that is still there.
 * `stuck` names files whose REMOVE fails; `lying` makes REMOVE answer OK and remove nothing.
 */
function shiftingServer(tree: Map<string, string[]>, opts: { stuck?: ReadonlySet<string>; lying?: boolean } = {}) {
  const handles = new Map<number, { dir: string; at: number }>();
  let nextHandle = 0;
  const counts = { readdir: 0, opendir: 0, readdirAtFirstRemove: -1 };
  const isDir = (p: string): boolean => tree.has(p);
  const parentOf = (p: string): [string, string] => {
    const i = p.lastIndexOf('/');
    return [i === 0 ? '/' : p.slice(0, i), p.slice(i + 1)];
  };
  const unlink = (p: string): boolean => {
    const [parent, name] = parentOf(p);
    const list = tree.get(parent);
    const at = list?.indexOf(name) ?? -1;
    if (!list || at < 0) return false;
    list.splice(at, 1);
    return true;
  };
  const server = rawServer(3, (req, send) => {
    if (req.kind === 'opendir') {
      counts.opendir++;
      if (!isDir(req.path)) return send(status(req.id, FX.NO_SUCH_FILE));
      const h = nextHandle++;
      handles.set(h, { dir: req.path, at: 0 });
      return send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(h) }, 3));
    }
    if (req.kind === 'readdir') {
      counts.readdir++;
      const state = handles.get(req.handle[0] as number);
      if (!state) return send(status(req.id, FX.FAILURE));
      const list = tree.get(state.dir) ?? [];
      const batch = list.slice(state.at, state.at + 100);
      state.at += batch.length;
      if (batch.length === 0) return send(status(req.id, FX.EOF));
      const names: SFTPName[] = batch.map((n) => ({ filename: n, longname: n, attrs: { permissions: isDir(`${state.dir}/${n}`) ? 0o40755 : 0o100644 } }));
      return send(encodeResponse({ kind: 'name', id: req.id, names }, 3));
    }
    if (req.kind === 'close') {
      handles.delete(req.handle[0] as number);
      return send(status(req.id, FX.OK));
    }
    if (req.kind === 'remove') {
      if (counts.readdirAtFirstRemove < 0) counts.readdirAtFirstRemove = counts.readdir;
      if (opts.stuck?.has(req.path)) return send(status(req.id, FX.PERMISSION_DENIED));
      if (opts.lying) return send(status(req.id, FX.OK));
      return send(status(req.id, unlink(req.path) ? FX.OK : FX.NO_SUCH_FILE));
    }
    if (req.kind === 'rmdir') {
      const list = tree.get(req.path);
      if (!list) return send(status(req.id, FX.NO_SUCH_FILE));
      if (list.length > 0) return send(status(req.id, FX.FAILURE, 'directory not empty'));
      tree.delete(req.path);
      unlink(req.path);
      return send(status(req.id, FX.OK));
    }
    return send(status(req.id, FX.OP_UNSUPPORTED));
  });
  return { ...server, counts };
}

const files = (n: number, prefix = 'f'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('rmtree', () => {
  it('removes every entry of a large directory whose listing shifts as entries go', async () => {
    const tree = new Map<string, string[]>([['/top', [...files(1000), 'sub']], ['/top/sub', files(350)], ['/', ['top']]]);
    const server = shiftingServer(tree);
    const client = await startSftpClient(server.clientEnd);
    await client.rmtree('/top');
    // Removing began after the first batch of 100, not after the whole listing.
    expect(server.counts.readdirAtFirstRemove).toBe(1);
    expect(tree.has('/top')).toBe(false);
    expect(tree.get('/')).toEqual([]);
    client.exit();
    await server.done;
  });

  it('fails on an entry it cannot remove, and with ignoreErrors removes all else', async () => {
    const tree = new Map<string, string[]>([['/top', files(300)], ['/', ['top']]]);
    const server = shiftingServer(tree, { stuck: new Set(['/top/f5']) });
    const client = await startSftpClient(server.clientEnd);
    await expect(client.rmtree('/top')).rejects.toBeInstanceOf(SFTPPermissionDenied);
    // With ignoreErrors: everything else goes, the directory stays, nothing is thrown.
    await client.rmtree('/top', { ignoreErrors: true });
    expect(tree.get('/top')).toEqual(['f5']);
    client.exit();
    await server.done;
  });

  it('gives up on a server whose removes succeed but remove nothing, after a bounded number of reads', async () => {
    const tree = new Map<string, string[]>([['/top', files(10)], ['/', ['top']]]);
    const server = shiftingServer(tree, { lying: true });
    const client = await startSftpClient(server.clientEnd);
    await expect(client.rmtree('/top')).rejects.toBeInstanceOf(SFTPFailure);
    expect(server.counts.opendir).toBeLessThanOrEqual(64);
    client.exit();
    await server.done;
  });
});
