/**
 * SFTP packets, one typed union for requests and one for responses, encoded and decoded for a
 * given protocol version. filexfer-02 §3-7 (v3), filexfer-04/-05, filexfer-13 §4-9 (v6).
 *
 * A packet on the wire is `uint32 length, byte type, [uint32 request-id], body`. Encoders return
 * the whole packet, length included (one buffer, ready to write); decoders take the payload after
 * the length, as the framer in framing.ts delivers it.
 * Decoders throw only `WireError`.
 * @module
 */

import { BufferPool, Reader, Writer } from '@ssh/wire';
import { type SFTPAttrs, type SFTPName, decodeAttrs, encodeAttrs, readText, readU64 } from './attrs.ts';
import { ATTR_VALID_BY_VERSION, FXP, FXRP } from './constants.ts';

/** An extension pair of INIT/VERSION: name and opaque data. */
export type ExtensionPair = readonly [name: string, data: Uint8Array];

export interface InitPacket {
  readonly version: number;
  readonly extensions: readonly ExtensionPair[];
}

/** Requests (client to server). `id` is the request id. */
export type SftpRequest =
  | {
      readonly kind: 'open';
      readonly id: number;
      readonly path: string;
      /** v3/v4: the SSH_FXF_* pflags; v5/v6: the SSH_FXF_* flags (with the access disposition). */
      readonly flags: number;
      /** v5/v6 only: ACE4_* desired access. */
      readonly desiredAccess?: number;
      readonly attrs: SFTPAttrs;
    }
  | { readonly kind: 'close'; readonly id: number; readonly handle: Uint8Array }
  | { readonly kind: 'read'; readonly id: number; readonly handle: Uint8Array; readonly offset: number; readonly length: number }
  | {
      readonly kind: 'write';
      readonly id: number;
      readonly handle: Uint8Array;
      readonly offset: number;
      readonly data: Uint8Array;
      /**
       * The bytes of `data`'s buffer just before `data` are free (at least WRITE_HEADROOM of them):
       * the packet header is written there and the data is sent without a copy.
       */
      readonly headroom?: boolean;
    }
  | { readonly kind: 'lstat' | 'stat'; readonly id: number; readonly path: string; readonly flags?: number }
  | { readonly kind: 'fstat'; readonly id: number; readonly handle: Uint8Array; readonly flags?: number }
  | { readonly kind: 'setstat'; readonly id: number; readonly path: string; readonly attrs: SFTPAttrs }
  | { readonly kind: 'fsetstat'; readonly id: number; readonly handle: Uint8Array; readonly attrs: SFTPAttrs }
  | { readonly kind: 'opendir' | 'remove' | 'rmdir' | 'readlink'; readonly id: number; readonly path: string }
  | { readonly kind: 'readdir'; readonly id: number; readonly handle: Uint8Array }
  | { readonly kind: 'mkdir'; readonly id: number; readonly path: string; readonly attrs: SFTPAttrs }
  | {
      readonly kind: 'realpath';
      readonly id: number;
      readonly path: string;
      /** v6: SSH_FXP_REALPATH_* control byte and paths to compose. */
      readonly control?: number;
      readonly compose?: readonly string[];
    }
  | { readonly kind: 'rename'; readonly id: number; readonly oldPath: string; readonly newPath: string; readonly flags?: number }
  /**
   * v3-v5. On v3 the target comes first and the link second, the order OpenSSH uses (PROTOCOL
   * §4.1: it reversed the draft's order, and v3 servers followed it); v4 and v5 use the draft's
   * order (link first), as AsyncSSH does.
   */
  | { readonly kind: 'symlink'; readonly id: number; readonly linkPath: string; readonly targetPath: string }
  | { readonly kind: 'link'; readonly id: number; readonly newLinkPath: string; readonly existingPath: string; readonly symlink: boolean }
  | { readonly kind: 'block'; readonly id: number; readonly handle: Uint8Array; readonly offset: number; readonly length: number; readonly lockMask: number }
  | { readonly kind: 'unblock'; readonly id: number; readonly handle: Uint8Array; readonly offset: number; readonly length: number }
  | { readonly kind: 'extended'; readonly id: number; readonly request: string; readonly data: Uint8Array };

