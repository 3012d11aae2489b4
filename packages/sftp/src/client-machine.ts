/**
 * The SFTP client as a sans-I/O state machine: bytes in, requests and responses out.
 * filexfer-02 §4 / filexfer-13 §4-5 (INIT/VERSION negotiation, version-select), §4.2 (request ids).
 *
 * ```ts
 * const m = new SftpClientMachine({ version: 6 });
 * m.start();                        // queues INIT
 * write(m.takeOutput());            // ...to the byte stream
 * m.receive(chunk);                 // bytes from the peer, cut anywhere
 * m.nextEvent();                    // { type: 'version' } | { type: 'response' } | { type: 'error' }
 * const id = m.send({ kind: 'stat', path: '/' });
 * ```
 * Peer misbehaviour (a malformed packet, an answer to no request, an oversized packet) never
 * throws out of `receive()`: it becomes one `error` event, after which the machine is closed.
 * @module
 */

import { type SizeClassPools, type SshError, WireError } from '@ssh/wire';
import { FXP, SFTP_MAX_PACKET_LENGTH, SFTP_MAX_VERSION, SFTP_MIN_VERSION } from './constants.ts';
import { SFTPBadMessage, SFTPConnectionLost, SFTPNoConnection } from './errors.ts';
import { PacketFramer } from './framing.ts';
import { sftpPacketPools } from './packet-pools.ts';
import { IdTable } from './id-table.ts';
import { type ExtensionPair, type SftpRequestBody, type SftpResponse, decodeInit, decodeResponse, encodeInit, encodeRequestBody } from './packets.ts';

export type { SftpRequestBody } from './packets.ts';

export type SftpClientEvent =
  | { readonly type: 'version'; readonly version: number; readonly extensions: readonly ExtensionPair[] }
  | { readonly type: 'response'; readonly response: SftpResponse }
  | { readonly type: 'error'; readonly error: SshError };

export interface SftpClientMachineOptions {
  /** Version to offer in INIT, 3 to 6 (default 3, as AsyncSSH and OpenSSH). */
  readonly version?: number;
  /** Extension pairs to send in INIT. */
  readonly extensions?: readonly ExtensionPair[];
  /** Largest packet accepted from the server (default 256 KiB + 1 KiB). */
  readonly maxPacketLength?: number;
  /** Chunks given to receive() are reused once it returns: keep copies of every packet, no views. */
  readonly transientInput?: boolean;
}

/** Free pooled reply buffers kept: as many as a download keeps replies in flight, up to 16 MiB. */
const POOLED_BUFFERS = 64;
const POOLED_BYTES = 16 * 1024 * 1024;

type Phase = 'idle' | 'init-sent' | 'open' | 'closed';

export class SftpClientMachine {
  private readonly offered: number;
  private readonly initExtensions: readonly ExtensionPair[];
  private readonly framer: PacketFramer;
  /** Buffers of large replies (DATA) that span chunks; see recycle(). */
  private readonly pool: SizeClassPools;
  private phase: Phase = 'idle';
  private negotiated = 0;
  private nextId = 0;
  private readonly pending = new IdTable<true>();
  private readonly events: SftpClientEvent[] = [];
  private eventHead = 0;
  private output: Uint8Array[] = [];

  constructor(options: SftpClientMachineOptions = {}) {
    const v = options.version ?? SFTP_MIN_VERSION;
    if (!Number.isInteger(v) || v < SFTP_MIN_VERSION || v > SFTP_MAX_VERSION) throw new RangeError(`SFTP version must be 3 to 6, got ${v}`);
    this.offered = v;
    this.initExtensions = options.extensions ?? [];
    const maxPacket = options.maxPacketLength ?? SFTP_MAX_PACKET_LENGTH;
    this.pool = sftpPacketPools(POOLED_BYTES, POOLED_BUFFERS);
    this.framer = new PacketFramer(maxPacket, (n) => this.pool.take(n), options.transientInput === true);
  }

  /** Largest packet accepted from the server (the maxPacketLength option). */
  get maxPacketLength(): number {
    return this.framer.maxLength;
  }

  /** The negotiated version (0 before VERSION arrives). */
  get version(): number {
    return this.negotiated;
  }

