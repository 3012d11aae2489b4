/**
 * Fixed byte layouts written out from the drafts, so that a symmetric encode/decode mistake
 * cannot hide behind round trips: filexfer-02 §5 (v3 attrs), filexfer-13 §7 (v6 attrs), §9.1 STATUS.
 */
import { describe, expect, it } from 'vitest';
import { Reader } from '@ssh/wire';
import { ATTR, FXP, decodeAttrs, decodeResponse, encodeRequest } from '../src/index.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));

describe('wire layouts', () => {
  it('v3 attrs: flags, size, uid, gid, permissions, atime, mtime', () => {
    const bytes = hex(`0000000f 0000000000000400 000003e8 000003e9 000081a4 3b9aca00 47868c00`);
    expect(decodeAttrs(new Reader(bytes), 3)).toEqual({ size: 1024, uid: 1000, gid: 1001, permissions: 0o100644, type: 1, atime: 1e9, mtime: 1.2e9 });
  });

  it('v6 attrs: type byte, size, owner/group, permissions, subsecond times, link count', () => {
    const flags = ATTR.SIZE | ATTR.OWNERGROUP | ATTR.PERMISSIONS | ATTR.MODIFYTIME | ATTR.SUBSECOND_TIMES | ATTR.LINK_COUNT;
    const bytes = hex(`${flags.toString(16).padStart(8, '0')} 02 0000000000001000 00000001 61 00000001 62 000041ed
      000000003b9aca00 00000005 00000003`);
    expect(decodeAttrs(new Reader(bytes), 6)).toEqual({ type: 2, size: 4096, owner: 'a', group: 'b', permissions: 0o40755, mtime: 1e9, mtimeNs: 5, nlink: 3 });
  });

  it('STATUS without message and language (early servers)', () => {
    expect(decodeResponse(hex(`65 00000007 00000002`), 3)).toEqual({ kind: 'status', id: 7, status: 2, message: '', lang: '' });
  });

  it('OPEN on v3 has pflags; on v5 desired-access then flags', () => {
    expect(encodeRequest({ kind: 'open', id: 1, path: 'f', flags: 0x1a, attrs: {} }, 3)).toEqual(hex(`00000012 03 00000001 00000001 66 0000001a 00000000`));
    expect(encodeRequest({ kind: 'open', id: 1, path: 'f', desiredAccess: 0x81, flags: 2, attrs: {} }, 5)).toEqual(
      hex(`00000017 03 00000001 00000001 66 00000081 00000002 00000000 05`),
    );
  });

  it('SYMLINK on v4 puts the link first, as the draft says', () => {
    expect(encodeRequest({ kind: 'symlink', id: 2, linkPath: 'l', targetPath: 't' }, 4)).toEqual(hex(`0000000f ${FXP.SYMLINK.toString(16)} 00000002 00000001 6c 00000001 74`));
  });

  it('SYMLINK on v3 puts the target first, as OpenSSH does', () => {
    expect(encodeRequest({ kind: 'symlink', id: 2, linkPath: 'l', targetPath: 't' }, 3)).toEqual(hex(`0000000f ${FXP.SYMLINK.toString(16)} 00000002 00000001 74 00000001 6c`));
  });
});
