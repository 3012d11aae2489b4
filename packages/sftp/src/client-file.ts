/**
 * An open remote file: SFTPClientFile of the spec, with pipelined parallel reads.
 * filexfer-13 §8.2 (READ/WRITE), §8.6 (FSTAT/FSETSTAT), §8.2.3/§8.2.4 (BLOCK/UNBLOCK, v6).
 * @module
 */

import { Reader, Writer } from '@ssh/wire';
import { type SFTPAttrs, type SFTPVFSAttrs, decodeVFSAttrs } from './attrs.ts';
import { type ClientSession, decodeExtendedReply, expectAttrs, expectData, expectStatus } from './client-session.ts';
import { EXT } from './constants.ts';
import { SFTPBadMessage, SFTPOpUnsupported } from './errors.ts';
import { RequestWindow } from './request-window.ts';

/** What a file needs from the client that opened it. */
export interface FileContext {
  readonly session: ClientSession;
  readonly extensions: ReadonlyMap<string, Uint8Array>;
}

export interface FileIoOptions {
  /** Bytes per READ/WRITE request. */
  readonly blockSize: number;
  /** Requests in flight at once. */
  readonly maxRequests: number;
  /** Text encoding of read()/write(), or null for bytes. */
  readonly encoding: string | null;
  /** Open in append mode: writes without an offset go to the end. */
  readonly append: boolean;
}

/** One block read by readParallel: where it starts and its bytes. */
export interface ReadBlock {
  readonly offset: number;
  readonly data: Uint8Array;
}

/** Most READs a download holds back to send together once that many replies are in. */
const REFILL_BATCH = 4;

/**
 * Reads [offset, offset + size) with up to `maxRequests` READs in flight, yielding blocks as they
 * complete (out of order). `size` < 0 reads to the end of the file. Short reads are completed
 * with follow-up requests; an EOF status ends the range there.
 *
 * With `size` < 0, `expectedEnd` (the file's size from a stat) keeps the requests from running
 * far past the end: the range up to it is pipelined, and past it one request at a time looks for
 * more (the file grew, or the size was wrong), until that one finds the end. Without it, a small
 * file cost `maxRequests` READs, all but one answered with EOF.
 */
