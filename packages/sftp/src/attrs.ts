/**
 * File attributes in each version's layout: filexfer-02 §5 (v3), filexfer-04 §5 (v4),
 * filexfer-05 §5 (v5), filexfer-13 §7 (v6); statvfs@openssh.com and limits@openssh.com replies
 * (OpenSSH PROTOCOL §4.4, §4.8).
 *
 * Sizes and times are JavaScript numbers: a value beyond 2^53 is refused when decoding (a
 * `WireError`), which no real file system reaches. Fields absent from a version are ignored when
 * encoding for it.
 * @module
 */

import { type Reader, type Writer } from '@ssh/wire';
import { ATTR, FILEXFER_TYPE, S_IF } from './constants.ts';

/** Attributes of a file. Every field is optional; which ones travel depends on the version. */
export interface SFTPAttrs {
  /** FILEXFER_TYPE_* (carried on v4+; derived from `permissions` on v3). */
  type?: number;
  size?: number;
  /** v6 */
  allocSize?: number;
  /** v3 (on v4+ sent as `owner`/`group` when those are absent). */
  uid?: number;
  gid?: number;
  /** v4+ */
  owner?: string;
  group?: string;
  permissions?: number;
  /** Seconds since the epoch (uint32 on v3, int64 on v4+). */
  atime?: number;
  atimeNs?: number;
  /** v4+ */
  crtime?: number;
  crtimeNs?: number;
  mtime?: number;
  mtimeNs?: number;
  /** v6 */
  ctime?: number;
  ctimeNs?: number;
  /** v4+: the ACL, kept as its raw encoding. */
  acl?: Uint8Array;
  /** v5+ */
  attribBits?: number;
  /** v6 */
  attribValid?: number;
  /** v6 */
  textHint?: number;
  mimeType?: string;
  nlink?: number;
  untransName?: Uint8Array;
  /** Extension pairs (type, data). */
  extended?: ReadonlyArray<readonly [string, Uint8Array]>;
}

/** File system attributes: the statvfs@openssh.com reply. */
export interface SFTPVFSAttrs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  /** Kept as a bigint: file system ids use all 64 bits. */
  fsid: bigint;
  flag: number;
  namemax: number;
}

/** A directory entry or a path answer: the NAME reply's entries. */
export interface SFTPName {
  filename: string;
  /** `ls -l` style line (v3 only on the wire; computed locally for later versions when asked). */
  longname: string;
  attrs: SFTPAttrs;
}

/** The limits@openssh.com reply (0 means "no limit" for each field). */
export interface SFTPLimits {
  maxPacketLen: number;
  maxReadLen: number;
  maxWriteLen: number;
  maxOpenHandles: number;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** A string field read as UTF-8, invalid sequences replaced (names from the peer are not trusted to be valid). */
export function readText(r: Reader, field: string): string {
  return textDecoder.decode(r.bytes(field));
}

/** uint64 as a safe integer number; larger values are a WireError. */
export function readU64(r: Reader, field: string): number {
  const at = r.offset;
  const v = r.u64(field);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw r.error('invalid-value', field, `value ${v} exceeds 2^53`, at);
  return Number(v);
}

/** int64 as a safe integer number. */
export function readI64(r: Reader, field: string): number {
  const at = r.offset;
  const v = BigInt.asIntN(64, r.u64(field));
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw r.error('invalid-value', field, `value ${v} exceeds 2^53`, at);
  }
  return Number(v);
}

