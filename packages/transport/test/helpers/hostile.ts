/**
 * Tools for scripting a hostile peer against our transport: raw plaintext frames with chosen
 * lengths and padding, a peer that is one of our own transports with its guard rails off (it
 * seals any payload with its live keys), and probes into the machine's buffers to check that
 * memory stays bounded.
 */
import { SSHKeyPair, generatePrivateKey, type SSHKey } from '@ssh/keys';
import { Transport, type DisconnectError, type PacketReader, type TransportEvent, type TransportOptions } from '../../src/index.ts';
import { pump, side, type Side } from './pump.ts';

let keys: SSHKey[] | undefined;
/** One ed25519 host key for every test of a file. */
export function hostKeys(): SSHKey[] {
  keys ??= [generatePrivateKey('ssh-ed25519')];
  return keys;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * An unencrypted binary packet (RFC 4253 §6) with the fields as given: the padding length byte,
 * the padding itself and the length field can each be set to an invalid value.
 */
export function rawPacket(payload: Uint8Array, o: { padding?: number; paddingByte?: number; length?: number } = {}): Uint8Array {
  let padding = o.padding;
  if (padding === undefined) {
    padding = 8 - ((5 + payload.length) % 8);
    if (padding < 4) padding += 8;
  }
  const length = o.length ?? 1 + payload.length + padding;
  const out = new Uint8Array(5 + payload.length + padding);
  new DataView(out.buffer).setUint32(0, length >>> 0);
  out[4] = o.paddingByte ?? padding;
  out.set(payload, 5);
  return out;
}

/** Client and server transports of ours in memory, not yet pumped. */
export function pair(client: Partial<TransportOptions> = {}, server: Partial<TransportOptions> = {}): [Side, Side] {
  return [side(new Transport({ role: 'client', ...client })), side(new Transport({ role: 'server', hostKeys: hostKeys(), ...server }))];
}

/** A pair past its first key exchange. */
export function connected(client: Partial<TransportOptions> = {}, server: Partial<TransportOptions> = {}): [Side, Side] {
  const [c, s] = pair(client, server);
  pump(c, s);
  if (!c.transport.isReady || !s.transport.isReady) throw new Error('the key exchange did not complete');
  return [c, s];
}

interface Internals {
  writePacket(payload: Uint8Array): void;
  readonly reader: PacketReader;
  readonly version: { buf: Uint8Array };
  strict: boolean;
  kex: { phase: string; ours?: Uint8Array };
  hostIdentities: SSHKeyPair[];
}
const internals = (t: Transport): Internals => t as unknown as Internals;

/** Seals any payload with the transport's current keys and sequence number (no checks). */
export function inject(t: Transport, payload: Uint8Array): void {
  internals(t).writePacket(payload);
}

/** Server: presents `key` from the next key exchange on (a server that switches host keys). */
export function replaceHostKey(t: Transport, key: SSHKey): void {
  internals(t).hostIdentities = [new SSHKeyPair(key)];
}

/** Bytes the transport holds of packets not yet complete. */
export function buffered(t: Transport): number {
  return internals(t).reader.buffered;
}

/** Capacity of the version exchange's line buffer. */
export function versionBuffer(t: Transport): number {
  return internals(t).version.buf.length;
}

export function internalsOf(t: Transport): Internals {
  return internals(t);
}

/** Delivers everything `from` has written to `to`, in chunks of `chunk` bytes. */
export function deliver(from: Side, to: Side, chunk = Number.MAX_SAFE_INTEGER): number {
  let n = 0;
  for (let out = from.transport.takeOutput(); out; out = from.transport.takeOutput()) {
    n += out.length;
    for (let i = 0; i < out.length; i += chunk) to.transport.receive(out.subarray(i, i + chunk));
  }
  return n;
}

/** Moves the transport's pending events into the side's log and returns them. */
export function drain(s: Side): TransportEvent[] {
  const got: TransportEvent[] = [];
  for (let e = s.transport.nextEvent(); e; e = s.transport.nextEvent()) {
    got.push(e);
    s.events.push(e);
    if (e.type === 'message') s.messages.push(e.payload.slice());
  }
  return got;
}

/** The error of the side's own (not the peer's) disconnect, if any. */
export function ownDisconnect(s: Side): DisconnectError | undefined {
  const d = s.events.find((e) => e.type === 'disconnect' && !e.byPeer);
  return d?.type === 'disconnect' ? d.error : undefined;
}

/** Splits the transport's first output into its identification line (CR LF included) and the rest. */
export function splitIdentification(bytes: Uint8Array): [Uint8Array, Uint8Array] {
  const lf = bytes.indexOf(0x0a);
  return [bytes.subarray(0, lf + 1), bytes.subarray(lf + 1)];
}
