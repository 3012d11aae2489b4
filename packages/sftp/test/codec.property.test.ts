/** Round trips of every packet and attribute layout, v3 to v6, and garbage never escaping as anything but WireError. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader, WireError, Writer } from '@ssh/wire';
import {
  type SFTPAttrs,
  type SftpRequest,
  type SftpResponse,
  FXP,
  decodeAttrs,
  decodeInit,
  decodeRequest,
  decodeResponse,
  encodeAttrs,
  encodeInit,
  encodeRequest,
  encodeResponse,
  requestAllowed,
} from '../src/index.ts';
import { encodeRequestBody } from '../src/packets.ts';

const VERSIONS = [3, 4, 5, 6] as const;
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const i64 = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 40 });
const text = fc.string({ maxLength: 20 });
const path = fc.string({ maxLength: 30, unit: 'grapheme' });

/** Attributes holding only what `version` carries, in the form decode returns them. */
function attrsFor(version: number): fc.Arbitrary<SFTPAttrs> {
  const ext = fc.array(fc.tuple(text, bytes), { minLength: 1, maxLength: 3 });
  if (version === 3) {
    return fc
      .record(
        { size: u64, uid: u32, gid: u32, permissions: u32, atime: u32, mtime: u32, extended: ext },
        { requiredKeys: [] },
      )
      .map((a) => {
        const out: SFTPAttrs = {};
        if (a.size !== undefined) out.size = a.size;
        if (a.uid !== undefined && a.gid !== undefined) {
          out.uid = a.uid;
          out.gid = a.gid;
        }
        if (a.permissions !== undefined) out.permissions = a.permissions;
        if (a.atime !== undefined && a.mtime !== undefined) {
          out.atime = a.atime;
          out.mtime = a.mtime;
        }
        if (a.extended !== undefined) out.extended = a.extended;
        return out;
      });
  }
  const ns = fc.integer({ min: 0, max: 999_999_999 });
  return fc
    .record(
      {
        type: fc.integer({ min: 1, max: version === 4 ? 5 : 9 }),
        size: u64,
        allocSize: u64,
        owner: text,
        group: text,
        permissions: u32,
        atime: i64,
        crtime: i64,
        mtime: i64,
        ctime: i64,
        sub: fc.tuple(ns, ns, ns, ns),
        acl: bytes,
        attribBits: u32,
        attribValid: u32,
        textHint: fc.integer({ min: 0, max: 255 }),
        mimeType: text,
        nlink: u32,
        untransName: bytes,
        extended: ext,
      },
      { requiredKeys: ['type', 'sub'] },
    )
    .map((a) => {
      const v6 = version >= 6;
      const out: SFTPAttrs = { type: a.type };
      if (a.size !== undefined) out.size = a.size;
      if (v6 && a.allocSize !== undefined) out.allocSize = a.allocSize;
      if (a.owner !== undefined && a.group !== undefined) {
        out.owner = a.owner;
        out.group = a.group;
      }
      if (a.permissions !== undefined) out.permissions = a.permissions;
      const hasSub = a.sub[0] % 2 === 0;
      const times: Array<[keyof SFTPAttrs, keyof SFTPAttrs, number | undefined, number]> = [
        ['atime', 'atimeNs', a.atime, a.sub[0]],
        ['crtime', 'crtimeNs', a.crtime, a.sub[1]],
        ['mtime', 'mtimeNs', a.mtime, a.sub[2]],
        ['ctime', 'ctimeNs', v6 ? a.ctime : undefined, a.sub[3]],
      ];
      const anyTime = times.some(([, , t]) => t !== undefined);
      for (const [k, kns, t, n] of times) {
        if (t === undefined) continue;
        (out as Record<string, number>)[k] = t;
        if (hasSub && anyTime) (out as Record<string, number>)[kns] = n;
      }
      if (a.acl !== undefined) out.acl = a.acl;
      if (version >= 5 && a.attribBits !== undefined) {
        out.attribBits = a.attribBits;
        if (v6) out.attribValid = a.attribValid ?? 0;
      }
      if (v6 && a.textHint !== undefined) out.textHint = a.textHint;
      if (v6 && a.mimeType !== undefined) out.mimeType = a.mimeType;
      if (v6 && a.nlink !== undefined) out.nlink = a.nlink;
      if (v6 && a.untransName !== undefined) out.untransName = a.untransName;
      if (a.extended !== undefined) out.extended = a.extended;
      return out;
    });
}

