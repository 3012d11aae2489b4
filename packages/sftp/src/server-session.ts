/**
 * The server side of an SFTP session: reads requests from a byte stream, calls the SFTPServer
 * hooks, writes the replies. filexfer-02 / -13 (versions 3 to 6, version-select), OpenSSH
 * PROTOCOL §4 (posix-rename, statvfs, fstatvfs, hardlink, fsync, lsetstat, limits, expand-path,
 * copy-data, home-directory, users-groups-by-id).
 *
 * Requests take effect in arrival order, except that READs and WRITEs on distinct byte ranges of
 * a file not opened for appending run side by side (up to 64): a WRITE waits for anything in flight
 * that overlaps it, and every other request (CLOSE included) waits for all of them. A copy-data
 * runs as a READ of its whole source and a WRITE of its whole destination would, a chunk at a
 * time. The end of the client's side of the stream (a half-close) ends the session only once the
 * requests read before it are done and answered, a copy-data included, as OpenSSH's sftp-server
 * finishes the request it is on; a copy-data stops early when the session breaks: our output is
 * closed (SftpByteStream.outputClosed, or a reply fails to go out) or the input fails. On a stream
 * without `outputClosed` the end of the input may be the connection's end as well, so a copy-data
 * stops there (the requests read before it are still answered). A malformed
 * request gets BAD_MESSAGE; a framing error (a length above the limit) ends the session, since the
 * stream cannot be resynchronised.
 * @module
 */

import { Reader, type SizeClassPools, WireError, Writer } from '@ssh/wire';
import { type SFTPAttrs, type SFTPName, encodeLimits, encodeVFSAttrs, decodeAttrs, readText, readU64 } from './attrs.ts';
import { ATTR_VALID_BY_VERSION, EXT, FX, FXF, FXF56, FXP, FXR, SFTP_MAX_PACKET_LENGTH, SFTP_MAX_VERSION, SFTP_MIN_VERSION } from './constants.ts';
import { SFTPBadMessage, SFTPError, SFTPFailure, SFTPInvalidHandle, SFTPOpUnsupported, statusForVersion } from './errors.ts';
import { encodeSupported, encodeSupported2, encodeVendorId } from './extensions.ts';
import { PacketFramer } from './framing.ts';
import { sftpPacketPools } from './packet-pools.ts';
import { type ExtensionPair, type SftpRequest, type SftpResponse, decodeInit, decodeRequest, encodeInit, encodeResponse, utf8Bytes } from './packets.ts';
import { trimTrailingSlashes } from './paths.ts';
import { type MaybePromise, type SFTPServer, type ServerFile } from './server.ts';
import { type SftpByteStream } from './stream.ts';

export interface SftpServerOptions {
  /** Highest version offered (default 6); the session uses min(client's, this). */
  readonly maxVersion?: number;
  /** Largest request packet accepted (default 256 KiB + 1 KiB); announced in limits@openssh.com. */
  readonly maxPacketLength?: number;
  /** Most handles open at once (default 256). */
  readonly maxOpenHandles?: number;
}

type HandleEntry =
  | { readonly kind: 'file'; readonly file: ServerFile; readonly append: boolean }
  | { readonly kind: 'dir'; readonly path: string; iterator: AsyncIterator<SFTPName> | Iterator<SFTPName> | undefined; readonly source: AsyncIterable<SFTPName> | Iterable<SFTPName>; pending: SFTPName | undefined };

const NAMES_PER_READDIR = 128;
/** READs/WRITEs handled at once (the local file system overlaps them on its thread pool). */
const MAX_CONCURRENT = 64;
/**
 * Data of the WRITEs handled at once. OpenSSH's sftp keeps 64 WRITEs of up to 255 KiB (our
 * limits@openssh.com) in flight: 16 MiB, four times what the pool below keeps, so that most bodies
 * were fresh buffers outside the JavaScript heap (up to 500 MiB of them per GiB uploaded), each
 * collection of them a full one. Past the budget the session stops reading until one finishes, and
 * the channel's window holds the client back. A few megabytes keep the thread pool busy: the local
 * file system takes them faster than a connection brings them.
 */
const MAX_WRITE_BYTES = 4 * 1024 * 1024;
/**
 * Free buffers for large requests (WRITEs) kept per session, per size class: the write budget
 * plus what the framer may hold past it (the request waiting for room, the next one arriving) and
 * each buffer's slack over its packet.
 */
const POOLED_REQUESTS_BYTES = MAX_WRITE_BYTES + 3 * SFTP_MAX_PACKET_LENGTH;
const POOLED_REQUESTS_FREE = 128;
/**
 * Data in one READ reply at most. OpenSSH's sftp takes no message over 256 KiB, yet with -B 262144
 * it asks for 256 KiB of data, which does not fit with the reply's header; its sftp-server
 * answers with 255 KiB (a short read the client follows up), and so do we, whatever packet size
 * we accept for WRITEs.
 */
