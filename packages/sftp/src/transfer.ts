/**
 * get/put/copy and their glob forms: pipelined transfers between a LocalFs and an SFTPClient.
 *
 * Downloads keep `maxRequests` READs in flight up to the file's stated size (one probe past it)
 * and write blocks locally as they complete (out of order, at their offsets); uploads keep as
 * many WRITEs in flight as the path needs, up to `maxRequests` (request-window.ts). Recursive
 * transfers move up to 16 small files at once, both ways and server to server. The client
 * distrusts the server: in a recursive download or remote copy a name with `/`, `.`/`..` or control characters is refused, a symlink is
 * made only when it points inside the download, and nothing is written through a local symlink.
 * @module
 */

import { type SFTPAttrs, type SFTPLimits, attrsType } from './attrs.ts';
import { BufferPool, globMatcher } from '@ssh/wire';
import { type SFTPClientFile, readRanges } from './client-file.ts';
import { type ClientSession, expectStatus } from './client-session.ts';
import { FILEXFER_TYPE, MAX_SFTP_REQUESTS, SFTP_BLOCK_SIZE } from './constants.ts';
import { SFTPFailure, SFTPInvalidFilename, SFTPNoSuchFile } from './errors.ts';
import { WRITE_HEADROOM } from './packets.ts';
import { RequestWindow } from './request-window.ts';
import { type LocalFile, type LocalFs } from './local-fs.ts';
import { basename, dirname, hasMagic, joinPath } from './paths.ts';

/** Where a transfer stands: called after each block with the bytes done and the total. */
export type ProgressHandler = (srcPath: string, dstPath: string, bytesCopied: number, totalBytes: number) => void;

export interface TransferOptions {
  /** Copy permissions and times too. */
  readonly preserve?: boolean;
  /** Copy directories and their contents. */
  readonly recurse?: boolean;
  /** Copy what symlinks point to rather than the links (default false: links are recreated). */
  readonly followSymlinks?: boolean;
  readonly blockSize?: number;
  readonly maxRequests?: number;
  readonly progressHandler?: ProgressHandler;
  /** Called for each failure instead of stopping the whole transfer. */
  readonly errorHandler?: (e: unknown) => void;
}

/** Bytes of READs or WRITEs kept in flight by default. */
const MAX_PIPELINE_BYTES = 16 * 1024 * 1024;

/**
 * Block size and pipeline depth for a transfer: the caller's choice or the largest block the
 * server's limits@openssh.com allow (up to 255 KiB, as OpenSSH's sftp), each within the server's
 * read or write length and packet size, with enough requests in flight to keep 16 MiB moving.
 * Limits of 0 mean the server stated none. Reads also stay within `receiveMax`, the largest
 * packet we accept: a DATA reply past it would end the session.
 */
export function fitTransfer(
  limits: SFTPLimits,
  blockSize: number | undefined,
  maxRequests: number | undefined,
  forWrite: boolean,
  receiveMax = 0,
): { blockSize: number; maxRequests: number } {
  const cap = forWrite ? limits.maxWriteLen : limits.maxReadLen;
  let block = blockSize ?? (cap > 0 ? Math.min(cap, 255 * 1024) : SFTP_BLOCK_SIZE);
  if (cap > 0) block = Math.min(block, cap);
  if (limits.maxPacketLen > 0) block = Math.min(block, limits.maxPacketLen - 1024);
  if (!forWrite && receiveMax > 0) block = Math.min(block, receiveMax - 1024);
  block = Math.max(1, block);
  const requests = maxRequests ?? Math.max(16, Math.min(MAX_SFTP_REQUESTS, Math.floor(MAX_PIPELINE_BYTES / block)));
  return { blockSize: block, maxRequests: Math.max(1, requests) };
}

/** What the transfers need from SFTPClient (kept structural to avoid an import cycle). */
export interface TransferClient {
  readonly supportsRemoteCopy: boolean;
  transferParams(blockSize?: number, maxRequests?: number, forWrite?: boolean): { blockSize: number; maxRequests: number };
  composePath(path: string): string;
  stat(path: string): Promise<SFTPAttrs>;
  lstat(path: string): Promise<SFTPAttrs>;
  setstat(path: string, attrs: SFTPAttrs): Promise<void>;
  readlink(path: string): Promise<string>;
  symlink(target: string, linkPath: string): Promise<void>;
  mkdir(path: string, attrs?: SFTPAttrs): Promise<void>;
  readdir(path: string): Promise<Array<{ filename: string; attrs: SFTPAttrs }>>;
  scandir(path: string): AsyncIterable<{ filename: string; attrs: SFTPAttrs }>;
  glob(patterns: string | readonly string[]): Promise<string[]>;
  isdir(path: string): Promise<boolean>;
  realpath(path: string): Promise<string>;
  open(path: string, mode: `${string}b${string}`, options?: { blockSize?: number; maxRequests?: number }): Promise<SFTPClientFile<Uint8Array>>;
  remoteCopy(src: SFTPClientFile<Uint8Array>, dst: SFTPClientFile<Uint8Array>, srcOffset?: number, length?: number, dstOffset?: number): Promise<void>;
  fileContext(): { session: ClientSession };
}

/** A name sent by the server that is safe to use as one local path component. */
export function checkRemoteName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new SFTPInvalidFilename(`refusing unsafe remote file name ${JSON.stringify(name)}`);
  }
}