function writeU64(w: Writer, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uint64 field out of range: ${v}`);
  w.u64(BigInt(v));
}

function writeI64(w: Writer, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`int64 field out of range: ${v}`);
  w.u64(BigInt.asUintN(64, BigInt(v)));
}

/** The v4+ type that `permissions`' S_IFMT bits denote. */
export function typeFromPermissions(permissions: number): number {
  switch (permissions & S_IF.MT) {
    case S_IF.REG:
      return FILEXFER_TYPE.REGULAR;
    case S_IF.DIR:
      return FILEXFER_TYPE.DIRECTORY;
    case S_IF.LNK:
      return FILEXFER_TYPE.SYMLINK;
    case S_IF.SOCK:
      return FILEXFER_TYPE.SOCKET;
    case S_IF.CHR:
      return FILEXFER_TYPE.CHAR_DEVICE;
    case S_IF.BLK:
      return FILEXFER_TYPE.BLOCK_DEVICE;
    case S_IF.IFO:
      return FILEXFER_TYPE.FIFO;
    default:
      return FILEXFER_TYPE.UNKNOWN;
  }
}

/** The S_IFMT bits of a v4+ type (0 when it has none). */
export function permissionsFromType(type: number): number {
  switch (type) {
    case FILEXFER_TYPE.REGULAR:
      return S_IF.REG;
    case FILEXFER_TYPE.DIRECTORY:
      return S_IF.DIR;
    case FILEXFER_TYPE.SYMLINK:
      return S_IF.LNK;
    case FILEXFER_TYPE.SOCKET:
      return S_IF.SOCK;
    case FILEXFER_TYPE.CHAR_DEVICE:
      return S_IF.CHR;
    case FILEXFER_TYPE.BLOCK_DEVICE:
      return S_IF.BLK;
    case FILEXFER_TYPE.FIFO:
      return S_IF.IFO;
    default:
      return 0;
  }
}

/** The file type of attributes in any version: `type` when present, else the permission bits. */
export function attrsType(attrs: SFTPAttrs): number {
  if (attrs.type !== undefined && attrs.type !== FILEXFER_TYPE.UNKNOWN) return attrs.type;
  if (attrs.permissions !== undefined) return typeFromPermissions(attrs.permissions);
  return FILEXFER_TYPE.UNKNOWN;
}

function writeExtended(w: Writer, extended: ReadonlyArray<readonly [string, Uint8Array]>): void {
  w.u32(extended.length);
  for (const [name, data] of extended) w.utf8(name).bytes(data);
}

function readExtended(r: Reader): Array<readonly [string, Uint8Array]> {
  const countAt = r.offset;
  const count = r.u32('attrs.extended-count');
  // Each pair takes at least 8 bytes: refuse a count the packet cannot hold before looping.
  if (count > r.remaining / 8) throw r.error('too-long', 'attrs.extended-count', `${count} pairs cannot fit in ${r.remaining} bytes`, countAt);
  const out: Array<readonly [string, Uint8Array]> = [];
  for (let i = 0; i < count; i++) out.push([readText(r, 'attrs.extended-type'), r.bytes('attrs.extended-data')]);
  return out;
}

/** Appends `attrs` in the layout of `version` (3 to 6). */
export function encodeAttrs(w: Writer, attrs: SFTPAttrs, version: number): void {
  if (version <= 3) {
    encodeAttrsV3(w, attrs);
    return;
  }
  let flags = 0;
  const owner = attrs.owner ?? (attrs.uid !== undefined ? String(attrs.uid) : undefined);
  const group = attrs.group ?? (attrs.gid !== undefined ? String(attrs.gid) : undefined);
  const hasOwner = owner !== undefined && group !== undefined;
  const v6 = version >= 6;
  if (attrs.size !== undefined) flags |= ATTR.SIZE;
  if (v6 && attrs.allocSize !== undefined) flags |= ATTR.ALLOCATION_SIZE;
  if (hasOwner) flags |= ATTR.OWNERGROUP;
  if (attrs.permissions !== undefined) flags |= ATTR.PERMISSIONS;
  if (attrs.atime !== undefined) flags |= ATTR.ACCESSTIME;
  if (attrs.crtime !== undefined) flags |= ATTR.CREATETIME;
  if (attrs.mtime !== undefined) flags |= ATTR.MODIFYTIME;
  if (v6 && attrs.ctime !== undefined) flags |= ATTR.CTIME;
  const subsecond =
    (attrs.atime !== undefined && attrs.atimeNs !== undefined) ||
    (attrs.crtime !== undefined && attrs.crtimeNs !== undefined) ||
    (attrs.mtime !== undefined && attrs.mtimeNs !== undefined) ||
    (v6 && attrs.ctime !== undefined && attrs.ctimeNs !== undefined);
  if (subsecond) flags |= ATTR.SUBSECOND_TIMES;
  if (attrs.acl !== undefined) flags |= ATTR.ACL;
  if (version >= 5 && attrs.attribBits !== undefined) flags |= ATTR.BITS;
  if (v6 && attrs.textHint !== undefined) flags |= ATTR.TEXT_HINT;
  if (v6 && attrs.mimeType !== undefined) flags |= ATTR.MIME_TYPE;
  if (v6 && attrs.nlink !== undefined) flags |= ATTR.LINK_COUNT;
  if (v6 && attrs.untransName !== undefined) flags |= ATTR.UNTRANSLATED_NAME;
  if (attrs.extended !== undefined && attrs.extended.length > 0) flags |= ATTR.EXTENDED;
  w.u32(flags >>> 0);
  let type = attrs.type ?? (attrs.permissions !== undefined ? typeFromPermissions(attrs.permissions) : FILEXFER_TYPE.UNKNOWN);
  // v4 knows types 1 to 5 only.
  if (version === 4 && type > FILEXFER_TYPE.UNKNOWN) type = FILEXFER_TYPE.SPECIAL;
  w.u8(type);
  if (attrs.size !== undefined) writeU64(w, attrs.size);
  if (flags & ATTR.ALLOCATION_SIZE) writeU64(w, attrs.allocSize ?? 0);
  if (hasOwner) w.utf8(owner).utf8(group);
  if (attrs.permissions !== undefined) w.u32(attrs.permissions >>> 0);
  const time = (t: number | undefined, ns: number | undefined, flag: number): void => {
    if (!(flags & flag) || t === undefined) return;
    writeI64(w, t);
    if (subsecond) w.u32(ns ?? 0);
  };
  time(attrs.atime, attrs.atimeNs, ATTR.ACCESSTIME);
  time(attrs.crtime, attrs.crtimeNs, ATTR.CREATETIME);
  time(attrs.mtime, attrs.mtimeNs, ATTR.MODIFYTIME);
  time(attrs.ctime, attrs.ctimeNs, ATTR.CTIME);
  if (attrs.acl !== undefined) w.bytes(attrs.acl);
  if (flags & ATTR.BITS) {
    w.u32((attrs.attribBits ?? 0) >>> 0);
    if (v6) w.u32((attrs.attribValid ?? 0) >>> 0);
  }
  if (flags & ATTR.TEXT_HINT) w.u8(attrs.textHint ?? 0);
  if (flags & ATTR.MIME_TYPE) w.utf8(attrs.mimeType ?? '');
  if (flags & ATTR.LINK_COUNT) w.u32(attrs.nlink ?? 0);
  if (flags & ATTR.UNTRANSLATED_NAME) w.bytes(attrs.untransName ?? new Uint8Array(0));
  if (flags & ATTR.EXTENDED) writeExtended(w, attrs.extended ?? []);
}

function encodeAttrsV3(w: Writer, attrs: SFTPAttrs): void {
  let flags = 0;
  const hasIds = attrs.uid !== undefined && attrs.gid !== undefined;
  const hasTimes = attrs.atime !== undefined && attrs.mtime !== undefined;
  if (attrs.size !== undefined) flags |= ATTR.SIZE;
  if (hasIds) flags |= ATTR.UIDGID;
  if (attrs.permissions !== undefined) flags |= ATTR.PERMISSIONS;
  if (hasTimes) flags |= ATTR.ACMODTIME;
  if (attrs.extended !== undefined && attrs.extended.length > 0) flags |= ATTR.EXTENDED;
  w.u32(flags >>> 0);
  if (attrs.size !== undefined) writeU64(w, attrs.size);
  if (hasIds) w.u32(attrs.uid ?? 0).u32(attrs.gid ?? 0);
  if (attrs.permissions !== undefined) w.u32(attrs.permissions >>> 0);
  if (hasTimes) w.u32(attrs.atime ?? 0).u32(attrs.mtime ?? 0);
  if (flags & ATTR.EXTENDED) writeExtended(w, attrs.extended ?? []);
}

/** Reads attributes in the layout of `version`. Unknown flag bits are a WireError (the layout would be unknowable). */
export function decodeAttrs(r: Reader, version: number): SFTPAttrs {
  const flagsAt = r.offset;
  const flags = r.u32('attrs.flags');
  const valid = version <= 3 ? 0x8000_000f : version === 4 ? 0x8000_01fd : version === 5 ? 0x8000_03fd : 0x8000_fffd;
  if ((flags & ~valid) !== 0) {
    throw r.error('invalid-value', 'attrs.flags', `flags 0x${flags.toString(16)} has bits version ${version} does not define`, flagsAt);
  }
  const a: SFTPAttrs = {};
  if (version <= 3) {
    if (flags & ATTR.SIZE) a.size = readU64(r, 'attrs.size');
    if (flags & ATTR.UIDGID) {
      a.uid = r.u32('attrs.uid');
      a.gid = r.u32('attrs.gid');
    }
    if (flags & ATTR.PERMISSIONS) {
      a.permissions = r.u32('attrs.permissions');
      a.type = typeFromPermissions(a.permissions);
    }
    if (flags & ATTR.ACMODTIME) {
      a.atime = r.u32('attrs.atime');
      a.mtime = r.u32('attrs.mtime');
    }
    if (flags & ATTR.EXTENDED) a.extended = readExtended(r);
    return a;
  }
  a.type = r.u8('attrs.type');
  const sub = (flags & ATTR.SUBSECOND_TIMES) !== 0;
  if (flags & ATTR.SIZE) a.size = readU64(r, 'attrs.size');
  if (flags & ATTR.ALLOCATION_SIZE) a.allocSize = readU64(r, 'attrs.allocation-size');
  if (flags & ATTR.OWNERGROUP) {
    a.owner = readText(r, 'attrs.owner');
    a.group = readText(r, 'attrs.group');
  }
  if (flags & ATTR.PERMISSIONS) a.permissions = r.u32('attrs.permissions');
  if (flags & ATTR.ACCESSTIME) {
    a.atime = readI64(r, 'attrs.atime');
    if (sub) a.atimeNs = r.u32('attrs.atime-nseconds');
  }
  if (flags & ATTR.CREATETIME) {
    a.crtime = readI64(r, 'attrs.createtime');
    if (sub) a.crtimeNs = r.u32('attrs.createtime-nseconds');
  }
  if (flags & ATTR.MODIFYTIME) {
    a.mtime = readI64(r, 'attrs.mtime');
    if (sub) a.mtimeNs = r.u32('attrs.mtime-nseconds');
  }
  if (flags & ATTR.CTIME) {
    a.ctime = readI64(r, 'attrs.ctime');
    if (sub) a.ctimeNs = r.u32('attrs.ctime-nseconds');
  }
  if (flags & ATTR.ACL) a.acl = r.bytes('attrs.acl');
  if (flags & ATTR.BITS) {
    a.attribBits = r.u32('attrs.attrib-bits');
    if (version >= 6) a.attribValid = r.u32('attrs.attrib-bits-valid');
  }
  if (flags & ATTR.TEXT_HINT) a.textHint = r.u8('attrs.text-hint');
  if (flags & ATTR.MIME_TYPE) a.mimeType = readText(r, 'attrs.mime-type');
  if (flags & ATTR.LINK_COUNT) a.nlink = r.u32('attrs.link-count');
  if (flags & ATTR.UNTRANSLATED_NAME) a.untransName = r.bytes('attrs.untranslated-name');
  if (flags & ATTR.EXTENDED) a.extended = readExtended(r);
  return a;
}

/** The statvfs@openssh.com reply body: eleven uint64. */
export function encodeVFSAttrs(w: Writer, v: SFTPVFSAttrs): void {
  for (const n of [v.bsize, v.frsize, v.blocks, v.bfree, v.bavail, v.files, v.ffree, v.favail]) writeU64(w, n);
  w.u64(BigInt.asUintN(64, v.fsid));
  writeU64(w, v.flag);
  writeU64(w, v.namemax);
}

export function decodeVFSAttrs(r: Reader): SFTPVFSAttrs {
  return {
    bsize: readU64(r, 'statvfs.f_bsize'),
    frsize: readU64(r, 'statvfs.f_frsize'),
    blocks: readU64(r, 'statvfs.f_blocks'),
    bfree: readU64(r, 'statvfs.f_bfree'),
    bavail: readU64(r, 'statvfs.f_bavail'),
    files: readU64(r, 'statvfs.f_files'),
    ffree: readU64(r, 'statvfs.f_ffree'),
    favail: readU64(r, 'statvfs.f_favail'),
    fsid: r.u64('statvfs.f_fsid'),
    flag: readU64(r, 'statvfs.f_flag'),
    namemax: readU64(r, 'statvfs.f_namemax'),
  };
}

/** The limits@openssh.com reply body: four uint64. */
export function encodeLimits(w: Writer, l: SFTPLimits): void {
  for (const n of [l.maxPacketLen, l.maxReadLen, l.maxWriteLen, l.maxOpenHandles]) writeU64(w, n);
}

/**
 * Values beyond 2^53 are taken as 2^53 - 1: they only say "more than will be used", and OpenSSH's
 * sftp-server sends its open file limit less 5 as max-open-handles, near 2^64 when that limit is
 * RLIM_INFINITY.
 */
export function decodeLimits(r: Reader): SFTPLimits {
  const limit = (field: string): number => {
    const v = r.u64(field);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  return {
    maxPacketLen: limit('limits.max-packet-length'),
    maxReadLen: limit('limits.max-read-length'),
    maxWriteLen: limit('limits.max-write-length'),
    maxOpenHandles: limit('limits.max-open-handles'),
  };
}

/** A time attribute in seconds, with its nanoseconds as the fraction (undefined when absent). */
export function timeSeconds(a: SFTPAttrs, field: 'atime' | 'mtime' | 'crtime'): number | undefined {
  const s = a[field];
  return s === undefined ? undefined : s + (a[`${field}Ns`] ?? 0) / 1e9;
}

/** A time attribute in nanoseconds (undefined when absent). */
export function timeNanoseconds(a: SFTPAttrs, field: 'atime' | 'mtime' | 'crtime'): bigint | undefined {
  const s = a[field];
  return s === undefined ? undefined : BigInt(s) * 1_000_000_000n + BigInt(a[`${field}Ns`] ?? 0);
}