function normalizeAttrs(a: SFTPAttrs, version: number): SFTPAttrs {
  // v3 derives `type` from the permission bits on decode.
  if (version === 3 && a.permissions !== undefined) return { ...a, type: decodeAttrs(new Reader(encodeOnly({ permissions: a.permissions }, 3)), 3).type as number };
  return a;
}

function encodeOnly(a: SFTPAttrs, version: number): Uint8Array {
  const w = new Writer();
  encodeAttrs(w, a, version);
  return w.finish();
}

function requestFor(version: number): fc.Arbitrary<SftpRequest> {
  const id = u32;
  const attrs = attrsFor(version);
  const arbs: Array<fc.Arbitrary<SftpRequest>> = [
    version >= 5
      ? fc.record({ kind: fc.constant('open' as const), id, path, flags: u32, desiredAccess: u32, attrs })
      : fc.record({ kind: fc.constant('open' as const), id, path, flags: u32, attrs }),
    fc.record({ kind: fc.constant('close' as const), id, handle: bytes }),
    fc.record({ kind: fc.constant('readdir' as const), id, handle: bytes }),
    fc.record({ kind: fc.constant('read' as const), id, handle: bytes, offset: u64, length: u32 }),
    fc.record({ kind: fc.constant('write' as const), id, handle: bytes, offset: u64, data: bytes }),
    version >= 4
      ? fc.record({ kind: fc.constantFrom('stat' as const, 'lstat' as const), id, path, flags: u32 })
      : fc.record({ kind: fc.constantFrom('stat' as const, 'lstat' as const), id, path }),
    version >= 4 ? fc.record({ kind: fc.constant('fstat' as const), id, handle: bytes, flags: u32 }) : fc.record({ kind: fc.constant('fstat' as const), id, handle: bytes }),
    fc.record({ kind: fc.constantFrom('setstat' as const, 'mkdir' as const), id, path, attrs }),
    fc.record({ kind: fc.constant('fsetstat' as const), id, handle: bytes, attrs }),
    fc.record({ kind: fc.constantFrom('opendir' as const, 'remove' as const, 'rmdir' as const, 'readlink' as const), id, path }),
    ...(version < 6 ? [fc.record({ kind: fc.constant('realpath' as const), id, path })] : []),
    version >= 5
      ? fc.record({ kind: fc.constant('rename' as const), id, oldPath: path, newPath: path, flags: u32 })
      : fc.record({ kind: fc.constant('rename' as const), id, oldPath: path, newPath: path }),
    fc.record({ kind: fc.constant('extended' as const), id, request: text, data: bytes }),
  ];
  if (version <= 5) arbs.push(fc.record({ kind: fc.constant('symlink' as const), id, linkPath: path, targetPath: path }));
  if (version >= 6) {
    arbs.push(
      fc.record({ kind: fc.constant('realpath' as const), id, path, control: fc.integer({ min: 0, max: 255 }), compose: fc.array(path, { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('link' as const), id, newLinkPath: path, existingPath: path, symlink: fc.boolean() }),
      fc.record({ kind: fc.constant('block' as const), id, handle: bytes, offset: u64, length: u64, lockMask: u32 }),
      fc.record({ kind: fc.constant('unblock' as const), id, handle: bytes, offset: u64, length: u64 }),
    );
  }
  return fc.oneof(...arbs).map((r) => {
    const withAttrs = r as SftpRequest & { attrs?: SFTPAttrs };
    return withAttrs.attrs ? ({ ...r, attrs: normalizeAttrs(withAttrs.attrs, version) } as SftpRequest) : r;
  });
}

function responseFor(version: number): fc.Arbitrary<SftpResponse> {
  const id = u32;
  const attrs = attrsFor(version).map((a) => normalizeAttrs(a, version));
  const name = fc.record({ filename: path, longname: version <= 3 ? text : fc.constant(''), attrs });
  return fc.oneof(
    fc.record({ kind: fc.constant('status' as const), id, status: u32, message: text, lang: text }),
    fc.record({ kind: fc.constant('handle' as const), id, handle: fc.uint8Array({ maxLength: 256 }) }),
    version >= 6 ? fc.record({ kind: fc.constant('data' as const), id, data: bytes, eof: fc.boolean() }) : fc.record({ kind: fc.constant('data' as const), id, data: bytes }),
    version >= 6
      ? fc.record({ kind: fc.constant('name' as const), id, names: fc.array(name, { maxLength: 4 }), endOfList: fc.boolean() })
      : fc.record({ kind: fc.constant('name' as const), id, names: fc.array(name, { maxLength: 4 }) }),
    fc.record({ kind: fc.constant('attrs' as const), id, attrs }),
    fc.record({ kind: fc.constant('extended-reply' as const), id, data: bytes }),
  );
}

/** Payload of an encoded packet (drops the uint32 length, checking it). */
function payload(packet: Uint8Array): Uint8Array {
  const n = new DataView(packet.buffer, packet.byteOffset).getUint32(0);
  expect(n).toBe(packet.length - 4);
  return packet.slice(4);
}

function expectOnlyWireError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
  }
}

