/** Version negotiation beyond INIT/VERSION: version-select (filexfer-13 §5.5) on both sides, and extension parsers. */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Writer, WireError } from '@ssh/wire';
import {
  EXT,
  FX,
  FXP,
  PacketFramer,
  createMemoryPipe,
  decodeInit,
  decodeResponse,
  encodeInit,
  encodeRequest,
  encodeResponse,
  encodeSupported,
  encodeSupported2,
  parseSupported,
  parseSupported2,
  parseVendorId,
  parseVersions,
  runSftpServer,
  startSftpClient,
} from '../src/index.ts';
import { LocalSFTPServer } from '../src/node/index.ts';
import { rawServer } from './helpers/raw-server.ts';

describe('version-select', () => {
  it('the client selects the version it wanted from a v3 answer listing it', async () => {
    const server = rawServer(
      3,
      (req, send) => send(encodeResponse({ kind: 'status', id: req.id, status: FX.OK, message: '', lang: '' }, 3)),
      [[EXT.VERSIONS, new TextEncoder().encode('3,6')]],
    );
    const client = await startSftpClient(server.clientEnd, { version: 6 });
    expect(client.version).toBe(6);
    expect(server.requests[0]).toEqual({ kind: 'extended', id: 0, request: EXT.VERSION_SELECT, data: new Writer().utf8('6').finish() });
    client.exit();
    await server.done;
  });

  it('the client stays at v3 when the wanted version is not listed', async () => {
    const server = rawServer(3, () => undefined, [[EXT.VERSIONS, new TextEncoder().encode('3,4')]]);
    const client = await startSftpClient(server.clientEnd, { version: 6 });
    expect(client.version).toBe(3);
    expect(server.requests).toEqual([]);
    client.exit();
    await server.done;
  });

  it('our server switches version on a first-request version-select, and refuses a later one', async () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-vs-')));
    writeFileSync(join(root, 'f'), 'abc');
    try {
      const [c, s] = createMemoryPipe();
      const served = runSftpServer(s, new LocalSFTPServer({ chroot: root }));
      const framer = new PacketFramer(1 << 20);
      const replies = (async () => {
        const out: Uint8Array[] = [];
        for await (const chunk of c.readable) {
          out.push(...framer.push(chunk).map((p) => p.slice()));
          if (out.length === 4) break;
        }
        return out;
      })();
      void c.write(encodeInit(FXP.INIT, { version: 3, extensions: [] }));
      void c.write(encodeRequest({ kind: 'extended', id: 1, request: EXT.VERSION_SELECT, data: new Writer().utf8('6').finish() }, 3));
      void c.write(encodeRequest({ kind: 'stat', id: 2, path: 'f' }, 6));
      void c.write(encodeRequest({ kind: 'extended', id: 3, request: EXT.VERSION_SELECT, data: new Writer().utf8('4').finish() }, 6));
      const [version, selected, attrs, refused] = await replies;
      expect(decodeInit(version as Uint8Array, FXP.VERSION).version).toBe(3);
      expect(decodeResponse(selected as Uint8Array, 3)).toMatchObject({ kind: 'status', id: 1, status: FX.OK });
      expect(decodeResponse(attrs as Uint8Array, 6)).toMatchObject({ kind: 'attrs', id: 2, attrs: { type: 1, size: 3 } });
      expect(decodeResponse(refused as Uint8Array, 6)).toMatchObject({ kind: 'status', id: 3, status: FX.FAILURE });
      c.close();
      await served;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('extension parsers', () => {
  it('supported and supported2 round-trip', () => {
    const info = {
      supportedAttributeMask: 0x8000_fffd,
      supportedAttributeBits: 7,
      supportedOpenFlags: 0x3f,
      supportedAccessMask: 0x1f01ff,
      maxReadSize: 65536,
      extensionNames: ['a', 'copy-data'],
    };
    expect(parseSupported(encodeSupported(info))).toEqual(info);
    const info2 = { ...info, supportedOpenBlockVector: 0x1234, supportedBlockVector: 0xfedc, attribExtensionNames: ['x'] };
    expect(parseSupported2(encodeSupported2(info2))).toEqual(info2);
  });

  it('versions lists parse leniently', () => {
    expect(parseVersions(new TextEncoder().encode('3,4,x,6'))).toEqual([3, 4, 6]);
  });

  it('garbage throws only WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        for (const f of [parseSupported, parseSupported2, parseVendorId]) {
          try {
            f(b);
          } catch (e) {
            if (!(e instanceof WireError)) throw e;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
