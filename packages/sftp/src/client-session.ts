/**
 * Drives an SftpClientMachine over an SftpByteStream: writes its output, feeds it input, and
 * turns its responses into settled promises, one per request id.
 * @module
 */

import { type SshError } from '@ssh/wire';
import { type SFTPAttrs, type SFTPName } from './attrs.ts';
import { type SftpClientMachineOptions, type SftpRequestBody, SftpClientMachine } from './client-machine.ts';
import { FX } from './constants.ts';
import { IdTable } from './id-table.ts';
import { SFTPBadMessage, SFTPError, SFTPNoConnection } from './errors.ts';
import { type ExtensionPair, type SftpResponse } from './packets.ts';
import { type SftpByteStream } from './stream.ts';

interface Waiter {
  resolve(r: SftpResponse): void;
  reject(e: unknown): void;
}

export class ClientSession {
  readonly machine: SftpClientMachine;
  private readonly stream: SftpByteStream;
  private readonly waiters = new IdTable<Waiter>();
  private drainPromise: Promise<void> | undefined;
  private error: SshError | undefined;
  private versionWaiter: { resolve(ext: readonly ExtensionPair[]): void; reject(e: unknown): void } | undefined;
  private readonly done: Promise<void>;
  private exited = false;
  /**
   * Called by exit() (true) and abort() (false). After exit(), `done` settles once the stream is
   * closed both ways (SftpByteStream.closed), or at once for a stream that cannot tell; after
   * abort(), at once: a silent peer may never end its side.
   */
  private exitDone: ((wait: boolean) => void) | undefined;

  private constructor(stream: SftpByteStream, options: SftpClientMachineOptions) {
    this.stream = stream;
    this.machine = new SftpClientMachine(stream.transient === true ? { ...options, transientInput: true } : options);
    const pumped = this.pump();
    const closed = stream.closed?.then(
      () => undefined,
      () => undefined,
    );
    const exited = new Promise<boolean>((resolve) => (this.exitDone = resolve)).then((wait) => (wait ? closed : undefined));
    this.done = Promise.race([pumped, exited]);
  }

  /**
   * Sends INIT and waits for VERSION; returns the session and the server's extensions. The wait
   * ends with the stream, or with `signal` (see abort()); the caller runs `started()` once it no
   * longer wants the signal to end the session.
   */
  static async open(
    stream: SftpByteStream,
    options: SftpClientMachineOptions,
    signal?: AbortSignal,
  ): Promise<{ session: ClientSession; extensions: readonly ExtensionPair[]; started: () => void }> {
    const session = new ClientSession(stream, options);
    const version = new Promise<readonly ExtensionPair[]>((resolve, reject) => {
      session.versionWaiter = { resolve, reject };
    });
    const onAbort = (): void => session.abort(signal?.reason);
    const started = (): void => signal?.removeEventListener('abort', onAbort);
    session.machine.start();
    session.flush();
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const extensions = await version;
      return { session, extensions, started };
    } catch (e) {
      started();
      stream.close();
      throw e;
    }
  }

  get version(): number {
    return this.machine.version;
  }

  /**
   * Resolves when the stream has ended and every request has settled, or once exit() was called
   * and the stream closed both ways (see exitDone: a stream that cannot tell resolves at exit(),
   * so that a server that never ends its side cannot keep it waiting).
   */
  waitClosed(): Promise<void> {
    return this.done;
  }

  /** Sends a request and resolves with its response (any kind; callers check). */
  request(body: SftpRequestBody): Promise<SftpResponse> {
    if (this.exited) return Promise.reject(new SFTPNoConnection('SFTP client has exited'));
    if (this.error) return Promise.reject(this.error);
    const id = this.machine.send(body);
    const p = new Promise<SftpResponse>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    this.flush();
    return p;
  }

  /** See SftpClientMachine.recycle(): the buffer of reply data the caller no longer needs. */
  recycle(data: Uint8Array): void {
    this.machine.recycle(data);
  }

  /** Resolves when the stream can take more bytes (after backpressure). */
  async writable(): Promise<void> {
    while (this.drainPromise) await this.drainPromise;
  }

  /** Ends the session: closes our side of the stream; requests still outstanding fail at once. */
  exit(): void {
    if (this.exited) return;
    this.exited = true;
    this.stream.close();
    if (this.machine.outstanding > 0) {
      this.machine.receiveEnd(new Error('SFTP client exited'));
      this.dispatch();
    }
    this.exitDone?.(true);
  }

  /**
   * Gives up on the session: the start (or any request) still waiting fails with
   * SFTPConnectionLost naming `reason`, and our side of the stream is closed. For a server
   * that stays silent: its side may never end.
   */
  abort(reason?: unknown): void {
    this.machine.receiveEnd(reason ?? new Error('aborted'));
    this.dispatch();
    this.stream.close();
    this.exitDone?.(false);
  }

  private flush(): void {
    const out = this.machine.takeOutput();
    if (!out) return;
    for (const chunk of out) {
      const p = this.stream.write(chunk);
      if (p) {
        const tracked: Promise<void> = p.then(
          () => {
            if (this.drainPromise === tracked) this.drainPromise = undefined;
          },
          (e: unknown) => {
            if (this.drainPromise === tracked) this.drainPromise = undefined;
            this.machine.receiveEnd(e);
            this.dispatch();
          },
        );
        this.drainPromise = tracked;
      }
    }
  }

  private async pump(): Promise<void> {
    let cause: unknown;
    try {
      for await (const chunk of this.stream.readable) {
        this.machine.receive(chunk);
        this.dispatch();
        if (this.machine.isClosed) break;
      }
    } catch (e) {
      cause = e;
    }
    this.machine.receiveEnd(cause);
    this.dispatch();
    this.stream.close();
  }

  private dispatch(): void {
    for (let ev = this.machine.nextEvent(); ev; ev = this.machine.nextEvent()) {
      switch (ev.type) {
        case 'response': {
          this.waiters.delete(ev.response.id)?.resolve(ev.response);
          break;
        }
        case 'version':
          this.versionWaiter?.resolve(ev.extensions);
          this.versionWaiter = undefined;
          break;
        case 'error':
          this.error ??= ev.error;
          this.versionWaiter?.reject(ev.error);
          this.versionWaiter = undefined;
          for (const [, w] of this.waiters.entries()) w.reject(ev.error);
          this.waiters.clear();
          break;
      }
    }
  }
}