describe.each(VERSIONS)('SFTP v%i codec', (version) => {
  it('attributes round-trip', () => {
    fc.assert(
      fc.property(attrsFor(version), (a) => {
        const r = new Reader(encodeOnly(a, version));
        expect(decodeAttrs(r, version)).toEqual(normalizeAttrs(a, version));
        r.end();
      }),
    );
  });

  it('requests round-trip', () => {
    fc.assert(
      fc.property(requestFor(version), (req) => {
        expect(requestAllowed(req.kind, version)).toBe(true);
        expect(decodeRequest(payload(encodeRequest(req, version)), version)).toEqual(req);
      }),
    );
  });

  it('a request body and its id encode as the whole request, leaving the body as it was', () => {
    fc.assert(
      fc.property(requestFor(version), (req) => {
        const { id, ...body } = req;
        const before = { ...body };
        expect(encodeRequestBody(body, id, version)).toEqual(encodeRequest(req, version));
        expect(body).toEqual(before);
        expect('id' in body).toBe(false);
      }),
    );
  });

  it('responses round-trip', () => {
    fc.assert(
      fc.property(responseFor(version), (res) => {
        expect(decodeResponse(payload(encodeResponse(res, version)), version)).toEqual(res);
      }),
    );
  });

  it('decoding random bytes throws only WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expectOnlyWireError(() => decodeRequest(b, version));
        expectOnlyWireError(() => decodeResponse(b, version));
        expectOnlyWireError(() => decodeAttrs(new Reader(b), version));
        expectOnlyWireError(() => decodeInit(b, FXP.VERSION));
      }),
      { numRuns: 2000 },
    );
  });

  it('decoding mutated valid packets throws only WireError', () => {
    fc.assert(
      fc.property(requestFor(version), responseFor(version), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 255 }), (req, res, at, value) => {
        for (const p of [payload(encodeRequest(req, version)), payload(encodeResponse(res, version))]) {
          const m = p.slice();
          m[at % m.length] = value;
          expectOnlyWireError(() => decodeRequest(m, version));
          expectOnlyWireError(() => decodeResponse(m, version));
          expectOnlyWireError(() => decodeRequest(m.subarray(0, at % m.length), version));
          expectOnlyWireError(() => decodeResponse(m.subarray(0, at % m.length), version));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('INIT/VERSION', () => {
  it('round-trips with extension pairs', () => {
    fc.assert(
      fc.property(u32, fc.array(fc.tuple(text, bytes), { maxLength: 5 }), (version, extensions) => {
        expect(decodeInit(payload(encodeInit(FXP.VERSION, { version, extensions })), FXP.VERSION)).toEqual({ version, extensions });
      }),
    );
  });

  it('refuses the wrong packet type', () => {
    expect(() => decodeInit(payload(encodeInit(FXP.INIT, { version: 3, extensions: [] })), FXP.VERSION)).toThrow(WireError);
  });
});
