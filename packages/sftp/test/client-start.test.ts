/**
 * startSftpClient against servers that do not answer INIT properly: silence, a stream that ends,
 * a VERSION that is malformed or too large. Each ends in a typed SFTPError, never a hang.
 */
import { describe, expect, it } from 'vitest';
import { Writer } from '@ssh/wire';
import { type SftpByteStream, FXP, SFTPBadMessage, SFTPConnectionLost, SFTPError, createMemoryPipe, encodeInit, startSftpClient } from '../src/index.ts';

/** A server end that reads INIT, answers it with `reply` (nothing when undefined), then nothing more. */
function silentServer(reply?: Uint8Array): { clientEnd: SftpByteStream; serverEnd: SftpByteStream; gotInit: Promise<void>; closed: Promise<void> } {
  const [clientEnd, serverEnd] = createMemoryPipe();
  let initSeen!: () => void;
  const gotInit = new Promise<void>((resolve) => (initSeen = resolve));
  let seen = false;
  const closed = (async () => {
    for await (const chunk of serverEnd.readable) {
      if (chunk.length > 0 && !seen) {
        seen = true;
        initSeen();
        if (reply) void serverEnd.write(reply);
      }
    }
  })();
  return { clientEnd, serverEnd, gotInit, closed };
}

describe('startSftpClient against a server that never sends VERSION', () => {
  it('fails with SFTPConnectionLost when the server closes the stream', async () => {
    const server = silentServer();
    const started = startSftpClient(server.clientEnd);
    await server.gotInit;
    server.serverEnd.close();
    await expect(started).rejects.toBeInstanceOf(SFTPConnectionLost);
  });

  it('fails with SFTPConnectionLost once its signal aborts, and closes the stream', async () => {
    const server = silentServer();
    const ac = new AbortController();
    const started = startSftpClient(server.clientEnd, { signal: ac.signal });
    await server.gotInit;
    ac.abort(new Error('no VERSION within 1 s'));
    const err = await started.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SFTPConnectionLost);
    expect((err as Error).message).toContain('no VERSION within 1 s');
    // Our side of the stream was closed: the server's read ends.
    await server.closed;
  });

  it('fails at once with a signal aborted before the start', async () => {
    const server = silentServer();
    const ac = new AbortController();
    ac.abort();
    await expect(startSftpClient(server.clientEnd, { signal: ac.signal })).rejects.toBeInstanceOf(SFTPConnectionLost);
    await server.closed;
  });

  it('also ends a start waiting on the limits@openssh.com request that follows VERSION', async () => {
    const server = silentServer(encodeInit(FXP.VERSION, { version: 3, extensions: [['limits@openssh.com', Uint8Array.of(0x31)]] }));
    const ac = new AbortController();
    const started = startSftpClient(server.clientEnd, { signal: ac.signal });
    await server.gotInit;
    await new Promise((resolve) => setTimeout(resolve, 10));
    ac.abort(new Error('too slow'));
    await expect(started).rejects.toBeInstanceOf(SFTPConnectionLost);
    await server.closed;
  });

  it('the signal aborting after the start leaves the client alone', async () => {
    const server = silentServer(encodeInit(FXP.VERSION, { version: 3, extensions: [] }));
    const ac = new AbortController();
    const client = await startSftpClient(server.clientEnd, { signal: ac.signal });
    ac.abort();
    expect(client.version).toBe(3);
    // Still open: a request goes out (the silent server never answers it; exit fails it).
    const pending = client.stat('/x');
    client.exit();
    await expect(pending).rejects.toBeInstanceOf(SFTPError);
  });
});

describe('startSftpClient against a malformed VERSION', () => {
  const packet = (body: (w: Writer) => void): Uint8Array => new Writer(64).nested(body).finish();
  const cases: ReadonlyArray<readonly [string, Uint8Array]> = [
    ['a length past the largest packet', Uint8Array.of(0xff, 0xff, 0xff, 0xff, FXP.VERSION, 0, 0, 0, 3)],
    ['an empty packet', Uint8Array.of(0, 0, 0, 0)],
    ['another packet type', packet((w) => w.u8(FXP.STATUS).u32(3))],
    ['a version cut short', packet((w) => w.u8(FXP.VERSION).u8(0))],
    ['version 0', packet((w) => w.u8(FXP.VERSION).u32(0))],
    ['version 2^32-1', packet((w) => w.u8(FXP.VERSION).u32(0xffff_ffff))],
    ['an extension name cut short', packet((w) => w.u8(FXP.VERSION).u32(3).u32(100).u8(0x61))],
    ['an extension without data', packet((w) => w.u8(FXP.VERSION).u32(3).utf8('x@example.com'))],
  ];
  for (const [what, reply] of cases) {
    it(`fails with SFTPBadMessage on ${what}`, async () => {
      const server = silentServer(reply);
      await expect(startSftpClient(server.clientEnd)).rejects.toBeInstanceOf(SFTPBadMessage);
      await server.closed;
    });
  }
});