const MAX_READ_REPLY = 256 * 1024 - 1024;
/**
 * Longest reply message (type, id and body) of a request that names what it asks for, however
 * many (users-groups-by-id): OpenSSH's sftp takes no message over 256 KiB and ends the session.
 */
const MAX_REPLY_MESSAGE = 256 * 1024;
/**
 * Input read ahead while a request waits for a copy-data, so that a failing input is seen (the
 * copy stops then). Past this the session stops reading until the copy ends (the channel's window
 * holds the client back).
 */
const READ_AHEAD_BYTES = 1024 * 1024;
const READ_AHEAD_CHUNKS = 4096;
/**
 * Chunks a copy-data moves between turns of the event loop it gives up. Hooks that answer at once
 * (an in-memory file system) would otherwise run the whole copy on microtasks, seeing neither
 * the end of the session nor anything else the process has to do until it is done.
 */
const COPY_CHUNKS_PER_TURN = 64;

/** A turn of the event loop (setImmediate where there is one: a timer waits at least a millisecond). */
function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

interface InflightRange {
  readonly key: number;
  readonly start: number;
  readonly end: number;
  readonly write: boolean;
  /** Bytes of WRITE data the request holds (0 for a READ). */
  readonly held: number;
  /** Where the range sits in `SftpServerSession.ranges` while its request runs. */
  index: number;
}

const EMPTY = new Uint8Array(0);

function u32(n: number): Uint8Array {
  return new Writer(4).u32(n).finish();
}

/** Runs an SFTP server session on `stream` until the client closes it. */
export function runSftpServer(stream: SftpByteStream, server: SFTPServer, options: SftpServerOptions = {}): Promise<void> {
  return new SftpServerSession(server, options).run(stream);
}

export class SftpServerSession {
  private readonly server: SFTPServer;
  private readonly maxVersion: number;
  private readonly maxPacket: number;
  private readonly maxHandles: number;
  private version = 0;
  private readonly handles = new Map<number, HandleEntry>();
  private nextHandle = 1;
  private requestsSeen = 0;
  /**
   * The READs and WRITEs running side by side, and who waits for one of them to finish. An array
   * and a single waiter rather than a Set of their promises raced per request: that Set rebuilt
   * its table in the old generation every few dozen requests, and each race left a reaction on
   * every promise in flight.
   */
  private readonly ranges: InflightRange[] = [];
  /** WRITE data held by the requests in `ranges`. */
  private writeBytes = 0;
  /** Buffers of large requests (WRITEs) copied out of the stream; see SFTPServer.borrowsWriteData. */
  private readonly bodies: SizeClassPools;
  /** What everyone waiting for the next of them to finish waits on (one promise, however many wait). */
  private settledWait: Promise<void> | undefined;
  private settled: (() => void) | undefined;
  private stream: SftpByteStream | undefined;
  private input: AsyncIterator<Uint8Array> | undefined;
  /** The next chunk being read, when one is. */
  private pulling: Promise<void> | undefined;
  /** Chunks read and not yet framed (from `aheadAt` on): see READ_AHEAD_BYTES. */
  private ahead: Uint8Array[] = [];
  private aheadAt = 0;
  private aheadBytes = 0;
  /** The client's side of the stream ended (or failed): nothing more will be read. */
  private inputEnded = false;
  /** The session broke (output closed, a reply not written, input failed, framing lost): copy-data stops. */
  private ending = false;
  /**
   * Wakes the read loop while it waits for input: the output broke, so it gives up waiting. (Not
   * a promise raced against each read: every race would leave a reaction on it for the session's
   * life, one per chunk read.)
   */
  private wakeReader: (() => void) | undefined;
  /** copy-data requests running. */
  private copies = 0;

  constructor(server: SFTPServer, options: SftpServerOptions = {}) {
    this.server = server;
    this.maxVersion = Math.min(SFTP_MAX_VERSION, Math.max(SFTP_MIN_VERSION, options.maxVersion ?? SFTP_MAX_VERSION));
    this.maxPacket = options.maxPacketLength ?? SFTP_MAX_PACKET_LENGTH;
    this.maxHandles = options.maxOpenHandles ?? 256;
    this.bodies = sftpPacketPools(POOLED_REQUESTS_BYTES, POOLED_REQUESTS_FREE);
  }

  /** The session broke (see `ending`): copies stop, and the read loop stops waiting for input. */
  private readonly breakSession = (): void => {
    this.ending = true;
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  };

  /** Longest WRITE accepted: what fits a packet with room for headers. */
  private get maxIo(): number {
    return this.maxPacket - 1024;
  }

  /** Longest READ answered: within the packet limit, and never more than MAX_READ_REPLY. */
  private get maxRead(): number {
    return Math.min(this.maxIo, MAX_READ_REPLY);
  }

