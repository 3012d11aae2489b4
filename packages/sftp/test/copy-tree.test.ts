/**
 * Remote-to-remote copy of a tree against hostile listings: one that goes on and on, and a
 * directory that contains itself. Each stops with SFTPFailure, error handler or not.
 */
import { describe, expect, it } from 'vitest';
import { type SFTPName, FX, SFTPFailure, encodeResponse, startSftpClient } from '../src/index.ts';
import { copyFiles } from '../src/transfer.ts';
import { rawServer } from './helpers/raw-server.ts';

const status = (id: number, code: number, message = ''): Uint8Array => encodeResponse({ kind: 'status', id, status: code, message, lang: '' }, 3);

describe('copy of a tree (remote to remote)', () => {
  /** A directory `/src` whose listing has `total` entries, each a directory (so copy recurses). */
  function longListing(total: number) {
    let listed = 0;
    let readdirs = 0;
    const dirAttrs = { permissions: 0o40755 };
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'lstat' || req.kind === 'stat') {
        if (req.path === '/src' || req.path === '/dst') return send(encodeResponse({ kind: 'attrs', id: req.id, attrs: dirAttrs }, 3));
        return send(status(req.id, FX.NO_SUCH_FILE));
      }
      if (req.kind === 'opendir') return send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      if (req.kind === 'readdir') {
        readdirs++;
        if (listed >= total) return send(status(req.id, FX.EOF));
        const names: SFTPName[] = Array.from({ length: 100 }, () => ({ filename: `n${listed++}`, longname: '', attrs: dirAttrs }));
        return send(encodeResponse({ kind: 'name', id: req.id, names }, 3));
      }
      return send(status(req.id, FX.OK));
    });
    return { server, readdirs: () => readdirs };
  }

  it('stops reading a listing past the bound on entries waiting, error handler or not', async () => {
    const { server, readdirs } = longListing(50_000);
    const client = await startSftpClient(server.clientEnd);
    const handled: unknown[] = [];
    await expect(copyFiles(client, '/src', '/dst', { recurse: true, errorHandler: (e) => handled.push(e) }, false, 1000)).rejects.toBeInstanceOf(SFTPFailure);
    expect(readdirs()).toBeLessThanOrEqual(11);
    expect(handled.every((e) => !(e instanceof SFTPFailure) || !String(e).includes('wait at once'))).toBe(true);
    client.exit();
    await server.done;
  });

  it('stops descending a directory that contains itself', async () => {
    let readdirs = 0;
    const dirAttrs = { permissions: 0o40755 };
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'lstat' || req.kind === 'stat') return send(encodeResponse({ kind: 'attrs', id: req.id, attrs: dirAttrs }, 3));
      if (req.kind === 'opendir') return send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      if (req.kind === 'readdir') {
        // Each listing: one entry, 'a', a directory; then EOF.
        return send(readdirs++ % 2 === 0 ? encodeResponse({ kind: 'name', id: req.id, names: [{ filename: 'a', longname: '', attrs: dirAttrs }] }, 3) : status(req.id, FX.EOF));
      }
      return send(status(req.id, FX.OK));
    });
    const client = await startSftpClient(server.clientEnd);
    await expect(client.copy('/src', '/dst', { recurse: true, errorHandler: () => undefined })).rejects.toBeInstanceOf(SFTPFailure);
    expect(readdirs).toBeLessThanOrEqual(2 * 2100);
    client.exit();
    await server.done;
  });
});
