/** The sans-I/O client machine and the client's behaviour with misbehaving servers. */
import { describe, expect, it } from 'vitest';
import {
  FX,
  FXP,
  SFTPBadMessage,
  SFTPConnectionLost,
  SFTPEOFError,
  SFTPNoConnection,
  SftpClientMachine,
  encodeInit,
  encodeResponse,
  startSftpClient,
} from '../src/index.ts';
import { rawServer } from './helpers/raw-server.ts';

function versionPacket(version: number): Uint8Array {
  return encodeInit(FXP.VERSION, { version, extensions: [['x@example.com', Uint8Array.of(1)]] });
}

function openMachine(version = 3): SftpClientMachine {
  const m = new SftpClientMachine({ version });
  m.start();
  m.takeOutput();
  m.receive(versionPacket(version));
  expect(m.nextEvent()).toMatchObject({ type: 'version', version });
  return m;
}

describe('SftpClientMachine', () => {
  it('sends INIT with the offered version and accepts a lower VERSION', () => {
    const m = new SftpClientMachine({ version: 6 });
    m.start();
    const out = m.takeOutput();
    expect(out?.[0]).toEqual(Uint8Array.of(0, 0, 0, 5, FXP.INIT, 0, 0, 0, 6));
    m.receive(versionPacket(3));
    expect(m.nextEvent()).toEqual({ type: 'version', version: 3, extensions: [['x@example.com', Uint8Array.of(1)]] });
    expect(m.version).toBe(3);
    expect(m.isOpen).toBe(true);
  });

  it('refuses a VERSION above what was offered', () => {
    const m = new SftpClientMachine({ version: 3 });
    m.start();
    m.receive(versionPacket(6));
    const ev = m.nextEvent();
    expect(ev?.type).toBe('error');
    expect(ev?.type === 'error' && ev.error).toBeInstanceOf(SFTPBadMessage);
    expect(m.isClosed).toBe(true);
  });

  it('refuses requests before VERSION and after close', () => {
    const m = new SftpClientMachine();
    expect(() => m.send({ kind: 'stat', path: '/' })).toThrow(SFTPNoConnection);
    m.start();
    m.close();
    expect(() => m.send({ kind: 'stat', path: '/' })).toThrow(SFTPNoConnection);
  });

  it('matches responses to ids in any order, byte by byte', () => {
    const m = openMachine();
    const a = m.send({ kind: 'stat', path: 'a' });
    const b = m.send({ kind: 'stat', path: 'b' });
    expect(m.outstanding).toBe(2);
    const bytes = [...encodeResponse({ kind: 'status', id: b, status: FX.OK, message: '', lang: '' }, 3), ...encodeResponse({ kind: 'attrs', id: a, attrs: { size: 5 } }, 3)];
    for (const byte of bytes) m.receive(Uint8Array.of(byte));
    expect(m.nextEvent()).toMatchObject({ type: 'response', response: { kind: 'status', id: b } });
    expect(m.nextEvent()).toMatchObject({ type: 'response', response: { kind: 'attrs', id: a, attrs: { size: 5 } } });
    expect(m.nextEvent()).toBeUndefined();
    expect(m.outstanding).toBe(0);
  });

  it('fails the session on a response to no request', () => {
    const m = openMachine();
    m.receive(encodeResponse({ kind: 'status', id: 99, status: FX.OK, message: '', lang: '' }, 3));
    expect(m.nextEvent()).toMatchObject({ type: 'error' });
    expect(m.isClosed).toBe(true);
  });

  it('fails the session on a malformed response, with the WireError as cause', () => {
    const m = openMachine();
    const id = m.send({ kind: 'stat', path: 'a' });
    m.receive(Uint8Array.of(0, 0, 0, 6, FXP.ATTRS, 0, 0, 0, id, 0xff));
    const ev = m.nextEvent();
    expect(ev?.type === 'error' && ev.error).toBeInstanceOf(SFTPBadMessage);
  });

  it('fails the session on an oversized packet before reading its body', () => {
    const m = new SftpClientMachine({ maxPacketLength: 1000 });
    m.start();
    m.receive(Uint8Array.of(0, 0, 0x10, 0));
    expect(m.nextEvent()).toMatchObject({ type: 'error' });
  });

  it('turns the end of the stream into SFTPConnectionLost', () => {
    const m = openMachine();
    m.send({ kind: 'stat', path: 'a' });
    m.receiveEnd();
    const ev = m.nextEvent();
    expect(ev?.type === 'error' && ev.error).toBeInstanceOf(SFTPConnectionLost);
  });
});