  async run(stream: SftpByteStream): Promise<void> {
    this.stream = stream;
    const input = stream.readable[Symbol.asyncIterator]();
    this.input = input;
    // Requests run side by side after the loop moved on: from transient chunks they are copies.
    const framer = new PacketFramer(this.maxPacket, (n) => this.bodies.take(n), stream.transient === true);
    stream.outputClosed?.then(this.breakSession, this.breakSession);
    try {
      for (let chunk = await this.nextChunk(); chunk !== undefined; chunk = await this.nextChunk()) {
        let payloads: Uint8Array[];
        try {
          payloads = framer.push(chunk);
        } catch {
          this.ending = true;
          break;
        }
        for (const p of payloads) {
          if (this.ending) break;
          if (!(await this.handlePacket(p))) this.ending = true;
        }
        if (framer.error) this.ending = true;
        // Nobody is left to answer, or the stream cannot be read on.
        if (this.ending) break;
      }
    } catch {
      // The stream failed: the session ends, and so does any copy-data.
      this.ending = true;
    } finally {
      // Left early: release the input, as a for-await loop would (without waiting on a read in flight).
      if (!this.inputEnded) {
        const released = Promise.resolve()
          .then(() => input.return?.())
          .catch(() => undefined);
        if (!this.pulling) await released;
      }
      // Let requests in flight finish before closing handles: at the end of the input (a
      // half-close) they are answered; when the session broke, their replies are dropped and a
      // copy-data stops at its next chunk.
      await this.drain().catch(() => undefined);
      await this.cleanup();
      stream.close();
    }
  }

