/**
 * TCP sockets whose reads land in one buffer reused for every read (node's `onread`), instead of
 * a fresh 64 KiB buffer per read: the transport decrypts packets where they lie in it. Those
 * fresh buffers live outside the JavaScript heap, so besides their allocation they make V8
 * collect for "external memory pressure": a server taking a 1 GiB upload in 64 KiB reads ran
 * about 80 scavenges and 17 full collections for it.
 *
 * connectTcp() opens such a socket; acceptTcp() turns a socket a server accepted into one.
 * Either way the socket emits no 'data' events: its bytes go to the transport that
 * driveTransport() runs on it, and bytes read before that are kept (copied) until it does.
 * @module
 */

import net from 'node:net';
import type { Duplex } from 'node:stream';
import { copyBytes } from '../bytes.ts';

type Receiver = (chunk: Uint8Array, transient: boolean) => void;

/** Where a socket's reads go: to the transport once one drives it. */
class ReadSink {
  private receiver: Receiver | undefined;
  private pending: Uint8Array[] = [];

  /** `transient`: the bytes are only valid during this call (the read buffer is reused). */
  deliver(chunk: Uint8Array, transient: boolean): void {
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
  sinks.set(socket, sink);
  return socket;
}

/**
 * Runtimes that imitate node's net module (Deno, Bun) may keep fields of the same names with
 * other meanings (one has a `useUserBuffer()` that does nothing): the reused buffer is node's only.
 */
const isNode = !('Deno' in globalThis) && process.versions['bun'] === undefined;

/**
 * Node gives `onread` to sockets it creates for connect() only, not to those a server accepts.
 * It keeps that state in two fields of the socket, private Symbols of its net module found here
 * by their descriptions, and hands the buffer to the handle with `useUserBuffer()`, which is what
 * the constructor does with `onread` (node 20 to 24). Undefined when this node differs.
 */
function onreadFields(socket: net.Socket): { buffer: symbol; callback: symbol; handle: { useUserBuffer(buf: Uint8Array): void } } | undefined {
  if (!isNode) return undefined;
  const symbols = Object.getOwnPropertySymbols(socket);
  const buffer = symbols.find((s) => s.description === 'kBuffer');
  const callback = symbols.find((s) => s.description === 'kBufferCb');
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: unknown; reading?: unknown } })._handle;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (buffer === undefined || callback === undefined || fields[buffer] !== null || fields[callback] !== null) return undefined;
  if (typeof handle?.useUserBuffer !== 'function' || handle.reading !== false) return undefined;
  return { buffer, callback, handle: handle as { useUserBuffer(buf: Uint8Array): void } };
}

/**
 * Makes a socket accepted by a server created with `pauseOnConnect: true` read as connectTcp()'s
 * do (into one reused buffer, when this node allows it; else through its 'data' events), and
 * starts reading. Returns whether the reused buffer is in use. Call it before anything reads the
 * socket; driveTransport() then takes the bytes.
 */
export function acceptTcp(socket: net.Socket): boolean {
  const sink = new ReadSink();
  sinks.set(socket, sink);
  const fields = onreadFields(socket);
  if (fields) {
    const { buffer, callback } = userBuffer(sink);
    const own = socket as unknown as Record<symbol, unknown>;
    own[fields.buffer] = buffer;
    own[fields.callback] = callback;
    fields.handle.useUserBuffer(buffer);
  } else {
    socket.on('data', (chunk: Uint8Array) => sink.deliver(chunk, false));
  }
  socket.resume();
  return fields !== undefined;
}
