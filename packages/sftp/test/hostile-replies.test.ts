/**
 * The client against servers whose replies are legal packets but make no sense: listings that
 * never end, globs over directories that contain themselves, limits beyond 2^53, extended
 * replies cut short.
 */
import { describe, expect, it } from 'vitest';
import { Writer } from '@ssh/wire';
import { FX, SFTPBadMessage, encodeResponse, startSftpClient } from '../src/index.ts';
import { rawServer } from './helpers/raw-server.ts';

const ok = (id: number): Uint8Array => encodeResponse({ kind: 'status', id, status: FX.OK, message: '', lang: '' }, 3);
const eof = (id: number): Uint8Array => encodeResponse({ kind: 'status', id, status: FX.EOF, message: '', lang: '' }, 3);

describe('directory listings', () => {
  it('an empty NAME reply to READDIR ends the listing (the caller would never get control back)', async () => {
    let readdirs = 0;
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'opendir') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(7) }, 3));
      else if (req.kind === 'readdir') {
        // Stop after a while so that the test ends even when the client keeps asking.
        send(++readdirs > 200 ? eof(req.id) : encodeResponse({ kind: 'name', id: req.id, names: [] }, 3));
      } else send(ok(req.id));
    });
    const client = await startSftpClient(server.clientEnd);
    expect(await client.readdir('d')).toEqual([]);
    expect(readdirs).toBe(1);
    // The handle was closed.
    expect(server.requests.at(-1)?.kind).toBe('close');
    client.exit();
    await server.done;
  });
});

describe('limits@openssh.com', () => {
  const limitsServer = (values: readonly bigint[]): ReturnType<typeof rawServer> =>
    rawServer(
      3,
      (req, send) => {
        if (req.kind === 'extended' && req.request === 'limits@openssh.com') {
          const w = new Writer(32);
          for (const v of values) w.u64(v);
          send(encodeResponse({ kind: 'extended-reply', id: req.id, data: w.finish() }, 3));
        } else send(ok(req.id));
      },
      [['limits@openssh.com', Uint8Array.of(0x31)]],
    );

  // OpenSSH's sftp-server states its open file limit less 5 as max-open-handles, unbounded: a
  // soft limit of RLIM_INFINITY gives nearly 2^64.
  it('takes values beyond 2^53 as "as much as can be counted", not as a malformed reply', async () => {
    const server = limitsServer([2n ** 64n - 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 64n - 6n]);
    const client = await startSftpClient(server.clientEnd);
    expect(client.limits).toEqual({ maxPacketLen: Number.MAX_SAFE_INTEGER, maxReadLen: Number.MAX_SAFE_INTEGER, maxWriteLen: Number.MAX_SAFE_INTEGER, maxOpenHandles: Number.MAX_SAFE_INTEGER });
    expect(client.transferParams()).toEqual({ blockSize: 255 * 1024, maxRequests: 64 });
    expect(client.transferParams(undefined, undefined, true)).toEqual({ blockSize: 255 * 1024, maxRequests: 64 });
    client.exit();
    await server.done;
  });

  it.each([
    [[0n, 0n, 0n, 0n]],
    [[1n, 1n, 1n, 1n]],
    [[0xffff_ffffn, 0xffff_ffffn, 0xffff_ffffn, 0xffff_ffffn]],
    [[2000n, 0n, 0n, 0n]],
  ])('keeps block size and request count in bounds with limits %s', async (values) => {
    const server = limitsServer(values);
    const client = await startSftpClient(server.clientEnd);
    for (const forWrite of [false, true]) {
      const { blockSize, maxRequests } = client.transferParams(undefined, undefined, forWrite);
      expect(blockSize).toBeGreaterThanOrEqual(1);
      expect(blockSize).toBeLessThanOrEqual(255 * 1024);
      expect(maxRequests).toBeGreaterThanOrEqual(1);
      expect(maxRequests).toBeLessThanOrEqual(128);
    }
    client.exit();
    await server.done;
  });

  it('a reply cut short still fails the start with SFTPBadMessage', async () => {
    const server = limitsServer([1n, 2n, 3n]);
    await expect(startSftpClient(server.clientEnd)).rejects.toBeInstanceOf(SFTPBadMessage);
    await server.done;
  });
});