/**
 * A symlink target from the server, for a link `dirDepth` directories below the top of a
 * recursive download, that resolves inside it: relative, climbing with leading `..` at most to
 * the top (through directories the download made, never links), with no `..` after a name (a
 * name may be a link the download made, which would make the climb start elsewhere).
 */
function checkLinkTarget(target: string, dirDepth: number): void {
  const parts = target.split('/').filter((p) => p !== '' && p !== '.');
  let up = 0;
  while (up < parts.length && parts[up] === '..') up++;
  if (target === '' || target.startsWith('/') || target.includes('\\') || target.includes('\0') || up > dirDepth || parts.indexOf('..', up) >= 0) {
    throw new SFTPInvalidFilename(`refusing symlink to ${JSON.stringify(target)}: it points out of the download`);
  }
}

/**
 * What `preserve` copies: permissions and times. `local`: for a download, whose mode comes from
 * the server: the setuid, setgid and sticky bits are dropped, as OpenSSH's sftp does (it keeps
 * 0777), so that a server cannot plant a set-user-ID program on the client (one that root
 * downloads with preserve would run as root).
 */
function preserveAttrs(a: SFTPAttrs, local = false): SFTPAttrs {
  const out: SFTPAttrs = {};
  if (a.permissions !== undefined) out.permissions = a.permissions & (local ? 0o777 : 0o7777);
  if (a.atime !== undefined && a.mtime !== undefined) {
    out.atime = a.atime;
    out.mtime = a.mtime;
    if (a.atimeNs !== undefined) out.atimeNs = a.atimeNs;
    if (a.mtimeNs !== undefined) out.mtimeNs = a.mtimeNs;
  }
  return out;
}

/** Files a recursive transfer moves at once (each file's own requests stay pipelined as well). */
const PARALLEL_FILES = 16;

/**
 * Deepest directory a recursive download, upload or remote copy enters, the top being level 0:
 * OpenSSH's sftp refuses the same ("Maximum directory depth exceeded: 64 levels"). A download or
 * copy keeps one listing open per level, each holding a READDIR reply, so this bounds what a
 * server whose directories list themselves without end (or contain themselves) can make it hold;
 * past it the download or copy stops with SFTPFailure, error handler or not.
 */
export const MAX_TREE_DEPTH = 64;

/**
 * Slots shared by the files of one recursive transfer: a small file takes one, a file of more
 * than one block takes them all (so big files go one at a time, each with its full pipeline).
 * Waiters are served in order. Once `failure` is set (no error handler), no new file starts.
 */
class FileSlots {
  private free = PARALLEL_FILES;
  private readonly waiters: Array<{ n: number; go: () => void }> = [];
  /** Set without an error handler by the first failure; with one, only by a failure that ends the whole transfer. */
  failure: unknown;

  async run<T>(weight: number, body: () => Promise<T>): Promise<T> {
    const n = Math.min(Math.max(1, weight), PARALLEL_FILES);
    if (this.waiters.length > 0 || this.free < n) await new Promise<void>((go) => this.waiters.push({ n, go }));
    else this.free -= n;
    try {
      if (this.failure !== undefined) throw this.failure;
      return await body();
    } finally {
      this.free += n;
      for (let w = this.waiters[0]; w && this.free >= w.n; w = this.waiters[0]) {
        this.waiters.shift();
        this.free -= w.n;
        w.go();
      }
    }
  }
}

/**
 * Most entries of one recursive transfer read from their listings (LocalFs.scandir for an upload,
 * READDIR batch by batch for a download or remote copy) and not yet known to be directories or done: a listing is
 * read only so far ahead of the files it sends, so that a directory of millions of entries never
 * has its whole listing in memory. Four times the files that move at once keeps enough of them
 * stated and waiting for a slot that none is left idle.
 */
export const TREE_LOOKAHEAD = 4 * PARALLEL_FILES;

/**
 * The lookahead of one recursive transfer: an entry takes a unit before its name is read and
 * gives it back once it is done or found to be a directory. Units are thus held only by entries
 * that end without waiting for anything but the file slots, and a walk waiting for one always
 * gets it.
 */
class Lookahead {
  private held = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  async take(): Promise<void> {
    while (this.held >= this.max) await new Promise<void>((wake) => this.waiters.push(wake));
    this.held++;
  }

  give(): void {
    this.held--;
    this.waiters.shift()?.();
  }
}

/** What an entry of a walk (eachStreamed) tells the walk once it knows what it is. */
interface WalkEntry {
  /** Not a directory: the walk need not wait for it to read on. */
  leaf(): void;
  /**
   * A directory: resolves when it may open its listing, its turn among the directories of the
   * walk (one at a time, and the walk reads no further meanwhile). Rejects with the transfer's
   * failure if it stopped meanwhile.
   */
  directory(): Promise<void>;
  /** The directory's own listing was read to its end and only its files are left: the walk goes on. */
  listed(): void;
}

/** The state of one recursive transfer: its file slots and how far its listings are read ahead. */
interface Tree {
  readonly slots: FileSlots;
  readonly ahead: Lookahead;
}

function newTree(): Tree {
  return { slots: new FileSlots(), ahead: new Lookahead(TREE_LOOKAHEAD) };
}