/** Responses (server to client). */
export type SftpResponse =
  | { readonly kind: 'status'; readonly id: number; readonly status: number; readonly message: string; readonly lang: string }
  | { readonly kind: 'handle'; readonly id: number; readonly handle: Uint8Array }
  | { readonly kind: 'data'; readonly id: number; readonly data: Uint8Array; readonly eof?: boolean }
  | { readonly kind: 'name'; readonly id: number; readonly names: readonly SFTPName[]; readonly endOfList?: boolean }
  | { readonly kind: 'attrs'; readonly id: number; readonly attrs: SFTPAttrs }
  | { readonly kind: 'extended-reply'; readonly id: number; readonly data: Uint8Array };

export type SftpRequestKind = SftpRequest['kind'];

const REQUEST_TYPES: Readonly<Record<SftpRequestKind, number>> = {
  open: FXP.OPEN,
  close: FXP.CLOSE,
  read: FXP.READ,
  write: FXP.WRITE,
  lstat: FXP.LSTAT,
  fstat: FXP.FSTAT,
  setstat: FXP.SETSTAT,
  fsetstat: FXP.FSETSTAT,
  opendir: FXP.OPENDIR,
  readdir: FXP.READDIR,
  remove: FXP.REMOVE,
  mkdir: FXP.MKDIR,
  rmdir: FXP.RMDIR,
  realpath: FXP.REALPATH,
  stat: FXP.STAT,
  rename: FXP.RENAME,
  readlink: FXP.READLINK,
  symlink: FXP.SYMLINK,
  link: FXP.LINK,
  block: FXP.BLOCK,
  unblock: FXP.UNBLOCK,
  extended: FXP.EXTENDED,
};

const encoder = new TextEncoder();