/* Response checkers: turn a response into the expected value or throw the SFTPError it carries. */

function unexpected(r: SftpResponse, wanted: string): SFTPError {
  return new SFTPBadMessage(`expected ${wanted} reply, got ${r.kind}`);
}

function statusError(r: SftpResponse & { kind: 'status' }): SFTPError {
  return SFTPError.fromCode(r.status, r.message, r.lang);
}

export function expectStatus(r: SftpResponse): void {
  if (r.kind !== 'status') throw unexpected(r, 'status');
  if (r.status !== FX.OK) throw statusError(r);
}

export function expectHandle(r: SftpResponse): Uint8Array {
  if (r.kind === 'handle') return r.handle;
  if (r.kind === 'status') throw statusError(r);
  throw unexpected(r, 'handle');
}

export function expectAttrs(r: SftpResponse): SFTPAttrs {
  if (r.kind === 'attrs') return r.attrs;
  if (r.kind === 'status') throw statusError(r);
  throw unexpected(r, 'attrs');
}

/** NAME reply, or undefined for an EOF status (end of a directory). */
export function expectNames(r: SftpResponse): { names: readonly SFTPName[]; endOfList: boolean } | undefined {
  if (r.kind === 'name') return { names: r.names, endOfList: r.endOfList === true };
  if (r.kind === 'status') {
    if (r.status === FX.EOF) return undefined;
    throw statusError(r);
  }
  throw unexpected(r, 'name');
}

/** The single name of a REALPATH/READLINK-style reply. */
export function expectOneName(r: SftpResponse): SFTPName {
  const got = expectNames(r);
  const first = got?.names[0];
  if (!got || got.names.length !== 1 || !first) {
    if (!got) throw SFTPError.fromCode(FX.EOF, 'unexpected end of file');
    throw new SFTPBadMessage(`expected one name, got ${got.names.length}`);
  }
  return first;
}

/** DATA reply, or undefined for an EOF status. */
export function expectData(r: SftpResponse): { data: Uint8Array; eof: boolean } | undefined {
  if (r.kind === 'data') return { data: r.data, eof: r.eof === true };
  if (r.kind === 'status') {
    if (r.status === FX.EOF) return undefined;
    throw statusError(r);
  }
  throw unexpected(r, 'data');
}

export function expectExtendedReply(r: SftpResponse): Uint8Array {
  if (r.kind === 'extended-reply') return r.data;
  if (r.kind === 'status') throw statusError(r);
  throw unexpected(r, 'extended reply');
}

/** Decodes the body of an extended reply; a body that does not parse is SFTPBadMessage. */
export function decodeExtendedReply<T>(what: string, r: SftpResponse, decode: (data: Uint8Array) => T): T {
  const data = expectExtendedReply(r);
  try {
    return decode(data);
  } catch (e) {
    throw new SFTPBadMessage(`malformed ${what} reply: ${e instanceof Error ? e.message : String(e)}`, '', { cause: e });
  }
}