/**
 * Rethrows `e` with the source and destination of the file it concerns as `srcPath` and
 * `dstPath`, as AsyncSSH's srcpath/dstpath: in a tree, those of the file that failed (set once,
 * where it failed; the directories above leave them), so an error handler can say which file.
 */
export function notePaths(e: unknown, src: string, dst: string): never {
  if (typeof e === 'object' && e !== null && !Object.hasOwn(e, 'srcPath') && Object.isExtensible(e)) Object.assign(e, { srcPath: src, dstPath: dst });
  throw e;
}

/**
 * Runs `fn` on names read as they are needed (a LocalFs.scandir, a remote listing, or a listing
 * in an array), sending failures to the error handler; without one, the first failure stops the
 * reading and is thrown once the started entries settled, as is a failure of the listing itself.
 *
 * An entry starts once a unit of the lookahead is free, so files move side by side, up to the
 * file slots. Its directories are walked one at a time, depth first, as OpenSSH's sftp walks a
 * tree, and the walk reads no further while one of them is (or waits to be): one listing is open
 * per level of the tree (with a batch of its entries), and the names ahead of the files are at
 * most the lookahead and the directories found before the walk paused. A directory's turn ends as
 * soon as its listing is read and only its files are left (`listed`), so that the next one's
 * files start while the last of those finish. `listed`, given, is called once this walk reached
 * that point itself.
 */
async function eachStreamed(
  names: AsyncIterable<string> | Iterable<string>,
  options: TransferOptions,
  tree: Tree,
  fn: (item: string, entry: WalkEntry) => Promise<void>,
  listed?: () => void,
): Promise<void> {
  const { slots, ahead } = tree;
  let first: unknown;
  const started = new Set<Promise<void>>();
  // Entries started and not yet known to be directories or not; directories found and not yet
  // listed, whether one has its turn, and those waiting for theirs.
  let unknown = 0;
  let dirs = 0;
  let turnTaken = false;
  const turns: Array<() => void> = [];
  let reading = true;
  let wakeReader: (() => void) | undefined;
  const changed = (): void => {
    const wake = wakeReader;
    wakeReader = undefined;
    wake?.();
    if (!reading && unknown === 0 && dirs === 0 && listed) {
      // In a later microtask: the walks above would otherwise go on from here, one stack frame
      // deeper per level.
      const done = listed;
      listed = undefined;
      void Promise.resolve().then(done);
    }
  };
  const one = async (item: string): Promise<void> => {
    let state: 'unknown' | 'leaf' | 'waiting' | 'turn' | 'listed' = 'unknown';
    let unit = true;
    const letGo = (): void => {
      if (!unit) return;
      unit = false;
      ahead.give();
    };
    const endTurn = (): void => {
      if (state !== 'turn') return;
      state = 'listed';
      dirs--;
      turnTaken = false;
      const next = turns.shift();
      if (next) {
        turnTaken = true;
        next();
      }
      changed();
    };
    const entry: WalkEntry = {
      leaf: () => {
        if (state !== 'unknown') return;
        state = 'leaf';
        unknown--;
        changed();
      },
      directory: async () => {
        if (state !== 'unknown') return;
        state = 'waiting';
        unknown--;
        dirs++;
        letGo();
        if (turnTaken) await new Promise<void>((go) => turns.push(go));
        turnTaken = true;
        state = 'turn';
        if (slots.failure !== undefined) throw slots.failure;
      },
      listed: endTurn,
    };
    try {
      if (slots.failure !== undefined) throw slots.failure;
      await fn(item, entry);
    } catch (e) {
      if (options.errorHandler && e !== slots.failure) options.errorHandler(e);
      else {
        slots.failure ??= e;
        first ??= e;
      }
    } finally {
      if (state === 'unknown') unknown--;
      endTurn();
      letGo();
      changed();
    }
  };
  const iterator = Symbol.asyncIterator in names ? names[Symbol.asyncIterator]() : names[Symbol.iterator]();
  try {
    for (;;) {
      if (slots.failure !== undefined) {
        // Another file failed (no error handler): the entries left are not read.
        first ??= slots.failure;
        break;
      }
      if (dirs > 0) {
        await new Promise<void>((wake) => (wakeReader = wake));
        continue;
      }
      await ahead.take();
      if (dirs > 0) {
        // A directory was found while the walk waited: its turn comes first.
        ahead.give();
        continue;
      }
      let next: IteratorResult<string>;
      try {
        next = await iterator.next();
      } catch (e) {
        ahead.give();
        throw e;
      }
      if (next.done) {
        ahead.give();
        break;
      }
      unknown++;
      const p = one(next.value).finally(() => started.delete(p));
      started.add(p);
    }
  } finally {
    // Closes the listing (a directory handle is let go) before the walk above goes on.
    await Promise.resolve(iterator.return?.()).catch(() => undefined);
    reading = false;
    changed();
    await Promise.all(started);
  }
  if (first !== undefined) throw first;
}

/** Runs `fn` on each item in turn; failures go to the error handler, except `fatal`'s (thrown). */
async function each(items: readonly string[], options: TransferOptions, fn: (item: string) => Promise<void>, fatal?: { failure: unknown }): Promise<void> {
  for (const item of items) {
    try {
      await fn(item);
    } catch (e) {
      if (options.errorHandler && (fatal?.failure === undefined || e !== fatal.failure)) options.errorHandler(e);
      else throw e;
    }
  }
}