function u64(w: Writer, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uint64 field out of range: ${v}`);
  w.u64(BigInt(v));
}

/** The version range in which a request kind exists (SYMLINK went away in v6, LINK/BLOCK came). */
export function requestAllowed(kind: SftpRequestKind, version: number): boolean {
  if (kind === 'symlink') return version <= 5;
  if (kind === 'link' || kind === 'block' || kind === 'unblock') return version >= 6;
  return true;
}

/** INIT or VERSION (they share a layout): length, packet type byte, version, extension pairs. */
export function encodeInit(type: typeof FXP.INIT | typeof FXP.VERSION, p: InitPacket): Uint8Array {
  return new Writer(64)
    .nested((w) => {
      w.u8(type).u32(p.version);
      for (const [name, data] of p.extensions) w.utf8(name).bytes(data);
    })
    .finish();
}

/** Decodes INIT or VERSION; `type` says which is expected. */
export function decodeInit(payload: Uint8Array, type: typeof FXP.INIT | typeof FXP.VERSION): InitPacket {
  const r = new Reader(payload);
  const got = r.u8('type');
  if (got !== type) throw r.error('unknown-message', 'type', `expected packet type ${type}, got ${got}`, 0);
  const version = r.u32('version');
  const extensions: ExtensionPair[] = [];
  while (!r.atEnd) extensions.push([readText(r, 'extension-name'), r.bytes('extension-data')]);
  return { version, extensions };
}

/** A request without its id (the client machine assigns ids). */
export type SftpRequestBody = SftpRequest extends infer R ? (R extends SftpRequest ? Omit<R, 'id'> : never) : never;

/** Encodes a request for `version`. Throws RangeError for a request the version lacks (API misuse). */
export function encodeRequest(req: SftpRequest, version: number): Uint8Array {
  return encodeRequestBody(req, req.id, version);
}

/**
 * encodeRequest() for a body and the id it goes out with. The client machine calls this rather
 * than building `{ ...body, id }`: a spread copy per request made V8 create a fresh hidden class
 * each time, in the old generation, and during a bulk transfer each such allocation can start a
 * full collection (see IdTable for why).
 */
export function encodeRequestBody(req: SftpRequestBody, id: number, version: number): Uint8Array {
  if (!requestAllowed(req.kind, version)) throw new RangeError(`SFTP v${version} has no ${req.kind} request`);
  if (req.kind === 'write' && req.headroom === true) {
    const inPlace = encodeWriteInPlace(req, id);
    if (inPlace) return inPlace;
  }
  const extra = req.kind === 'write' ? req.data.length : 0;
  return new Writer(64 + extra).nested((w) => writeRequestBody(w, req, id, version)).bytesView();
}

/** Buffers from dataBuffer(): the bytes before each one's data are ours to overwrite. */
const roomyBuffers = new WeakSet<ArrayBufferLike>();

/**
 * A buffer of `size` bytes for the data of one READ reply, with room before it for the DATA
 * header: encodeResponse() then builds the packet around the data instead of copying it. Used
 * by the file system server; one reply per buffer.
 */
export function dataBuffer(size: number): Uint8Array {
  const total = DATA_HEADER + size;
  let pool = dataPools.get(total);
  if (pool === undefined && size >= POOLED_DATA && dataPools.size < DATA_POOL_SIZES) {
    pool = new BufferPool(total, total, DATA_POOL_FREE);
    dataPools.set(total, pool);
  }
  const whole = pool ? pool.take(total) : new Uint8Array(total);
  roomyBuffers.add(whole.buffer);
  return whole.subarray(DATA_HEADER);
}

/**
 * The packet (a DATA reply built in a dataBuffer(), or any other packet) has been copied by the
 * stream it was written to and nothing refers to it any more: its buffer may carry another reply.
 * Packets not built in a dataBuffer() are ignored.
 */
export function recyclePacket(packet: Uint8Array): void {
  if (!roomyBuffers.has(packet.buffer)) return;
  dataPools.get(packet.buffer.byteLength)?.give(packet);
}

/** Data buffers from this size on are pooled, one pool per size (clients use one or two sizes). */
const POOLED_DATA = 16 * 1024;
const DATA_POOL_SIZES = 8;
/** Free buffers kept per size: as many as the server runs READs at once. */
const DATA_POOL_FREE = 64;
const dataPools = new Map<number, BufferPool>();

/** length, type, id, data length. */
const DATA_HEADER = 4 + 1 + 4 + 4;

function encodeDataInPlace(res: Extract<SftpResponse, { kind: 'data' }>): Uint8Array | undefined {
  const { data } = res;
  if (!roomyBuffers.has(data.buffer) || data.byteOffset < DATA_HEADER) return undefined;
  const packet = new Uint8Array(data.buffer, data.byteOffset - DATA_HEADER, DATA_HEADER + data.length);
  const view = new DataView(packet.buffer, packet.byteOffset, DATA_HEADER);
  view.setUint32(0, DATA_HEADER - 4 + data.length);
  view.setUint8(4, FXP.DATA);
  view.setUint32(5, res.id);
  view.setUint32(9, data.length);
  return packet;
}

/** Room to leave before a WRITE's data for its header (length, type, id, a handle of up to 256 bytes, offset, data length). */
export const WRITE_HEADROOM = 512;

/**
 * A WRITE whose header goes into the free bytes before its data: the packet is a view of the
 * data's own buffer, so a large block is not copied. Undefined when there is not room enough.
 */
function encodeWriteInPlace(req: Extract<SftpRequestBody, { kind: 'write' }>, id: number): Uint8Array | undefined {
  const { data, handle } = req;
  const header = 4 + 1 + 4 + 4 + handle.length + 8 + 4;
  if (data.byteOffset < header || !Number.isSafeInteger(req.offset) || req.offset < 0) return undefined;
  const packet = new Uint8Array(data.buffer, data.byteOffset - header, header + data.length);
  const view = new DataView(packet.buffer, packet.byteOffset, header);
  view.setUint32(0, header - 4 + data.length);
  view.setUint8(4, REQUEST_TYPES.write);
  view.setUint32(5, id);
  view.setUint32(9, handle.length);
  packet.set(handle, 13);
  let at = 13 + handle.length;
  view.setUint32(at, Math.floor(req.offset / 0x1_0000_0000));
  view.setUint32(at + 4, req.offset >>> 0);
  at += 8;
  view.setUint32(at, data.length);
  return packet;
}

function writeRequestBody(w: Writer, req: SftpRequestBody, id: number, version: number): void {
  w.u8(REQUEST_TYPES[req.kind]).u32(id);
  switch (req.kind) {
    case 'open':
      w.utf8(req.path);
      if (version >= 5) w.u32((req.desiredAccess ?? 0) >>> 0);
      w.u32(req.flags >>> 0);
      encodeAttrs(w, req.attrs, version);
      break;
    case 'close':
    case 'readdir':
      w.bytes(req.handle);
      break;
    case 'read':
      w.bytes(req.handle);
      u64(w, req.offset);
      w.u32(req.length);
      break;
    case 'write':
      w.bytes(req.handle);
      u64(w, req.offset);
      w.bytes(req.data);
      break;
    case 'lstat':
    case 'stat':
      w.utf8(req.path);
      // v4+ servers (AsyncSSH among them) require the flags: ask for every attribute by default.
      if (version >= 4) w.u32((req.flags ?? ATTR_VALID_BY_VERSION[version] ?? 0) >>> 0);
      break;
    case 'fstat':
      w.bytes(req.handle);
      if (version >= 4) w.u32((req.flags ?? ATTR_VALID_BY_VERSION[version] ?? 0) >>> 0);
      break;
    case 'setstat':
    case 'mkdir':
      w.utf8(req.path);
      encodeAttrs(w, req.attrs, version);
      break;
    case 'fsetstat':
      w.bytes(req.handle);
      encodeAttrs(w, req.attrs, version);
      break;
    case 'opendir':
    case 'remove':
    case 'rmdir':
    case 'readlink':
      w.utf8(req.path);
      break;
    case 'realpath':
      w.utf8(req.path);
      // The control byte is optional in filexfer-13, but servers (AsyncSSH) require it.
      if (version >= 6) {
        w.u8(req.control ?? FXRP.NO_CHECK);
        for (const p of req.compose ?? []) w.utf8(p);
      }
      break;
    case 'rename':
      w.utf8(req.oldPath).utf8(req.newPath);
      if (version >= 5) w.u32((req.flags ?? 0) >>> 0);
      break;
    case 'symlink':
      if (version === 3) w.utf8(req.targetPath).utf8(req.linkPath);
      else w.utf8(req.linkPath).utf8(req.targetPath);
      break;
    case 'link':
      w.utf8(req.newLinkPath).utf8(req.existingPath).bool(req.symlink);
      break;
    case 'block':
      w.bytes(req.handle);
      u64(w, req.offset);
      u64(w, req.length);
      w.u32(req.lockMask >>> 0);
      break;
    case 'unblock':
      w.bytes(req.handle);
      u64(w, req.offset);
      u64(w, req.length);
      break;
    case 'extended':
      w.utf8(req.request).raw(req.data);
      break;
  }
}

/**
 * Decodes a request of `version`. A packet type the version lacks is a WireError with reason
 * `unknown-message` whose `field` is 'type' (servers answer it with OP_UNSUPPORTED).
 */
export function decodeRequest(payload: Uint8Array, version: number): SftpRequest {
  const r = new Reader(payload);
  const type = r.u8('type');
  const id = r.u32('request-id');
  let req: SftpRequest;
  switch (type) {
    case FXP.OPEN: {
      const path = readText(r, 'filename');
      if (version >= 5) {
        const desiredAccess = r.u32('desired-access');
        const flags = r.u32('flags');
        req = { kind: 'open', id, path, desiredAccess, flags, attrs: decodeAttrs(r, version) };
      } else {
        const flags = r.u32('pflags');
        req = { kind: 'open', id, path, flags, attrs: decodeAttrs(r, version) };
      }
      break;
    }
    case FXP.CLOSE:
      req = { kind: 'close', id, handle: r.bytes('handle') };
      break;
    case FXP.READ:
      req = { kind: 'read', id, handle: r.bytes('handle'), offset: readU64(r, 'offset'), length: r.u32('len') };
      break;
    case FXP.WRITE:
      req = { kind: 'write', id, handle: r.bytes('handle'), offset: readU64(r, 'offset'), data: r.bytes('data') };
      break;
    case FXP.LSTAT:
    case FXP.STAT: {
      const path = readText(r, 'path');
      const kind = type === FXP.STAT ? 'stat' : 'lstat';
      req = version >= 4 && r.remaining >= 4 ? { kind, id, path, flags: r.u32('flags') } : { kind, id, path };
      break;
    }
    case FXP.FSTAT: {
      const handle = r.bytes('handle');
      req = version >= 4 && r.remaining >= 4 ? { kind: 'fstat', id, handle, flags: r.u32('flags') } : { kind: 'fstat', id, handle };
      break;
    }
    case FXP.SETSTAT:
      req = { kind: 'setstat', id, path: readText(r, 'path'), attrs: decodeAttrs(r, version) };
      break;
    case FXP.FSETSTAT:
      req = { kind: 'fsetstat', id, handle: r.bytes('handle'), attrs: decodeAttrs(r, version) };
      break;
    case FXP.OPENDIR:
      req = { kind: 'opendir', id, path: readText(r, 'path') };
      break;
    case FXP.READDIR:
      req = { kind: 'readdir', id, handle: r.bytes('handle') };
      break;
    case FXP.REMOVE:
      req = { kind: 'remove', id, path: readText(r, 'filename') };
      break;
    case FXP.MKDIR:
      req = { kind: 'mkdir', id, path: readText(r, 'path'), attrs: decodeAttrs(r, version) };
      break;
    case FXP.RMDIR:
      req = { kind: 'rmdir', id, path: readText(r, 'path') };
      break;
    case FXP.REALPATH: {
      const path = readText(r, 'path');
      if (version >= 6 && !r.atEnd) {
        const control = r.u8('control-byte');
        const compose: string[] = [];
        while (!r.atEnd) compose.push(readText(r, 'compose-path'));
        req = { kind: 'realpath', id, path, control, compose };
      } else {
        req = { kind: 'realpath', id, path };
      }
      break;
    }
    case FXP.RENAME: {
      const oldPath = readText(r, 'oldpath');
      const newPath = readText(r, 'newpath');
      req = version >= 5 ? { kind: 'rename', id, oldPath, newPath, flags: r.u32('flags') } : { kind: 'rename', id, oldPath, newPath };
      break;
    }
    case FXP.READLINK:
      req = { kind: 'readlink', id, path: readText(r, 'path') };
      break;
    case FXP.SYMLINK:
      if (version >= 6) throw r.error('unknown-message', 'type', `SFTP v${version} has no SYMLINK request`, 0);
      if (version === 3) {
        const targetPath = readText(r, 'targetpath');
        req = { kind: 'symlink', id, targetPath, linkPath: readText(r, 'linkpath') };
      } else {
        const linkPath = readText(r, 'linkpath');
        req = { kind: 'symlink', id, linkPath, targetPath: readText(r, 'targetpath') };
      }
      break;
    case FXP.LINK:
    case FXP.BLOCK:
    case FXP.UNBLOCK:
      if (version < 6) throw r.error('unknown-message', 'type', `SFTP v${version} has no packet type ${type}`, 0);
      if (type === FXP.LINK) {
        const newLinkPath = readText(r, 'new-link-path');
        const existingPath = readText(r, 'existing-path');
        req = { kind: 'link', id, newLinkPath, existingPath, symlink: r.bool('sym-link') };
      } else {
        const handle = r.bytes('handle');
        const offset = readU64(r, 'offset');
        const length = readU64(r, 'length');
        req = type === FXP.BLOCK ? { kind: 'block', id, handle, offset, length, lockMask: r.u32('uLockMask') } : { kind: 'unblock', id, handle, offset, length };
      }
      break;
    case FXP.EXTENDED:
      req = { kind: 'extended', id, request: readText(r, 'extended-request'), data: r.rest() };
      break;
    default:
      throw r.error('unknown-message', 'type', `unknown SFTP request type ${type}`, 0);
  }
  r.end(req.kind);
  return req;
}

/** Encodes a response for `version` (fields the version lacks are left out). */
export function encodeResponse(res: SftpResponse, version: number): Uint8Array {
  if (res.kind === 'data' && (version < 6 || res.eof === undefined)) {
    const inPlace = encodeDataInPlace(res);
    if (inPlace) return inPlace;
  }
  const extra = res.kind === 'data' ? res.data.length : res.kind === 'name' ? res.names.length * 128 : 0;
  return new Writer(64 + extra).nested((w) => writeResponseBody(w, res, version)).bytesView();
}

function writeResponseBody(w: Writer, res: SftpResponse, version: number): void {
  switch (res.kind) {
    case 'status':
      w.u8(FXP.STATUS).u32(res.id).u32(res.status >>> 0).utf8(res.message).utf8(res.lang);
      break;
    case 'handle':
      w.u8(FXP.HANDLE).u32(res.id).bytes(res.handle);
      break;
    case 'data':
      w.u8(FXP.DATA).u32(res.id).bytes(res.data);
      if (version >= 6 && res.eof !== undefined) w.bool(res.eof);
      break;
    case 'name':
      w.u8(FXP.NAME).u32(res.id).u32(res.names.length);
      for (const n of res.names) {
        w.utf8(n.filename);
        if (version <= 3) w.utf8(n.longname);
        encodeAttrs(w, n.attrs, version);
      }
      if (version >= 6 && res.endOfList !== undefined) w.bool(res.endOfList);
      break;
    case 'attrs':
      w.u8(FXP.ATTRS).u32(res.id);
      encodeAttrs(w, res.attrs, version);
      break;
    case 'extended-reply':
      w.u8(FXP.EXTENDED_REPLY).u32(res.id).raw(res.data);
      break;
  }
}

/** Decodes a response of `version`. Lenient where servers differ: STATUS without message/lang. */
export function decodeResponse(payload: Uint8Array, version: number): SftpResponse {
  const r = new Reader(payload);
  const type = r.u8('type');
  const id = r.u32('request-id');
  switch (type) {
    case FXP.STATUS: {
      const status = r.u32('error-code');
      // filexfer-02 servers may end here; v6 may append error-specific data after lang.
      const message = r.atEnd ? '' : readText(r, 'error-message');
      const lang = r.atEnd ? '' : readText(r, 'language-tag');
      return { kind: 'status', id, status, message, lang };
    }
    case FXP.HANDLE: {
      const handle = r.bytes('handle', 256);
      r.end('handle');
      return { kind: 'handle', id, handle };
    }
    case FXP.DATA: {
      const data = r.bytes('data');
      if (version >= 6 && !r.atEnd) {
        const eof = r.bool('end-of-file');
        r.end('data');
        return { kind: 'data', id, data, eof };
      }
      r.end('data');
      return { kind: 'data', id, data };
    }
    case FXP.NAME: {
      const countAt = r.offset;
      const count = r.u32('count');
      // An entry takes at least 9 bytes (v4+) or 13 (v3): refuse counts the packet cannot hold.
      const minEntry = version <= 3 ? 12 : 9;
      if (count > r.remaining / minEntry) throw r.error('too-long', 'count', `${count} names cannot fit in ${r.remaining} bytes`, countAt);
      const names: SFTPName[] = [];
      for (let i = 0; i < count; i++) {
        const filename = readText(r, 'filename');
        const longname = version <= 3 ? readText(r, 'longname') : '';
        names.push({ filename, longname, attrs: decodeAttrs(r, version) });
      }
      if (version >= 6 && !r.atEnd) {
        const endOfList = r.bool('end-of-list');
        r.end('name');
        return { kind: 'name', id, names, endOfList };
      }
      r.end('name');
      return { kind: 'name', id, names };
    }
    case FXP.ATTRS: {
      const attrs = decodeAttrs(r, version);
      r.end('attrs');
      return { kind: 'attrs', id, attrs };
    }
    case FXP.EXTENDED_REPLY:
      return { kind: 'extended-reply', id, data: r.rest() };
    default:
      throw r.error('unknown-message', 'type', `unknown SFTP response type ${type}`, 0);
  }
}

/** UTF-8 bytes of a string (for extension payloads built by hand). */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}