  /** The next chunk of input, read ahead or read now; undefined at its end. */
  private async nextChunk(): Promise<Uint8Array | undefined> {
    for (;;) {
      if (this.aheadAt < this.ahead.length) {
        const chunk = this.ahead[this.aheadAt] as Uint8Array;
        this.ahead[this.aheadAt++] = EMPTY;
        this.aheadBytes -= chunk.length;
        if (this.aheadAt === this.ahead.length) {
          this.ahead = [];
          this.aheadAt = 0;
        }
        return chunk;
      }
      if (this.inputEnded || this.ending) return undefined;
      // Input that might never come (the peer is gone) is not waited for once the output is.
      const pulled = this.pull(false);
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
        pulled.then(resolve, resolve);
      });
      this.wakeReader = undefined;
    }
  }

  /**
   * Reads one more chunk into `ahead` (or notes the end of the input). `early`: read ahead of the
   * loop (a transient chunk is then copied: it stays in `ahead` while later ones are read).
   */
  private pull(early: boolean): Promise<void> {
    this.pulling ??= (async () => {
      try {
        const r = await (this.input as AsyncIterator<Uint8Array>).next();
        if (r.done) this.inputEnded = true;
        else {
          const chunk = early && this.stream?.transient === true ? r.value.slice() : r.value;
          this.ahead.push(chunk);
          this.aheadBytes += chunk.length;
        }
      } catch {
        // The input failed (not a plain end): the connection is broken.
        this.inputEnded = true;
        this.ending = true;
      } finally {
        this.pulling = undefined;
      }
    })();
    return this.pulling;
  }

  private async cleanup(): Promise<void> {
    for (const [, entry] of this.handles) {
      if (entry.kind === 'file') await Promise.resolve(this.server.close(entry.file)).catch(() => undefined);
      else await closeIterator(entry.iterator);
    }
    this.handles.clear();
    await Promise.resolve(this.server.exit()).catch(() => undefined);
  }

  /**
   * Writes a reply. One that cannot be written (the output is closed or failed) breaks the
   * session: it rejects, and the requests still running learn that nobody will hear them.
   */
  private send(bytes: Uint8Array): Promise<void> | undefined {
    let written: Promise<void> | undefined;
    try {
      written = this.stream?.write(bytes);
    } catch (e) {
      this.breakSession();
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return written?.catch((e: unknown) => {
      this.breakSession();
      throw e;
    });
  }

  private async reply(res: SftpResponse): Promise<void> {
    await this.send(encodeResponse(res, this.version));
  }

  private status(id: number, status: number, message = ''): Promise<void> {
    return this.reply({ kind: 'status', id, status: statusForVersion(status, this.version), message, lang: 'en' });
  }

  /** Handles one packet; false ends the session. */
  private async handlePacket(payload: Uint8Array): Promise<boolean> {
    if (this.version === 0) return this.handleInit(payload);
    let req: SftpRequest;
    try {
      req = decodeRequest(payload, this.version);
    } catch (e) {
      // Answer with the request id when there is one; the framing is intact, so carry on.
      if (payload.length < 5) return false;
      const id = new DataView(payload.buffer, payload.byteOffset).getUint32(1);
      const unsupported = e instanceof WireError && e.reason === 'unknown-message';
      await this.status(id, unsupported ? FX.OP_UNSUPPORTED : FX.BAD_MESSAGE, e instanceof Error ? e.message : 'bad message');
      return true;
    }
    const first = this.requestsSeen++ === 0;
    const copy = this.copyRanges(req);
    if (copy) {
      // After everything before it, then beside what does not touch its files (see oneSettled).
      await this.drain();
      for (const r of copy) {
        r.index = this.ranges.length;
        this.ranges.push(r);
      }
      this.copies++;
      const done = (): void => {
        this.copies--;
        for (const r of copy) this.finished(r);
      };
      this.process(req, first).then(done, done);
      return true;
    }
    const range = this.concurrentRange(req);
    if (range && !this.overlaps(range)) {
      // READs and WRITEs on distinct ranges of non-append files run side by side.
      while (this.ranges.length >= MAX_CONCURRENT || (this.ranges.length > 0 && this.writeBytes + range.held > MAX_WRITE_BYTES)) await this.oneSettled();
      range.index = this.ranges.length;
      this.ranges.push(range);
      this.writeBytes += range.held;
      // process() answers every error with a STATUS; it only rejects when that reply cannot be
      // written, and then the stream is gone and the read loop ends by itself.
      const done = (): void => this.finished(range);
      this.process(req, first).then(done, done);
      return true;
    }
    // Anything else waits for what is in flight: a CLOSE never overtakes a WRITE.
    await this.drain();
    await this.process(req, first);
    return true;
  }

  private async process(req: SftpRequest, first: boolean): Promise<void> {
    try {
      await this.dispatch(req, first);
    } catch (e) {
      await this.fail(req.id, e);
    }
  }

  /** Waits until no READ or WRITE runs any more. */
  private async drain(): Promise<void> {
    while (this.ranges.length > 0) await this.oneSettled();
  }

  /**
   * Resolves when the next READ, WRITE or copy-data in flight finishes. While a copy-data runs, it
   * may also resolve when a chunk of input was read ahead (callers check again what they wait for):
   * the input is watched for its end, which stops the copy.
   */
  private oneSettled(): Promise<void> {
    this.settledWait ??= new Promise<void>((resolve) => {
      this.settled = resolve;
    });
    const settled = this.settledWait;
    if (this.copies === 0 || this.ending || this.inputEnded || this.aheadBytes >= READ_AHEAD_BYTES || this.ahead.length - this.aheadAt >= READ_AHEAD_CHUNKS) return settled;
    return Promise.race([settled, this.pull(true)]);
  }

  private finished(range: InflightRange): void {
    this.writeBytes -= range.held;
    const last = this.ranges.pop() as InflightRange;
    if (last !== range) {
      this.ranges[range.index] = last;
      last.index = range.index;
    }
    const wake = this.settled;
    this.settled = undefined;
    this.settledWait = undefined;
    wake?.();
  }

  /** The byte range a READ/WRITE touches on a plain file handle, or undefined when it must run alone. */
  private concurrentRange(req: SftpRequest): InflightRange | undefined {
    if (req.kind !== 'read' && req.kind !== 'write') return undefined;
    if (req.handle.length !== 4) return undefined;
    const key = new DataView(req.handle.buffer, req.handle.byteOffset).getUint32(0);
    const entry = this.handles.get(key);
    if (!entry || entry.kind !== 'file' || entry.append) return undefined;
    const length = req.kind === 'read' ? Math.min(req.length, this.maxRead) : req.data.length;
    return { key, start: req.offset, end: req.offset + length, write: req.kind === 'write', held: req.kind === 'write' ? length : 0, index: -1 };
  }

  /**
   * The ranges a copy-data holds while it runs: all of its source, read, and all of its
   * destination, written. Undefined when either handle is not an open file (it then fails alone).
   */
  private copyRanges(req: SftpRequest): [InflightRange, InflightRange] | undefined {
    if (req.kind !== 'extended' || req.request !== EXT.COPY_DATA) return undefined;
    try {
      const r = new Reader(req.data);
      const src = r.bytes('read-from-handle');
      readU64(r, 'read-from-offset');
      readU64(r, 'read-data-length');
      const dst = r.bytes('write-to-handle');
      const key = (h: Uint8Array): number => {
        const { key, entry } = this.entry(h);
        if (entry.kind !== 'file') throw new SFTPInvalidHandle('not a file handle');
        return key;
      };
      const whole = (k: number, write: boolean): InflightRange => ({ key: k, start: 0, end: Infinity, write, held: 0, index: -1 });
      return [whole(key(src), false), whole(key(dst), true)];
    } catch {
      return undefined;
    }
  }

  private overlaps(r: InflightRange): boolean {
    for (const o of this.ranges) {
      if (o.key !== r.key || (!o.write && !r.write)) continue;
      if (r.start < o.end && o.start < r.end) return true;
    }
    return false;
  }

  private async fail(id: number, e: unknown): Promise<void> {
    if (e instanceof SFTPError) return this.status(id, e.status, e.reason);
    if (e instanceof WireError) return this.status(id, FX.BAD_MESSAGE, e.message);
    return this.status(id, FX.FAILURE, e instanceof Error ? e.message : String(e));
  }

  private async handleInit(payload: Uint8Array): Promise<boolean> {
    let clientVersion: number;
    try {
      clientVersion = decodeInit(payload, FXP.INIT).version;
    } catch {
      return false;
    }
    if (clientVersion < SFTP_MIN_VERSION) return false;
    this.version = Math.min(clientVersion, this.maxVersion);
    await this.send(encodeInit(FXP.VERSION, { version: this.version, extensions: this.versionExtensions() }));
    return true;
  }

  private extensionNames(): string[] {
    return [EXT.POSIX_RENAME, EXT.STATVFS, EXT.FSTATVFS, EXT.HARDLINK, EXT.FSYNC, EXT.LSETSTAT, EXT.LIMITS, EXT.EXPAND_PATH, EXT.COPY_DATA, EXT.HOME_DIRECTORY, EXT.USERS_GROUPS_BY_ID];
  }

  private versionExtensions(): ExtensionPair[] {
    const data: Record<string, string> = { [EXT.STATVFS]: '2', [EXT.FSTATVFS]: '2' };
    const out: ExtensionPair[] = this.extensionNames().map((n) => [n, utf8Bytes(data[n] ?? '1')] as const);
    const versions: number[] = [];
    for (let v = SFTP_MIN_VERSION; v <= this.maxVersion; v++) versions.push(v);
    out.push([EXT.VERSIONS, utf8Bytes(versions.join(','))]);
    if (this.version >= 4) out.push([EXT.NEWLINE, utf8Bytes('\n')]);
    out.push([EXT.VENDOR_ID, encodeVendorId({ vendorName: '@ssh', productName: '@ssh/sftp', productVersion: '0', productBuildNumber: 0n })]);
    if (this.version >= 5) {
      const info = {
        supportedAttributeMask: ATTR_VALID_BY_VERSION[this.version] ?? 0,
        supportedAttributeBits: 0,
        // Access dispositions, APPEND_DATA(_ATOMIC), TEXT_MODE; NOFOLLOW is not offered.
        supportedOpenFlags: 0x0000_003f,
        // READ/WRITE/APPEND data, attributes, DELETE, SYNCHRONIZE.
        supportedAccessMask: 0x0011_0187,
        maxReadSize: this.maxRead,
        extensionNames: this.extensionNames(),
      };
      out.push(this.version === 5 ? [EXT.SUPPORTED, encodeSupported(info)] : [EXT.SUPPORTED2, encodeSupported2(info)]);
    }
    return out;
  }

  /**
   * Refuses an OPEN or OPENDIR before the server acts on it when no handle is left: an open that
   * creates or truncates the file must not do so and then fail.
   */
  private checkHandleRoom(): void {
    if (this.handles.size >= this.maxHandles) throw new SFTPFailure(`too many open handles (limit ${this.maxHandles})`);
  }

  private newHandle(entry: HandleEntry): Uint8Array {
    this.checkHandleRoom();
    while (this.handles.has(this.nextHandle)) this.nextHandle = (this.nextHandle + 1) >>> 0 || 1;
    const h = this.nextHandle;
    this.nextHandle = (this.nextHandle + 1) >>> 0 || 1;
    this.handles.set(h, entry);
    return u32(h);
  }

  private entry(handle: Uint8Array): { key: number; entry: HandleEntry } {
    if (handle.length === 4) {
      const key = new DataView(handle.buffer, handle.byteOffset).getUint32(0);
      const entry = this.handles.get(key);
      if (entry) return { key, entry };
    }
    throw new SFTPInvalidHandle('invalid handle');
  }

  private file(handle: Uint8Array): ServerFile {
    const { entry } = this.entry(handle);
    if (entry.kind !== 'file') throw new SFTPInvalidHandle('not a file handle');
    return entry.file;
  }

  private map(path: string): Promise<string> {
    return Promise.resolve(this.server.mapPath(path));
  }

  /** Attributes on their way out: v4+ sends names, which the hooks give as ids. */
  private async outAttrs(a: SFTPAttrs): Promise<SFTPAttrs> {
    if (this.version < 4 || (a.owner !== undefined && a.group !== undefined) || a.uid === undefined || a.gid === undefined) return a;
    return { ...a, owner: await this.server.formatUser(a.uid), group: await this.server.formatGroup(a.gid) };
  }

  /** Attributes on their way in: numeric owner/group names become ids. */
  private inAttrs(a: SFTPAttrs): SFTPAttrs {
    const out = { ...a };
    if (out.owner !== undefined && out.uid === undefined && /^\d+$/.test(out.owner)) out.uid = Number(out.owner);
    if (out.group !== undefined && out.gid === undefined && /^\d+$/.test(out.group)) out.gid = Number(out.group);
    return out;
  }

  private async nameReply(id: number, filename: string, attrs: SFTPAttrs = {}): Promise<void> {
    await this.reply({ kind: 'name', id, names: [{ filename, longname: this.version <= 3 ? filename : '', attrs }] });
  }

  private async dispatch(req: SftpRequest, first: boolean): Promise<void> {
    const s = this.server;
    const id = req.id;
    switch (req.kind) {
      case 'open': {
        this.checkHandleRoom();
        const path = await this.map(req.path);
        const attrs = this.inAttrs(req.attrs);
        const file = this.version >= 5 ? await s.open56(path, req.desiredAccess ?? 0, req.flags, attrs) : await s.open(path, req.flags, attrs);
        const append = this.version >= 5 ? (req.flags & (FXF56.APPEND_DATA | FXF56.APPEND_DATA_ATOMIC)) !== 0 : (req.flags & FXF.APPEND) !== 0;
        let handle: Uint8Array;
        try {
          handle = this.newHandle({ kind: 'file', file, append });
        } catch (e) {
          await Promise.resolve(s.close(file)).catch(() => undefined);
          throw e;
        }
        // From here the handle table owns the file: when the reply fails, cleanup() closes it, once.
        return this.reply({ kind: 'handle', id, handle });
      }
      case 'close': {
        const { key, entry } = this.entry(req.handle);
        this.handles.delete(key);
        if (entry.kind === 'file') await s.close(entry.file);
        else await closeIterator(entry.iterator);
        return this.status(id, FX.OK);
      }
      case 'read': {
        const data = await s.read(this.file(req.handle), req.offset, Math.min(req.length, this.maxRead));
        if (data.length === 0) return this.status(id, FX.EOF);
        return this.reply({ kind: 'data', id, data });
      }
      case 'write':
        try {
          await s.write(this.file(req.handle), req.offset, req.data);
        } finally {
          // A server that only borrows the data is done with it: its buffer takes a later request.
          if (s.borrowsWriteData) this.bodies.give(req.data);
        }
        return this.status(id, FX.OK);
      case 'stat':
      case 'lstat': {
        const path = await this.map(req.path);
        const attrs = req.kind === 'stat' ? await s.stat(path) : await s.lstat(path);
        return this.reply({ kind: 'attrs', id, attrs: await this.outAttrs(attrs) });
      }
      case 'fstat': {
        const { entry } = this.entry(req.handle);
        const attrs = entry.kind === 'file' ? await s.fstat(entry.file) : await s.stat(entry.path);
        return this.reply({ kind: 'attrs', id, attrs: await this.outAttrs(attrs) });
      }
      case 'setstat':
        await s.setstat(await this.map(req.path), this.inAttrs(req.attrs));
        return this.status(id, FX.OK);
      case 'fsetstat':
        await s.fsetstat(this.file(req.handle), this.inAttrs(req.attrs));
        return this.status(id, FX.OK);
      case 'opendir': {
        this.checkHandleRoom();
        const path = await this.map(req.path);
        const source = await s.scandir(path);
        return this.reply({ kind: 'handle', id, handle: this.newHandle({ kind: 'dir', path, source, iterator: undefined, pending: undefined }) });
      }
      case 'readdir':
        return this.readdir(id, req.handle);
      case 'remove':
        await s.remove(await this.map(req.path));
        return this.status(id, FX.OK);
      case 'mkdir':
        await s.mkdir(await this.map(req.path), this.inAttrs(req.attrs));
        return this.status(id, FX.OK);
      case 'rmdir':
        await s.rmdir(await this.map(req.path));
        return this.status(id, FX.OK);
      case 'realpath': {
        const path = composePath(req.path, req.compose ?? []);
        const real = await s.realpath(await this.map(path === '' ? '.' : path));
        const shown = await s.reverseMapPath(real);
        if (this.version >= 6 && req.control === 0x03) return this.nameReply(id, shown, await this.outAttrs(await s.stat(real)));
        return this.nameReply(id, shown);
      }
      case 'rename': {
        const oldPath = await this.map(req.oldPath);
        const newPath = await this.map(req.newPath);
        if (req.flags !== undefined && req.flags & FXR.OVERWRITE) await s.posixRename(oldPath, newPath);
        else await s.rename(oldPath, newPath);
        return this.status(id, FX.OK);
      }
      case 'readlink': {
        const target = await s.readlink(await this.map(req.path));
        return this.nameReply(id, await s.reverseMapPath(target));
      }
      case 'symlink':
        await s.symlink(req.targetPath, await this.map(req.linkPath));
        return this.status(id, FX.OK);
      case 'link':
        if (req.symlink) await s.symlink(req.existingPath, await this.map(req.newLinkPath));
        else await s.link(await this.map(req.existingPath), await this.map(req.newLinkPath));
        return this.status(id, FX.OK);
      case 'block':
        await s.lock(this.file(req.handle), req.offset, req.length, req.lockMask);
        return this.status(id, FX.OK);
      case 'unblock':
        await s.unlock(this.file(req.handle), req.offset, req.length);
        return this.status(id, FX.OK);
      case 'extended':
        return this.extended(id, req.request, req.data, first);
    }
  }

  private async readdir(id: number, handle: Uint8Array): Promise<void> {
    const { entry } = this.entry(handle);
    if (entry.kind !== 'dir') throw new SFTPInvalidHandle('not a directory handle');
    entry.iterator ??= Symbol.asyncIterator in entry.source ? entry.source[Symbol.asyncIterator]() : entry.source[Symbol.iterator]();
    const names: SFTPName[] = [];
    let bytes = 64;
    while (names.length < NAMES_PER_READDIR && bytes < this.maxIo / 2) {
      let next = entry.pending;
      entry.pending = undefined;
      if (!next) {
        const r = await entry.iterator.next();
        if (r.done) break;
        next = r.value;
      }
      const name: SFTPName = { filename: next.filename, longname: next.longname, attrs: await this.outAttrs(next.attrs) };
      if (this.version <= 3) await this.server.formatLongname(name);
      names.push(name);
      bytes += name.filename.length * 3 + name.longname.length * 3 + 128;
    }
    if (names.length === 0) return this.status(id, FX.EOF);
    return this.reply({ kind: 'name', id, names });
  }

  private async extended(id: number, request: string, data: Uint8Array, first: boolean): Promise<void> {
    const s = this.server;
    const r = new Reader(data);
    switch (request) {
      case EXT.VERSION_SELECT: {
        const wanted = Number(readText(r, 'version'));
        if (!first || !Number.isInteger(wanted) || wanted < SFTP_MIN_VERSION || wanted > this.maxVersion) {
          throw new SFTPFailure('version-select refused');
        }
        await this.status(id, FX.OK);
        this.version = wanted;
        return;
      }
      case EXT.POSIX_RENAME: {
        const oldPath = readText(r, 'oldpath');
        const newPath = readText(r, 'newpath');
        await s.posixRename(await this.map(oldPath), await this.map(newPath));
        return this.status(id, FX.OK);
      }
      case EXT.HARDLINK: {
        const oldPath = readText(r, 'oldpath');
        const newPath = readText(r, 'newpath');
        await s.link(await this.map(oldPath), await this.map(newPath));
        return this.status(id, FX.OK);
      }
      case EXT.STATVFS: {
        const vfs = await s.statvfs(await this.map(readText(r, 'path')));
        const w = new Writer(96);
        encodeVFSAttrs(w, vfs);
        return this.reply({ kind: 'extended-reply', id, data: w.finish() });
      }
      case EXT.FSTATVFS: {
        const vfs = await s.fstatvfs(this.file(r.bytes('handle')));
        const w = new Writer(96);
        encodeVFSAttrs(w, vfs);
        return this.reply({ kind: 'extended-reply', id, data: w.finish() });
      }
      case EXT.FSYNC:
        await s.fsync(this.file(r.bytes('handle')));
        return this.status(id, FX.OK);
      case EXT.LSETSTAT: {
        const path = readText(r, 'path');
        const attrs = decodeAttrs(r, this.version);
        await s.lsetstat(await this.map(path), this.inAttrs(attrs));
        return this.status(id, FX.OK);
      }
      case EXT.LIMITS: {
        const w = new Writer(32);
        encodeLimits(w, { maxPacketLen: this.maxPacket, maxReadLen: this.maxRead, maxWriteLen: this.maxIo, maxOpenHandles: this.maxHandles });
        return this.reply({ kind: 'extended-reply', id, data: w.finish() });
      }
      case EXT.EXPAND_PATH: {
        let path = readText(r, 'path');
        if (path === '~' || path.startsWith('~/')) path = (await s.homeDirectory('')) + path.slice(1);
        else if (path.startsWith('~')) {
          const slash = path.indexOf('/');
          const user = slash < 0 ? path.slice(1) : path.slice(1, slash);
          path = (await s.homeDirectory(user)) + (slash < 0 ? '' : path.slice(slash));
        }
        const real = await s.realpath(await this.map(path));
        return this.nameReply(id, await s.reverseMapPath(real));
      }
      case EXT.HOME_DIRECTORY:
        return this.nameReply(id, await s.homeDirectory(readText(r, 'username')));
      case EXT.USERS_GROUPS_BY_ID: {
        const ids = (bytes: Uint8Array): number[] => {
          if (bytes.length % 4 !== 0) throw new SFTPBadMessage('id list length is not a multiple of 4');
          const rr = new Reader(bytes);
          const out: number[] = [];
          while (!rr.atEnd) out.push(rr.u32('id'));
          return out;
        };
        const uids = ids(r.bytes('uids'));
        const gids = ids(r.bytes('gids'));
        // The reply has a name for each id, or it is refused: a request of ~30,000 ids of 4-letter
        // names fills 256 KiB (the request itself may name 65,000). OpenSSH's sftp-server sends a
        // longer reply all the same, which its sftp then takes for a broken session; a FAILURE
        // tells the client to ask for fewer at a time.
        const room = Math.min(MAX_REPLY_MESSAGE, this.maxPacket) - 1 - 4 - 4 - 4;
        let used = 0;
        const names = async (list: readonly number[], format: (n: number) => MaybePromise<string>): Promise<Uint8Array> => {
          const w = new Writer(64);
          for (const n of list) {
            const before = w.length;
            w.utf8(await format(n));
            used += w.length - before;
            if (used > room) throw new SFTPFailure(`users-groups-by-id: the names of ${uids.length + gids.length} ids do not fit in a reply of ${room + 13} bytes; ask for fewer`);
          }
          return w.finish();
        };
        const users = await names(uids, (u) => s.formatUser(u));
        const groups = await names(gids, (g) => s.formatGroup(g));
        return this.reply({ kind: 'extended-reply', id, data: new Writer(64).bytes(users).bytes(groups).finish() });
      }
      case EXT.COPY_DATA:
        return this.copyData(id, r);
      default:
        throw new SFTPOpUnsupported(`unsupported extension ${request}`);
    }
  }

  private async copyData(id: number, r: Reader): Promise<void> {
    const src = this.file(r.bytes('read-from-handle'));
    const srcOffset = readU64(r, 'read-from-offset');
    const length = readU64(r, 'read-data-length');
    const dstHandle = r.bytes('write-to-handle');
    const dst = this.file(dstHandle);
    const dstOffset = readU64(r, 'write-to-offset');
    // Length 0 copies to the end of the source, so onto its own handle it always overlaps: at a later
    // offset it would read back what it had just written and never reach that end.
    if (src === dst && (length === 0 || (srcOffset < dstOffset + length && dstOffset < srcOffset + length))) {
      throw new SFTPFailure('copy-data ranges overlap');
    }
    // "To the end" is the end the source has now: a destination that is the same file through
    // another handle (or a hard link) would otherwise keep moving it away as the copy writes. A
    // length past that end stops there too, or such a copy would run for as long as it asked.
    const end = await this.sizeAfter(src, srcOffset);
    const total = length === 0 ? end : end === undefined ? length : Math.min(length, end);
    let done = 0;
    for (let chunks = 1; ; chunks++) {
      if (chunks % COPY_CHUNKS_PER_TURN === 0) await nextTurn();
      // Nobody is left to hear of it (a sparse source may be terabytes long).
      if (this.copiesStop) throw new SFTPFailure('copy-data abandoned: the connection is gone');
      const want = total === undefined ? this.maxIo : Math.min(this.maxIo, total - done);
      if (want <= 0) break;
      const data = await this.server.read(src, srcOffset + done, want);
      if (data.length === 0) break;
      await this.server.write(dst, dstOffset + done, data);
      done += data.length;
    }
    return this.status(id, FX.OK);
  }

  /**
   * Nobody may be left to hear of a copy-data: the session broke, or the input ended on a stream
   * that cannot tell a half-close from the end of the connection (no `outputClosed`).
   */
  private get copiesStop(): boolean {
    return this.ending || (this.inputEnded && this.stream?.outputClosed === undefined);
  }

  /** Bytes of `file` from `offset` to its current end, or undefined when its size is unknown. */
  private async sizeAfter(file: ServerFile, offset: number): Promise<number | undefined> {
    let size: number | undefined;
    try {
      size = (await this.server.fstat(file)).size;
    } catch {
      // A server without fstat: copy until a read comes back empty.
      return undefined;
    }
    return size === undefined ? undefined : Math.max(0, size - offset);
  }
}

/**
 * REALPATH's path with its v6 compose-paths: each is appended after a `/` to the path so far
 * without its trailing slashes, an absolute one starts over. Kept in pieces: trimming the whole
 * path so far at each of a packet's worth of parts flattened it each time, quadratic in its length.
 */
function composePath(path: string, compose: readonly string[]): string {
  const parts = [path];
  for (const p of compose) {
    if (p.startsWith('/')) {
      parts.length = 0;
      parts.push(p);
      continue;
    }
    // The trailing slashes may span several pieces (separators, parts of slashes only).
    for (;;) {
      const last = parts.length - 1;
      const trimmed = trimTrailingSlashes(parts[last] as string);
      if (trimmed !== '' || last === 0) {
        parts[last] = trimmed;
        break;
      }
      parts.pop();
    }
    parts.push('/', p);
  }
  return parts.join('');
}

async function closeIterator(it: AsyncIterator<SFTPName> | Iterator<SFTPName> | undefined): Promise<void> {
  try {
    await it?.return?.();
  } catch {
    // Nothing to report: the directory is being abandoned.
  }
}