// ----- download

export async function getFiles(
  client: TransferClient,
  local: LocalFs,
  remotePaths: string | readonly string[],
  localPath: string | undefined,
  options: TransferOptions,
  glob: boolean,
  maxDepth = MAX_TREE_DEPTH,
): Promise<void> {
  const list = typeof remotePaths === 'string' ? [remotePaths] : [...remotePaths];
  const sources = glob ? await client.glob(list) : list;
  const dst = localPath ?? '.';
  const dstIsDir = await local.stat(dst).then(
    (a) => attrsType(a) === FILEXFER_TYPE.DIRECTORY,
    () => false,
  );
  if (sources.length > 1 && !dstIsDir) throw new SFTPFailure(`${dst} must be a directory to receive several files`);
  // Two sources of one name would land on one local path, the second through what the first
  // made there: a symlink the server pointed anywhere. The second is refused.
  const names = new Set<string>();
  await each(sources, options, async (src) => {
    let target = dst;
    if (dstIsDir) {
      const name = basename(src);
      if (names.has(name)) throw new SFTPInvalidFilename(`${src}: another source has the name ${JSON.stringify(name)}`);
      names.add(name);
      target = local.join(dst, name);
    }
    await getOne(client, local, src, target, options, { ...newTree(), maxDepth }, 0);
  });
}

/** The state of one recursive download: a Tree, and the deepest level it enters (MAX_TREE_DEPTH). */
interface DownloadTree extends Tree {
  readonly maxDepth: number;
}

/**
 * Downloads `src` to `dst`, `depth` levels below the top. Inside a directory (`walk` given) the
 * entries are downloaded side by side as the listing arrives (eachStreamed), up to
 * PARALLEL_FILES small files at once, as uploads are: a tree of small files is bound by round
 * trips (lstat, open, read, close per file), not by bytes.
 */
/** getOneBody, a failure noting the file it concerns (notePaths). */
function getOne(client: TransferClient, local: LocalFs, src: string, dst: string, options: TransferOptions, tree: DownloadTree, depth: number, walk?: WalkEntry): Promise<void> {
  return getOneBody(client, local, src, dst, options, tree, depth, walk).catch((e: unknown) => notePaths(e, src, dst));
}

/** The names of a remote listing as they arrive, without `.` and `..`: all a download keeps of an entry until it is stated. */
async function* remoteNames(client: TransferClient, path: string): AsyncGenerator<string> {
  for await (const entry of client.scandir(path)) if (entry.filename !== '.' && entry.filename !== '..') yield entry.filename;
}

async function getOneBody(client: TransferClient, local: LocalFs, src: string, dst: string, options: TransferOptions, tree: DownloadTree, depth: number, walk?: WalkEntry): Promise<void> {
  const nested = walk !== undefined;
  const slots = nested ? tree.slots : undefined;
  const look = (): Promise<SFTPAttrs> => (options.followSymlinks ? client.stat(src) : client.lstat(src));
  // In a tree, the stat takes a slot too: a directory of 10,000 entries asks 16 at a time.
  const attrs = slots ? await slots.run(1, look) : await look();
  const type = attrsType(attrs);
  if (type !== FILEXFER_TYPE.DIRECTORY) walk?.leaf();
  if (nested) {
    // Inside a recursive download nothing may be written through an existing local symlink.
    const existing = await local.lstat(dst).catch(() => undefined);
    if (existing && attrsType(existing) === FILEXFER_TYPE.SYMLINK) throw new SFTPFailure(`refusing to write through local symlink ${dst}`);
  }
  if (type === FILEXFER_TYPE.DIRECTORY) {
    if (!options.recurse) throw new SFTPFailure(`${src} is a directory`);
    if (depth >= tree.maxDepth) {
      tree.slots.failure ??= new SFTPFailure(`${src}: maximum directory depth exceeded: ${tree.maxDepth} levels (a directory that contains itself?)`);
      throw tree.slots.failure;
    }
    await walk?.directory();
    await local.mkdir(dst);
    const made = await local.lstat(dst);
    if (attrsType(made) !== FILEXFER_TYPE.DIRECTORY) throw new SFTPFailure(`${dst} is not a directory`);
    // Each name is checked as it arrives, before its entry is downloaded: a bad one is refused
    // (to the error handler, or ending the download without one) while the entries listed
    // before it may already be downloaded. A name listed again while its first entry is still
    // downloading is refused too (they would race for one local path); one listed again later
    // finds what the first made, and is refused if that is a symlink (above).
    const inFlight = new Set<string>();
    await eachStreamed(
      remoteNames(client, src),
      options,
      tree,
      async (name, entry) => {
        checkRemoteName(name);
        if (inFlight.has(name)) throw new SFTPInvalidFilename(`duplicate remote name ${JSON.stringify(name)}`);
        inFlight.add(name);
        try {
          await getOne(client, local, joinPath(src, name), local.join(dst, name), options, tree, depth + 1, entry);
        } finally {
          inFlight.delete(name);
        }
      },
      walk?.listed,
    );
  } else if (type === FILEXFER_TYPE.SYMLINK) {
    const target = await client.readlink(src);
    // Inside a tree, a link is made only when it points inside the tree.
    if (nested) checkLinkTarget(target, depth - 1);
    await (slots ? slots.run(1, () => local.symlink(target, dst)) : local.symlink(target, dst));
    return;
  } else {
    const download = async (): Promise<void> => {
      await downloadFile(client, local, src, dst, attrs.size, options);
      if (options.preserve) await local.setstat(dst, preserveAttrs(attrs, true));
    };
    if (!slots) return download();
    const { blockSize } = client.transferParams(options.blockSize, options.maxRequests);
    return slots.run(attrs.size !== undefined && attrs.size <= blockSize ? 1 : PARALLEL_FILES, download);
  }
  if (options.preserve) await local.setstat(dst, preserveAttrs(attrs, true));
}

