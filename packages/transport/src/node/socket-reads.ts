/**
 * Sockets whose reads land in one buffer reused for every read (node's `onread`), instead of a
 * fresh 64 KiB buffer per read. Those fresh buffers live outside the JavaScript heap, so besides
 * their allocation (and, for the pages malloc hands back and takes again, page faults) they make
 * V8 collect for "external memory pressure": a server taking a 1 GiB upload in 64 KiB reads ran
 * about 80 scavenges and 17 full collections for it.
 *
 * connectTcp() opens such a socket and acceptTcp() turns a socket a server accepted into one,
 * for a transport: either way the socket emits no 'data' events, its bytes go to the transport
 * that driveTransport() runs on it, and bytes read before that are kept (copied) until it does.
 * readIntoReusedBuffer() does the same for any socket node made (a child process's pipes too),
 * for a caller that consumes each read at once. A transport's sockets also batch their reads
 * while a bulk transfer streams in (read-batching.ts).
 * @module
 */

import net from 'node:net';
import type { Duplex } from 'node:stream';
import { copyBytes } from '../bytes.ts';
import { batchReads, type ReadBatching } from './read-batching.ts';

type Receiver = (chunk: Uint8Array, transient: boolean) => void;

/** Where a socket's reads go: to the transport once one drives it. */
class ReadSink {
  private receiver: Receiver | undefined;
  private pending: Uint8Array[] = [];
  /** Set once the socket exists. */
  batching: ReadBatching | undefined;

  /** `transient`: the bytes are only valid during this call (the read buffer is reused). */
  deliver(chunk: Uint8Array, transient: boolean): void {
    this.batching?.read(chunk.length);
    if (this.receiver) this.receiver(chunk, transient);
    else this.pending.push(transient ? copyBytes(chunk) : chunk);
  }

  attach(receiver: Receiver): void {
    this.receiver = receiver;
    const early = this.pending;
    this.pending = [];
    for (const chunk of early) receiver(chunk, false);
  }
}

const sinks = new WeakMap<Duplex, ReadSink>();

/** The sink of a socket from connectTcp() or acceptTcp(); driveTransport() reads from it. */
export function readSinkOf(stream: Duplex): { attach(receiver: Receiver): void } | undefined {
  return sinks.get(stream);
}

/** Bytes each read can take. */
const READ_BUFFER_SIZE = 256 * 1024;

function userBuffer(sink: ReadSink): { buffer: Buffer; callback: (nread: number, buf: Uint8Array) => boolean } {
  return {
    buffer: Buffer.allocUnsafe(READ_BUFFER_SIZE),
    callback: (nread, buf) => {
      sink.deliver(buf.subarray(0, nread), true);
      return true;
    },
  };
}

/** net.connect() for a socket that a transport will drive, reading into one reused buffer. */
export function connectTcp(options: net.NetConnectOpts): net.Socket {
  const sink = new ReadSink();
  const socket = net.connect({ ...options, onread: userBuffer(sink) } as net.NetConnectOpts);
  sink.batching = batchReads(socket);
  sinks.set(socket, sink);
  return socket;
}

/**
 * Runtimes that imitate node's net module (Deno, Bun) may keep fields of the same names with
 * other meanings (one has a `useUserBuffer()` that does nothing): the reused buffer is node's only.
 */
const isNode = !('Deno' in globalThis) && process.versions['bun'] === undefined;

interface StreamHandle {
  reading: boolean;
  useUserBuffer(buf: Uint8Array): void;
  readStop(): void;
}

/**
 * Node gives `onread` to sockets it creates for connect() only, not to those a server accepts or
 * a child process's pipes. It keeps that state in two fields of the socket, private Symbols of its
 * net module found here by their descriptions, and hands the buffer to the handle with
 * `useUserBuffer()`, which is what the constructor does with `onread` (node 20 to 24). Undefined
 * when this node differs, or when someone reads the socket already ('data' listeners, a decoder).
 */
function onreadFields(socket: net.Socket): { buffer: symbol; callback: symbol; handle: StreamHandle } | undefined {
  if (!isNode || socket.destroyed || socket.connecting || socket.listenerCount('data') > 0 || socket.readableEncoding !== null) return undefined;
  const symbols = Object.getOwnPropertySymbols(socket);
  const buffer = symbols.find((s) => s.description === 'kBuffer');
  const callback = symbols.find((s) => s.description === 'kBufferCb');
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (buffer === undefined || callback === undefined || fields[buffer] !== null || fields[callback] !== null) return undefined;
  if (typeof handle?.useUserBuffer !== 'function' || typeof handle.readStop !== 'function' || typeof handle.reading !== 'boolean') return undefined;
  return { buffer, callback, handle: handle as StreamHandle };
}

let shared: Uint8Array | undefined;

/**
 * One 64 KiB buffer for every socket whose receiver is done with each read when it returns (it
 * copies what it keeps): as many idle sockets as one likes cost no buffer each. 64 KiB is what a
 * Linux pipe holds by default, so that a read from one never returns more.
 */
export function sharedReadBuffer(): Uint8Array {
  return (shared ??= new Uint8Array(64 * 1024));
}

/**
 * Makes a socket node made without `onread` (one a server accepted, a child process's stdio
 * pipe) read into one reused `buffer` from now on, as connectTcp()'s do, and starts it reading.
 * `receive` gets each read, valid only during the call; answering false pauses the socket until
 * its resume(). EOF, errors and 'close' stay the socket's events. Sockets whose receivers are
 * done with each read when they return may share one buffer: node reads one socket at a time.
 * Bytes node already read and holds (a child's pipe starts reading at once) go to `receive`
 * first. Returns false, changing nothing, where this node or this socket does not allow it (a
 * 'data' listener or a decoder reads it already): read it as a Readable then.
 */
export function readIntoReusedBuffer(socket: net.Socket, receive: (chunk: Uint8Array) => boolean, buffer?: Uint8Array): boolean {
  const fields = onreadFields(socket);
  if (!fields) return false;
  const held = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  const { handle } = fields;
  if (handle.reading) {
    // libuv's uv_read_stop() cannot fail on a stream.
    handle.readStop();
    handle.reading = false;
  }
  const into = buffer ?? Buffer.allocUnsafe(READ_BUFFER_SIZE);
  const own = socket as unknown as Record<symbol, unknown>;
  own[fields.buffer] = into;
  own[fields.callback] = (nread: number, buf: Uint8Array): boolean => receive(buf.subarray(0, nread));
  handle.useUserBuffer(into);
  // With the buffer in place, net.Socket's resume() starts the handle reading again.
  if (held === null || held.length === 0 || receive(held)) socket.resume();
  return true;
}

/**
 * Makes a socket a server accepted read as connectTcp()'s do (into one reused buffer, when this
 * node allows it; else through its 'data' events), and starts reading. Returns whether the
 * reused buffer is in use. Call it before anything reads the socket (a server created with
 * `pauseOnConnect: true` keeps it from reading meanwhile); driveTransport() then takes the bytes.
 */
export function acceptTcp(socket: net.Socket): boolean {
  const sink = new ReadSink();
  sink.batching = batchReads(socket);
  sinks.set(socket, sink);
  const reused = readIntoReusedBuffer(socket, (chunk) => {
    sink.deliver(chunk, true);
    return true;
  });
  if (!reused) {
    socket.on('data', (chunk: Uint8Array) => sink.deliver(chunk, false));
    socket.resume();
  }
  return reused;
}