export async function* readRanges(session: ClientSession, handle: Uint8Array, offset: number, size: number, blockSize: number, maxRequests: number, expectedEnd?: number): AsyncGenerator<ReadBlock> {
  let end = size < 0 ? Number.MAX_SAFE_INTEGER : offset + size;
  // Requests stop here, except one probe at a time (none when the range has a size).
  let bound = size < 0 && expectedEnd !== undefined && expectedEnd >= 0 ? Math.max(offset, expectedEnd) : end;
  let next = offset;
  const retries: Array<[number, number]> = [];
  // Completed requests wait here in completion order; `wake` resumes the generator.
  const done: Array<{ start: number; len: number; probe: boolean; got?: { data: Uint8Array; eof: boolean } | undefined; error?: unknown }> = [];
  let wake: (() => void) | undefined;
  let inflight = 0;
  let probing = false;
  const issue = (start: number, len: number, probe: boolean): void => {
    inflight++;
    if (probe) probing = true;
    session.request({ kind: 'read', handle, offset: start, length: len }).then(
      (r) => {
        let got: { data: Uint8Array; eof: boolean } | undefined;
        try {
          got = expectData(r);
        } catch (error) {
          done.push({ start, len, probe, error });
          wake?.();
          return;
        }
        done.push({ start, len, probe, got });
        wake?.();
      },
      (error: unknown) => {
        done.push({ start, len, probe, error });
        wake?.();
      },
    );
  };
  let failure: unknown;
  // Where a reply said the file ends, and how far the data yielded reaches: data on both sides
  // of a reported end means the replies disagree, and a reader would be left with a hole.
  let endOfFile = Number.MAX_SAFE_INTEGER;
  let reached = offset;
  const disagree = (at: number, upTo: number): SFTPBadMessage => new SFTPBadMessage(`SFTP server reported the end of the file at ${at}, but sent data up to ${upTo}`);
  // Freed slots are refilled a few at a time, so their READs share one write to the socket: one
  // write per reply woke the peer for every block (half the client's socket writes on a download).
  const refillBelow = maxRequests - Math.max(1, Math.min(REFILL_BATCH, Math.floor(maxRequests / 8)));
  for (;;) {
    const refill = inflight <= refillBelow || retries.length > 0;
    while (refill && failure === undefined && inflight < maxRequests) {
      const retry = retries.pop();
      if (retry) {
        if (retry[0] < end) issue(retry[0], Math.min(retry[1], end - retry[0]), false);
        continue;
      }
      if (next >= end) break;
      if (next >= bound) {
        // Past the expected end: one probe at a time.
        if (probing) break;
        const len = Math.min(blockSize, end - next);
        issue(next, len, true);
        next += len;
        continue;
      }
      const len = Math.min(blockSize, bound - next);
      issue(next, len, false);
      next += len;
    }
    if (inflight === 0) break;
    if (done.length === 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    const item = done.shift();
    if (!item) continue;
    inflight--;
    if (item.probe) probing = false;
    if (item.error !== undefined) {
      // Let the other requests settle, then report the first failure.
      failure ??= item.error;
      continue;
    }
    if (failure !== undefined) continue;
    const got = item.got;
    if (!got || got.data.length === 0) {
      if (reached > item.start) failure = disagree(item.start, reached);
      endOfFile = Math.min(endOfFile, item.start);
      end = Math.min(end, item.start);
      continue;
    }
    if (item.start >= endOfFile) {
      failure = disagree(endOfFile, item.start + got.data.length);
      continue;
    }
    // A probe found data: the file is longer than expected, pipeline the rest as usual.
    if (item.probe) bound = end;
    // More than was asked for (a misbehaving server) would overlap other requests' blocks.
    let data = got.data.length > item.len ? got.data.subarray(0, item.len) : got.data;
    if (item.start + data.length > end) data = data.subarray(0, Math.max(0, end - item.start));
    if (data.length > 0) {
      reached = Math.max(reached, item.start + data.length);
      yield { offset: item.start, data };
    }
    if (got.eof) {
      const at = item.start + data.length;
      if (reached > at) failure = disagree(at, reached);
      endOfFile = Math.min(endOfFile, at);
      end = Math.min(end, at);
    }
    else if (data.length < item.len && item.start + data.length < end) retries.push([item.start + data.length, item.len - data.length]);
  }
  if (failure !== undefined) throw failure;
}

/** An open remote file. `T` is string for files opened in text mode, Uint8Array for binary ones. */
export class SFTPClientFile<T extends string | Uint8Array = Uint8Array> {
  private readonly ctx: FileContext;
  /** The server's handle. */
  readonly handle: Uint8Array;
  private readonly io: FileIoOptions;
  private pos = 0;
  private closed = false;
  private decoder: { decode(input: Uint8Array, options?: { stream?: boolean }): string } | undefined;

  /** @internal Use SFTPClient.open(). */
  constructor(ctx: FileContext, handle: Uint8Array, io: FileIoOptions) {
    this.ctx = ctx;
    this.handle = handle;
    this.io = io;
  }

  private get session(): ClientSession {
    return this.ctx.session;
  }

  /**
   * Reads `size` bytes (all that remain when negative) from `offset`, or from the current position
   * which then advances. Large reads go out as parallel requests. Returns less at end of file.
   */
  async read(size = -1, offset?: number): Promise<T> {
    const start = offset ?? this.pos;
    let total = size;
    if (total < 0) {
      const attrs = await this.stat();
      total = attrs.size !== undefined ? Math.max(0, attrs.size - start) : -1;
    }
    const chunks: ReadBlock[] = [];
    let got = 0;
    if (total !== 0) {
      for await (const block of readRanges(this.session, this.handle, start, total, this.io.blockSize, this.io.maxRequests)) {
        chunks.push(block);
        got += block.data.length;
      }
    }
    chunks.sort((a, b) => a.offset - b.offset);
    // Data is contiguous from `start` up to the first gap (EOF cuts the rest).
    let length = 0;
    for (const c of chunks) {
      if (c.offset !== start + length) break;
      length += c.data.length;
    }
    const out = new Uint8Array(length);
    for (const c of chunks) {
      if (c.offset - start < length) out.set(c.data.subarray(0, length - (c.offset - start)), c.offset - start);
      this.session.recycle(c.data);
    }
    void got;
    if (offset === undefined) this.pos = start + length;
    // Short of what was asked: end of file, so no multi-byte character can still be pending.
    return this.decode(out, size >= 0 && length === total && total > 0);
  }

  /** Yields the blocks of [offset, offset+size) as they arrive, out of order. */
  readParallel(size: number, offset: number): AsyncGenerator<ReadBlock> {
    return readRanges(this.session, this.handle, offset, size, this.io.blockSize, this.io.maxRequests);
  }

  /** Writes `data` at `offset` (or at the position, which advances); returns the bytes written. */
  async write(data: T, offset?: number): Promise<number> {
    const bytes: Uint8Array = typeof data === 'string' ? new TextEncoder().encode(data) : (data as Uint8Array);
    let start = offset ?? this.pos;
    if (offset === undefined && this.io.append) {
      const attrs = await this.stat();
      start = attrs.size ?? start;
    }
    const block = this.io.blockSize;
    const pending: Array<Promise<void>> = [];
    const window = new RequestWindow(block, this.io.maxRequests);
    let failure: unknown;
    for (let at = 0; at < bytes.length || (bytes.length === 0 && at === 0); at += block) {
      const sent = performance.now();
      const p = this.session
        .request({ kind: 'write', handle: this.handle, offset: start + at, data: bytes.subarray(at, at + block) })
        .then((r) => {
          const now = performance.now();
          window.sample(now - sent, now);
          expectStatus(r);
        })
        .catch((e: unknown) => {
          failure ??= e;
        });
      pending.push(p);
      if (pending.length >= window.size && at + block < bytes.length) window.limited();
      while (pending.length >= window.size) await pending.shift();
      await this.session.writable();
      if (failure !== undefined) break;
      if (bytes.length === 0) break;
    }
    await Promise.all(pending);
    if (failure !== undefined) throw failure;
    if (offset === undefined) this.pos = start + bytes.length;
    return bytes.length;
  }

  /** Moves the position: `whence` 0 from the start, 1 from the position, 2 from the end. */
  async seek(offset: number, whence: 0 | 1 | 2 = 0): Promise<number> {
    if (whence === 0) this.pos = offset;
    else if (whence === 1) this.pos += offset;
    else this.pos = ((await this.stat()).size ?? 0) + offset;
    if (this.pos < 0) this.pos = 0;
    return this.pos;
  }

  tell(): number {
    return this.pos;
  }

  async stat(flags?: number): Promise<SFTPAttrs> {
    return expectAttrs(await this.session.request(flags === undefined ? { kind: 'fstat', handle: this.handle } : { kind: 'fstat', handle: this.handle, flags }));
  }

  async setstat(attrs: SFTPAttrs): Promise<void> {
    expectStatus(await this.session.request({ kind: 'fsetstat', handle: this.handle, attrs }));
  }

  async statvfs(): Promise<SFTPVFSAttrs> {
    this.requireExt(EXT.FSTATVFS);
    const data = new Writer(64).bytes(this.handle).finish();
    const reply = await this.session.request({ kind: 'extended', request: EXT.FSTATVFS, data });
    return decodeExtendedReply(EXT.FSTATVFS, reply, (body) => decodeVFSAttrs(new Reader(body)));
  }

  /** Truncates (or extends) the file to `size` bytes (default: the current position). */
  async truncate(size?: number): Promise<void> {
    await this.setstat({ size: size ?? this.pos });
  }

  async chown(uid: number | string, gid: number | string): Promise<void> {
    await this.setstat(ownerAttrs(uid, gid));
  }

  async chmod(mode: number): Promise<void> {
    await this.setstat({ permissions: mode });
  }

  /** Sets access and modification times (seconds since the epoch; now when omitted). */
  async utime(times?: readonly [atime: number, mtime: number]): Promise<void> {
    await this.setstat(timeAttrs(times));
  }

  /**
   * Locks bytes [offset, offset + length) of the file (v6 BLOCK; length 0: to the end of the file).
   * `lockMask` holds FXF56.BLOCK_READ / BLOCK_WRITE / BLOCK_DELETE, and BLOCK_ADVISORY for a lock
   * that only other lockers respect. Fails with SFTPByteRangeLockConflict when another handle
   * holds a conflicting lock.
   */
  async lock(offset: number, length: number, lockMask: number): Promise<void> {
    this.requireV6('byte-range locks');
    expectStatus(await this.session.request({ kind: 'block', handle: this.handle, offset, length, lockMask }));
  }

  /** Releases the lock taken with this offset and length (v6 UNBLOCK); SFTPNoMatchingByteRangeLock if there is none. */
  async unlock(offset: number, length: number): Promise<void> {
    this.requireV6('byte-range locks');
    expectStatus(await this.session.request({ kind: 'unblock', handle: this.handle, offset, length }));
  }

  /** Flushes the file to stable storage (fsync@openssh.com). */
  async fsync(): Promise<void> {
    this.requireExt(EXT.FSYNC);
    const data = new Writer(64).bytes(this.handle).finish();
    expectStatus(await this.session.request({ kind: 'extended', request: EXT.FSYNC, data }));
  }

  /** Closes the handle. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    expectStatus(await this.session.request({ kind: 'close', handle: this.handle }));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private requireV6(what: string): void {
    if (this.session.version < 6) throw new SFTPOpUnsupported(`${what} need SFTP v6 (this session is v${this.session.version})`);
  }

  private requireExt(name: string): void {
    if (!this.ctx.extensions.has(name)) throw new SFTPOpUnsupported(`server does not support ${name}`);
  }

  private decode(bytes: Uint8Array, more: boolean): T {
    if (this.io.encoding === null) return bytes as T;
    this.decoder ??= new TextDecoder(this.io.encoding);
    return this.decoder.decode(bytes, { stream: more }) as T;
  }
}

/** Attributes for chown: numbers go in uid/gid (v3), names in owner/group (v4+). */
export function ownerAttrs(uid: number | string, gid: number | string): SFTPAttrs {
  const a: SFTPAttrs = {};
  if (typeof uid === 'number') a.uid = uid;
  else a.owner = uid;
  if (typeof gid === 'number') a.gid = gid;
  else a.group = gid;
  return a;
}

/** Attributes for utime: whole seconds plus nanoseconds. */
export function timeAttrs(times?: readonly [number, number]): SFTPAttrs {
  const now = Date.now() / 1000;
  const [atime, mtime] = times ?? [now, now];
  const split = (t: number): [number, number] => {
    const s = Math.floor(t);
    return [s, Math.round((t - s) * 1e9)];
  };
  const [as, ans] = split(atime);
  const [ms, mns] = split(mtime);
  return { atime: as, atimeNs: ans, mtime: ms, mtimeNs: mns };
}