/** Most bytes a download gathers into one local writev. */
const LOCAL_WRITE_RUN = 1024 * 1024;

async function writeEach(out: LocalFile, parts: readonly Uint8Array[], offset: number): Promise<void> {
  for (const part of parts) {
    await out.write(part, offset);
    offset += part.length;
  }
}

async function downloadFile(client: TransferClient, local: LocalFs, src: string, dst: string, size: number | undefined, options: TransferOptions): Promise<void> {
  const { blockSize, maxRequests } = client.transferParams(options.blockSize, options.maxRequests);
  const remote = await client.open(src, 'rb', { blockSize, maxRequests });
  try {
    const out = await local.open(dst, 'w');
    try {
      let done = 0;
      const total = size ?? 0;
      const writes: Array<Promise<void>> = [];
      const session = client.fileContext().session;
      // Blocks that follow each other go to the file in one writev (replies mostly arrive in
      // order): a local write per block cost more in thread pool round trips than in copying.
      let run: { offset: number; parts: Uint8Array[]; bytes: number } | undefined;
      const writeRun = (): void => {
        if (!run) return;
        const { offset, parts } = run;
        run = undefined;
        const written = parts.length > 1 && out.writev ? out.writev(parts, offset) : writeEach(out, parts, offset);
        // Once written, the blocks' buffers take the next replies.
        writes.push(written.then(() => parts.forEach((part) => session.recycle(part))));
      };
      for await (const block of readRanges(session, remote.handle, 0, -1, blockSize, maxRequests, size)) {
        const { data, offset } = block;
        if (run && out.writev && offset === run.offset + run.bytes && run.bytes + data.length <= LOCAL_WRITE_RUN) {
          run.parts.push(data);
          run.bytes += data.length;
        } else {
          writeRun();
          run = { offset, parts: [data], bytes: data.length };
        }
        if (run.bytes >= LOCAL_WRITE_RUN) writeRun();
        if (writes.length >= 8) await writes.shift();
        done += data.length;
        options.progressHandler?.(src, dst, done, Math.max(total, done));
      }
      writeRun();
      await Promise.all(writes);
    } finally {
      await out.close();
    }
  } finally {
    await remote.close().catch(() => undefined);
  }
}

// ----- upload

export async function putFiles(client: TransferClient, local: LocalFs, localPaths: string | readonly string[], remotePath: string | undefined, options: TransferOptions, glob: boolean): Promise<void> {
  const patterns = typeof localPaths === 'string' ? [localPaths] : [...localPaths];
  const list = glob ? await localGlob(local, patterns) : patterns;
  const dst = remotePath ?? '.';
  const dstIsDir = await client.isdir(dst);
  if (list.length > 1 && !dstIsDir) throw new SFTPFailure(`${dst} must be a directory to receive several files`);
  await each(list, options, async (src) => {
    const target = dstIsDir ? joinPath(dst, local.basename(src)) : dst;
    await putOne(client, local, src, target, options);
  });
}

/**
 * Uploads `src` to `dst`. Inside a directory (`slots` given) the entries are uploaded side by
 * side, up to PARALLEL_FILES small files at once: a tree of small files is bound by round trips
 * (open, write, close per file), not by bytes.
 */
/** putOneBody, a failure noting the file it concerns (notePaths). */
function putOne(client: TransferClient, local: LocalFs, src: string, dst: string, options: TransferOptions, depth = 0, tree?: Tree, walk?: WalkEntry): Promise<void> {
  return putOneBody(client, local, src, dst, options, depth, tree, walk).catch((e: unknown) => notePaths(e, src, dst));
}

/**
 * Uploads `src` to `dst`, `depth` levels below the top. A directory deeper than MAX_TREE_DEPTH
 * stops the upload, error handler or not, as OpenSSH's sftp stops `put -r` there: with
 * followSymlinks, a local link to a directory above it makes a tree without end.
 */