  /** True once VERSION has been received and until the machine closes. */
  get isOpen(): boolean {
    return this.phase === 'open';
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Number of requests sent and not yet answered. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Queues INIT. Call once. */
  start(): void {
    if (this.phase !== 'idle') throw new Error('SftpClientMachine.start() called twice');
    this.phase = 'init-sent';
    this.output.push(encodeInit(FXP.INIT, { version: this.offered, extensions: this.initExtensions }));
  }

  /**
   * Switches the version after a successful version-select (filexfer-13 §5.5): the caller sends
   * the request with `send()`, waits for its OK status, then calls this.
   */
  useVersion(version: number): void {
    if (version < SFTP_MIN_VERSION || version > SFTP_MAX_VERSION) throw new RangeError(`SFTP version must be 3 to 6, got ${version}`);
    this.negotiated = version;
  }

  /** Encodes and queues a request; returns its id. Throws when the session is not open (API misuse). */
  send(body: SftpRequestBody): number {
    if (this.phase !== 'open') throw new SFTPNoConnection(this.phase === 'closed' ? 'SFTP session closed' : 'SFTP session not yet open');
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    const bytes = encodeRequestBody(body, id, this.negotiated);
    this.pending.set(id, true);
    this.output.push(bytes);
    return id;
  }

  /** Bytes from the server, cut anywhere. */
  receive(chunk: Uint8Array): void {
    if (this.phase === 'closed') return;
    let payloads: Uint8Array[];
    try {
      payloads = this.framer.push(chunk);
    } catch (e) {
      this.fail(e instanceof WireError ? new SFTPBadMessage(`malformed SFTP stream: ${e.message}`, '', { cause: e }) : toBadMessage(e));
      return;
    }
    for (const payload of payloads) {
      if ((this.phase as Phase) === 'closed') return;
      this.handle(payload);
    }
    const e = this.framer.error;
    if (e && (this.phase as Phase) !== 'closed') this.fail(new SFTPBadMessage(`malformed SFTP stream: ${e.message}`, '', { cause: e }));
  }

  /** The byte stream ended (or failed): fails every outstanding request. */
  receiveEnd(cause?: unknown): void {
    if (this.phase === 'closed') return;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    this.fail(new SFTPConnectionLost(`SFTP connection lost${detail}`, '', cause === undefined ? undefined : { cause }));
  }

  /**
   * Hands back the buffer of a reply's data (a DATA reply's `data`, or any view of it) once the
   * caller is done with its bytes: the next large reply is assembled in it. Optional; only
   * buffers this machine assembled are taken.
   */
  recycle(data: Uint8Array): void {
    this.pool.give(data);
  }

  /** Closes the machine locally (no more requests; nothing is sent). */
  close(): void {
    this.phase = 'closed';
  }

  nextEvent(): SftpClientEvent | undefined {
    if (this.eventHead >= this.events.length) {
      if (this.eventHead > 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    const ev = this.events[this.eventHead];
    this.events[this.eventHead++] = undefined as unknown as SftpClientEvent;
    return ev;
  }

  /** Packets to write, in order, or undefined when none are queued. */
  takeOutput(): Uint8Array[] | undefined {
    if (this.output.length === 0) return undefined;
    const out = this.output;
    this.output = [];
    return out;
  }

  private handle(payload: Uint8Array): void {
    if (this.phase === 'init-sent') {
      try {
        const v = decodeInit(payload, FXP.VERSION);
        if (v.version < SFTP_MIN_VERSION || v.version > this.offered) {
          this.fail(new SFTPBadMessage(`server chose SFTP version ${v.version}; we offered 3 to ${this.offered}`));
          return;
        }
        this.negotiated = v.version;
        this.phase = 'open';
        this.events.push({ type: 'version', version: v.version, extensions: v.extensions });
      } catch (e) {
        this.fail(toBadMessage(e));
      }
      return;
    }
    let response: SftpResponse;
    try {
      response = decodeResponse(payload, this.negotiated);
    } catch (e) {
      this.fail(toBadMessage(e));
      return;
    }
    if (this.pending.delete(response.id) === undefined) {
      this.fail(new SFTPBadMessage(`SFTP response to unknown request id ${response.id}`));
      return;
    }
    this.events.push({ type: 'response', response });
  }

  private fail(error: SshError): void {
    this.phase = 'closed';
    this.pending.clear();
    this.events.push({ type: 'error', error });
  }
}

function toBadMessage(e: unknown): SshError {
  if (e instanceof WireError) return new SFTPBadMessage(`malformed SFTP packet: ${e.message}`, '', { cause: e });
  return new SFTPBadMessage(`malformed SFTP packet: ${String(e)}`, '', { cause: e });
}