describe('SFTPClient with misbehaving servers', () => {
  it('handles replies that arrive out of order', async () => {
    const held: Array<() => void> = [];
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'stat') {
        held.push(() => send(encodeResponse({ kind: 'attrs', id: req.id, attrs: { size: req.path.length } }, 3)));
        if (held.length === 3) for (const f of held.reverse()) f();
      }
    });
    const client = await startSftpClient(server.clientEnd);
    const sizes = await Promise.all(['a', 'bb', 'ccc'].map(async (p) => (await client.stat(p)).size));
    expect(sizes).toEqual([1, 2, 3]);
    client.exit();
    await server.done;
  });

  it('fails every pending request with SFTPConnectionLost when the stream drops mid-transfer', async () => {
    const server = rawServer(3, (req, send, end) => {
      if (req.kind === 'open') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      else if (req.kind === 'read' && req.offset === 0) send(encodeResponse({ kind: 'data', id: req.id, data: new Uint8Array(req.length) }, 3));
      else if (req.kind === 'read') end();
    });
    const client = await startSftpClient(server.clientEnd);
    const f = await client.open('x', 'rb', { blockSize: 100, maxRequests: 4 });
    await expect(f.read(1000)).rejects.toBeInstanceOf(SFTPConnectionLost);
    await expect(client.stat('y')).rejects.toBeInstanceOf(SFTPConnectionLost);
    await client.waitClosed();
  });

  it('fails with SFTPBadMessage on a malformed reply and closes the session', async () => {
    const server = rawServer(3, (req, send) => {
      send(Uint8Array.of(0, 0, 0, 9, FXP.NAME, 0, 0, 0, req.id & 0xff, 0xff, 0xff, 0xff, 0xff));
    });
    const client = await startSftpClient(server.clientEnd);
    await expect(client.realpath('.')).rejects.toBeInstanceOf(SFTPBadMessage);
    await expect(client.realpath('.')).rejects.toBeInstanceOf(SFTPBadMessage);
    client.exit();
    await server.done;
  });

  it('completes short reads and stops at EOF', async () => {
    const content = new Uint8Array(1000).map((_, i) => i & 0xff);
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'open') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      else if (req.kind === 'read') {
        if (req.offset >= content.length) send(encodeResponse({ kind: 'status', id: req.id, status: FX.EOF, message: '', lang: '' }, 3));
        // Never more than 7 bytes at a time: the client must ask again for the rest.
        else send(encodeResponse({ kind: 'data', id: req.id, data: content.subarray(req.offset, req.offset + Math.min(7, req.length)) }, 3));
      } else send(encodeResponse({ kind: 'status', id: req.id, status: FX.OK, message: '', lang: '' }, 3));
    });
    const client = await startSftpClient(server.clientEnd);
    const f = await client.open('x', 'rb', { blockSize: 64, maxRequests: 8 });
    expect(await f.read(5000)).toEqual(content);
    await f.close();
    client.exit();
    await server.done;
  });

  it('reports EOF on readdir as the end of the listing, and a server error as its class', async () => {
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'opendir') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(9) }, 3));
      else if (req.kind === 'readdir') send(encodeResponse({ kind: 'status', id: req.id, status: FX.EOF, message: '', lang: '' }, 3));
      else if (req.kind === 'close') send(encodeResponse({ kind: 'status', id: req.id, status: FX.OK, message: '', lang: '' }, 3));
      else send(encodeResponse({ kind: 'status', id: req.id, status: FX.EOF, message: 'eof', lang: '' }, 3));
    });
    const client = await startSftpClient(server.clientEnd);
    expect(await client.readdir('d')).toEqual([]);
    await expect(client.stat('x')).rejects.toBeInstanceOf(SFTPEOFError);
    client.exit();
    await server.done;
  });
});

describe('text mode', () => {
  it('decodes multi-byte characters split across reads, and flushes at end of file', async () => {
    const content = new TextEncoder().encode('aé€😀');
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'open') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(1) }, 3));
      else if (req.kind === 'read') {
        const data = content.subarray(req.offset, req.offset + req.length);
        send(data.length === 0 ? encodeResponse({ kind: 'status', id: req.id, status: FX.EOF, message: '', lang: '' }, 3) : encodeResponse({ kind: 'data', id: req.id, data }, 3));
      } else send(encodeResponse({ kind: 'status', id: req.id, status: FX.OK, message: '', lang: '' }, 3));
    });
    const client = await startSftpClient(server.clientEnd);
    const f = await client.open('t', 'r');
    let text = '';
    for (let i = 0; i < 5; i++) text += await f.read(2);
    text += await f.read(100);
    expect(text).toBe('aé€😀');
    await f.close();
    client.exit();
    await server.done;
  });

  it('a malformed limits reply fails the start with SFTPBadMessage', async () => {
    const server = rawServer(3, (req, send) => send(encodeResponse({ kind: 'extended-reply', id: req.id, data: Uint8Array.of(1, 2) }, 3)), [['limits@openssh.com', Uint8Array.of(0x31)]]);
    await expect(startSftpClient(server.clientEnd)).rejects.toBeInstanceOf(SFTPBadMessage);
    await server.done;
  });
});

describe('exit', () => {
  it('fails requests a silent server never answers', async () => {
    const server = rawServer(3, () => undefined);
    const client = await startSftpClient(server.clientEnd);
    const pending = client.stat('x');
    client.exit();
    await expect(pending).rejects.toBeInstanceOf(SFTPConnectionLost);
    await expect(client.stat('y')).rejects.toBeInstanceOf(SFTPNoConnection);
    await server.done;
  });
});