async function putOneBody(client: TransferClient, local: LocalFs, src: string, dst: string, options: TransferOptions, depth: number, tree?: Tree, walk?: WalkEntry): Promise<void> {
  const slots = tree?.slots;
  const attrs = options.followSymlinks ? await local.stat(src) : await local.lstat(src);
  const type = attrsType(attrs);
  if (type !== FILEXFER_TYPE.DIRECTORY) walk?.leaf();
  if (type === FILEXFER_TYPE.DIRECTORY) {
    if (!options.recurse) throw new SFTPFailure(`${src} is a directory`);
    if (depth >= MAX_TREE_DEPTH) {
      const failure = new SFTPFailure(`${src}: maximum directory depth exceeded: ${MAX_TREE_DEPTH} levels (a link to a directory above it?)`);
      if (slots) slots.failure ??= failure;
      throw slots?.failure ?? failure;
    }
    await walk?.directory();
    if (!(await client.isdir(dst))) await client.mkdir(dst);
    // A batch at a time, in the order the file system lists them: OpenSSH's sftp put -r sends in
    // readdir order, AsyncSSH 2.10 in os.listdir's; neither sorts.
    const names = local.scandir ? local.scandir(src) : await local.readdir(src);
    const shared = tree ?? newTree();
    await eachStreamed(names, options, shared, (name, entry) => putOne(client, local, local.join(src, name), joinPath(dst, name), options, depth + 1, shared, entry), walk?.listed);
  } else if (type === FILEXFER_TYPE.SYMLINK) {
    const target = await local.readlink(src);
    await (slots ? slots.run(1, () => client.symlink(target, dst)) : client.symlink(target, dst));
    return;
  } else {
    const size = attrs.size ?? 0;
    const upload = async (): Promise<void> => {
      await uploadFile(client, local, src, dst, size, options);
      if (options.preserve) await client.setstat(dst, preserveAttrs(attrs));
    };
    if (!slots) return upload();
    const { blockSize } = client.transferParams(options.blockSize, options.maxRequests, true);
    return slots.run(size <= blockSize ? 1 : PARALLEL_FILES, upload);
  }
  if (options.preserve) await client.setstat(dst, preserveAttrs(attrs));
}

async function uploadFile(client: TransferClient, local: LocalFs, src: string, dst: string, size: number, options: TransferOptions): Promise<void> {
  const { blockSize, maxRequests } = client.transferParams(options.blockSize, options.maxRequests, true);
  const input = await local.open(src, 'r');
  try {
    const remote = await client.open(dst, 'wb', { blockSize, maxRequests });
    try {
      let pos = 0;
      const readInto = input.readInto?.bind(input);
      const readvInto = input.readvInto?.bind(input);
      // Whole blocks are read into packets reused once their WRITE is answered (the server has
      // then received every byte of it).
      const packets = new BufferPool(WRITE_HEADROOM + blockSize, WRITE_HEADROOM + blockSize, maxRequests);
      // Blocks read ahead by one readv: a call to the thread pool per READ_RUN bytes, not per block.
      const run = readvInto === undefined ? 1 : Math.max(1, Math.min(maxRequests, MAX_RUN_BLOCKS, Math.floor(READ_RUN / blockSize)));
      const queued: Block[] = [];
      const readRun = async (read: NonNullable<typeof readvInto>, blocks: number): Promise<void> => {
        const views: Uint8Array[] = [];
        for (let i = 0; i < blocks; i++) {
          const want = Math.min(blockSize, size - pos - i * blockSize);
          views.push(packets.take(WRITE_HEADROOM + want).subarray(WRITE_HEADROOM));
        }
        let n = await read(views, pos);
        for (const view of views) {
          const got = Math.min(view.length, n);
          n -= got;
          if (got === 0) packets.give(view);
          else {
            queued.push({ offset: pos, data: view.subarray(0, got), headroom: true });
            pos += got;
          }
        }
      };
      const next = async (): Promise<Block | undefined> => {
        if (queued.length > 0) return queued.shift();
        const blocks = pos < size ? Math.min(run, Math.ceil((size - pos) / blockSize)) : 0;
        if (readvInto !== undefined && blocks > 1) {
          await readRun(readvInto, blocks);
          return queued.shift();
        }
        let data: Uint8Array;
        // A block, or what the file's size says is left (a small file gets a small buffer); past
        // that size, a small read that finds the end (or that the file grew).
        const want = pos < size ? Math.min(blockSize, size - pos) : Math.min(blockSize, END_PROBE);
        if (readInto) {
          // Read the block into its WRITE packet, leaving room for the header: no copy to send it.
          const packet = packets.take(WRITE_HEADROOM + want);
          const n = await readInto(packet.subarray(WRITE_HEADROOM), pos);
          data = packet.subarray(WRITE_HEADROOM, WRITE_HEADROOM + n);
        } else {
          data = await input.read(pos, want);
        }
        if (data.length === 0) return undefined;
        const offset = pos;
        pos += data.length;
        return { offset, data, headroom: readInto !== undefined };
      };
      await pipelineWrites(client, remote, next, src, dst, size, blockSize, maxRequests, options.progressHandler, (block) => packets.give(block.data));
    } finally {
      await remote.close();
    }
  } finally {
    await input.close();
  }
}

/** Bytes read past a file's expected size to find its end. */
const END_PROBE = 4096;
/** Bytes an upload reads from its local file per call, in blocks, when the file can readv. */
const READ_RUN = 1024 * 1024;
const MAX_RUN_BLOCKS = 16;

interface Block {
  readonly offset: number;
  readonly data: Uint8Array;
  /** The bytes before `data` in its buffer are free for the WRITE header. */
  readonly headroom?: boolean;
}

/**
 * Takes blocks from `source` until it returns none, writing each at its offset with as many
 * WRITEs in flight as the path needs (a RequestWindow, never more than maxRequests). `answered`
 * gets each block once the server replied to its WRITE.
 */
async function pipelineWrites(
  client: TransferClient,
  remote: SFTPClientFile<Uint8Array>,
  source: () => Promise<Block | undefined>,
  src: string,
  dst: string,
  total: number,
  blockSize: number,
  maxRequests: number,
  progress: ProgressHandler | undefined,
  answered?: (block: Block) => void,
): Promise<void> {
  const session = client.fileContext().session;
  // WRITEs in flight, and the loop waiting for one of them to be answered (one waiter, not a
  // Promise.race over every pending WRITE per block).
  let inflight = 0;
  let wake: (() => void) | undefined;
  let failure: unknown;
  let done = 0;
  const settled = (): void => {
    inflight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const slot = (limit: number): Promise<void> | undefined => (inflight > limit ? new Promise<void>((resolve) => (wake = resolve)) : undefined);
  const window = new RequestWindow(blockSize, maxRequests);
  // While the window is full the next block is read, so that a free slot is filled at once.
  let ahead: Promise<Block | undefined> | undefined;
  for (;;) {
    if (failure !== undefined) break;
    const block = await (ahead ?? source());
    ahead = undefined;
    if (!block) break;
    const { offset, data } = block;
    inflight++;
    const sent = performance.now();
    session.request({ kind: 'write', handle: remote.handle, offset, data, headroom: block.headroom === true }).then(
      (r) => {
        const now = performance.now();
        window.sample(now - sent, now);
        answered?.(block);
        try {
          expectStatus(r);
          done += data.length;
          progress?.(src, dst, done, Math.max(total, done));
        } catch (e) {
          failure ??= e;
        }
        settled();
      },
      (e: unknown) => {
        failure ??= e;
        settled();
      },
    );
    await session.writable();
    if (inflight < window.size) continue;
    window.limited();
    ahead = source();
    // A read that fails is reported when its block is taken; one left behind is only waited for.
    ahead.catch(() => undefined);
    while (inflight >= window.size) await slot(inflight - 1);
  }
  while (inflight > 0) await slot(0);
  if (ahead) await ahead.catch(() => undefined);
  if (failure !== undefined) throw failure;
}

/**
 * Expands glob patterns against the local file system (`*`, `?`, `[...]` per component), each
 * pattern's matches sorted. A directory is read a batch at a time when the LocalFs has `scandir`,
 * only its matches kept. Past `maxMatches` paths (all patterns together, counted at each
 * component, as they are read) it throws SFTPFailure.
 * A leading dot is not special (AsyncSSH's mput), unless `shell`: then, as a shell's glob, a
 * wildcard component takes a hidden name only when it starts with a dot itself.
 */
export async function localGlob(local: LocalFs, patterns: readonly string[], maxMatches = Number.POSITIVE_INFINITY, shell = false): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of patterns) {
    const abs = pattern.startsWith('/');
    let current = [abs ? '/' : ''];
    const parts = pattern.split('/').filter((p) => p !== '');
    for (const part of parts) {
      const next: string[] = [];
      for (const base of current) {
        if (!hasMagic(part)) {
          const candidate = base === '' ? part : local.join(base, part);
          if (await local.lstat(candidate).then(() => true, () => false)) next.push(candidate);
          continue;
        }
        const dir = base === '' ? '.' : base;
        const matches = globMatcher(part);
        const hiddenToo = !shell || part.startsWith('.');
        // Only the matches are kept, as the listing is read (a batch at a time with scandir).
        const found: string[] = [];
        let over = false;
        try {
          for await (const name of local.scandir ? local.scandir(dir) : await local.readdir(dir)) {
            if (name === '.' || name === '..' || (!hiddenToo && name.startsWith('.')) || !matches(name)) continue;
            found.push(base === '' ? name : local.join(base, name));
            // Links back up the tree make `*/*/...` grow as a power of its depth: stop before that.
            if (out.length + next.length + found.length > maxMatches) {
              over = true;
              break;
            }
          }
        } catch {
          // A directory that cannot be listed, even partway, matches nothing.
          continue;
        }
        if (over) throw new SFTPFailure(`${pattern}: more than ${maxMatches} matches`);
        for (const m of found) next.push(m);
      }
      current = next;
    }
    const matches = current.filter((m) => m !== '' && m !== '/').sort();
    if (matches.length === 0) throw new SFTPNoSuchFile(`no local matches for ${pattern}`);
    // One by one: a spread call of more than ~120k arguments overflows the stack.
    for (const m of matches) out.push(m);
  }
  return out;
}

// ----- remote copy

export async function copyFiles(
  client: TransferClient,
  srcPaths: string | readonly string[],
  dstPath: string | undefined,
  options: TransferOptions & { remoteOnly?: boolean },
  glob: boolean,
  maxDepth = MAX_TREE_DEPTH,
): Promise<void> {
  const list = typeof srcPaths === 'string' ? [srcPaths] : [...srcPaths];
  const sources = glob ? await client.glob(list) : list;
  const dst = dstPath ?? '.';
  const dstIsDir = await client.isdir(dst);
  if (sources.length > 1 && !dstIsDir) throw new SFTPFailure(`${dst} must be a directory to receive several files`);
  // One tree for all sources (they go one after the other): its failure at the depth bound ends
  // the copy, error handler or not.
  const tree: DownloadTree = { ...newTree(), maxDepth };
  await each(sources, options, (src) => copyOne(client, src, dstIsDir ? joinPath(dst, basename(src)) : dst, options, tree, 0), tree.slots);
}

/**
 * Refuses to copy directory `src` to `dst` inside it, as cp does: the copy would list what it
 * writes and go down to the depth bound, leaving that many levels of copies behind. Compared as
 * the server resolves them (`dst` may not exist yet: its parent then). When the server cannot
 * resolve a path the check is skipped: the copy itself reports what is wrong with it.
 */
async function refuseCopyIntoItself(client: TransferClient, src: string, dst: string): Promise<void> {
  const resolveDst = async (): Promise<string> => ((await client.isdir(dst)) ? client.realpath(dst) : joinPath(await client.realpath(dirname(dst) || '.'), basename(dst)));
  const resolved = await Promise.all([client.realpath(src), resolveDst()]).catch(() => undefined);
  if (resolved === undefined) return;
  const [from, to] = resolved;
  if (to === from || to.startsWith(from.endsWith('/') ? from : `${from}/`)) throw new SFTPFailure(`cannot copy directory ${src} into itself (${dst})`);
}

/** copyOneBody, a failure noting the file it concerns (notePaths). */
function copyOne(client: TransferClient, src: string, dst: string, options: TransferOptions & { remoteOnly?: boolean }, tree: DownloadTree, depth: number, walk?: WalkEntry): Promise<void> {
  return copyOneBody(client, src, dst, options, tree, depth, walk).catch((e: unknown) => notePaths(e, src, dst));
}

/**
 * Copies `src` to `dst` on the server, `depth` levels below the top. A directory is walked as a
 * download walks it (eachStreamed over its listing as READDIR replies arrive, files side by side
 * in the file slots, names checked as they arrive), so a directory of any size is copied in
 * bounded memory; a tree deeper than `maxDepth` (a directory that contains itself, a listing
 * that never ends, or a copy into the tree it copies) stops with SFTPFailure.
 */
async function copyOneBody(client: TransferClient, src: string, dst: string, options: TransferOptions & { remoteOnly?: boolean }, tree: DownloadTree, depth: number, walk?: WalkEntry): Promise<void> {
  const slots = walk !== undefined ? tree.slots : undefined;
  const look = (): Promise<SFTPAttrs> => (options.followSymlinks ? client.stat(src) : client.lstat(src));
  const attrs = slots ? await slots.run(1, look) : await look();
  const type = attrsType(attrs);
  if (type !== FILEXFER_TYPE.DIRECTORY) walk?.leaf();
  if (type === FILEXFER_TYPE.DIRECTORY) {
    if (!options.recurse) throw new SFTPFailure(`${src} is a directory`);
    if (depth === 0) await refuseCopyIntoItself(client, src, dst);
    if (depth >= tree.maxDepth) {
      tree.slots.failure ??= new SFTPFailure(`${src}: maximum directory depth exceeded: ${tree.maxDepth} levels (a directory that contains itself?)`);
      throw tree.slots.failure;
    }
    await walk?.directory();
    if (!(await client.isdir(dst))) await client.mkdir(dst);
    // As a download: a bad name is refused as it arrives, and so is a name listed again while
    // its first entry is still being copied (both would write one path).
    const inFlight = new Set<string>();
    await eachStreamed(
      remoteNames(client, src),
      options,
      tree,
      async (name, entry) => {
        checkRemoteName(name);
        if (inFlight.has(name)) throw new SFTPInvalidFilename(`duplicate remote name ${JSON.stringify(name)}`);
        inFlight.add(name);
        try {
          await copyOne(client, joinPath(src, name), joinPath(dst, name), options, tree, depth + 1, entry);
        } finally {
          inFlight.delete(name);
        }
      },
      walk?.listed,
    );
  } else if (type === FILEXFER_TYPE.SYMLINK) {
    const link = async (): Promise<void> => client.symlink(await client.readlink(src), dst);
    await (slots ? slots.run(1, link) : link());
    return;
  } else {
    const { blockSize, maxRequests } = client.transferParams(options.blockSize, options.maxRequests);
    const copy = async (): Promise<void> => {
      await copyFile(client, src, dst, attrs.size, options, blockSize, maxRequests);
      if (options.preserve) await client.setstat(dst, preserveAttrs(attrs));
    };
    if (!slots) return copy();
    return slots.run(attrs.size !== undefined && attrs.size <= blockSize ? 1 : PARALLEL_FILES, copy);
  }
  if (options.preserve) await client.setstat(dst, preserveAttrs(attrs));
}

async function copyFile(client: TransferClient, src: string, dst: string, size: number | undefined, options: TransferOptions & { remoteOnly?: boolean }, blockSize: number, maxRequests: number): Promise<void> {
  const input = await client.open(src, 'rb', { blockSize, maxRequests });
  try {
    const output = await client.open(dst, 'wb', { blockSize, maxRequests });
    try {
      if (client.supportsRemoteCopy) {
        await client.remoteCopy(input, output);
        options.progressHandler?.(src, dst, size ?? 0, size ?? 0);
      } else if (options.remoteOnly) {
        throw new SFTPFailure('server does not support copy-data');
      } else {
        // Reads complete out of order; each write goes to its block's own offset.
        const iterator = readRanges(client.fileContext().session, input.handle, 0, -1, blockSize, maxRequests, size);
        const next = async (): Promise<Block | undefined> => {
          const r = await iterator.next();
          return r.done ? undefined : r.value;
        };
        const session = client.fileContext().session;
        await pipelineWrites(client, output, next, src, dst, size ?? 0, blockSize, maxRequests, options.progressHandler, (block) => session.recycle(block.data));
      }
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}
