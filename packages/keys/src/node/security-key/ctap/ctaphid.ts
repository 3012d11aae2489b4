/**
 * CTAPHID, the USB HID transport of CTAP. FIDO CTAP 2.1 §11.2: messages cut into 64-byte
 * reports (an initialization packet, then continuation packets with sequence numbers 0-127), a
 * channel allocated by INIT with a nonce, KEEPALIVE while the authenticator works or waits for a
 * touch, CANCEL, ERROR. It runs over any `HidDevice`, so tests drive it with a software token.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { WireError } from '@ssh/wire';
import { SecurityKeyError } from '../backend.ts';
import { CTAP_STATUS, statusName } from './status.ts';

/** One HID device speaking CTAPHID: 64-byte output reports in, 64-byte input reports out. */
export interface HidDevice {
  /** Where the device is (`/dev/hidraw3`), or a name for one that lives elsewhere. */
  readonly path: string;
  /** Send one 64-byte output report (without a report id: the transport adds what it needs). */
  write(report: Uint8Array): Promise<void>;
  /** The next 64-byte input report, or undefined when none came within `timeoutMs`. */
  read(timeoutMs: number): Promise<Uint8Array | undefined>;
  /** Release the device; a read still waiting ends. */
  close(): Promise<void>;
}

export const HID_REPORT_SIZE = 64;
export const BROADCAST_CID = 0xffffffff;
const INIT_DATA = HID_REPORT_SIZE - 7;
const CONT_DATA = HID_REPORT_SIZE - 5;
/** The largest message: one initialization packet and 128 continuation packets. §11.2.4. */
export const MAX_MESSAGE_SIZE = INIT_DATA + 128 * CONT_DATA;

/** CTAPHID command codes (without the initialization-packet bit 0x80). §11.2.9. */
export const CTAPHID = { PING: 0x01, MSG: 0x03, LOCK: 0x04, INIT: 0x06, WINK: 0x08, CBOR: 0x10, CANCEL: 0x11, KEEPALIVE: 0x3b, ERROR: 0x3f } as const;
/** Capability flags of the INIT response. §11.2.9.1.3. */
export const CAPABILITY = { WINK: 0x01, CBOR: 0x04, NMSG: 0x08 } as const;
/** KEEPALIVE status bytes. §11.2.9.2.1. */
export const KEEPALIVE_STATUS = { PROCESSING: 1, UPNEEDED: 2 } as const;

export type HidPacket =
  | { readonly cid: number; readonly type: 'init'; readonly cmd: number; readonly length: number; readonly data: Uint8Array }
  | { readonly cid: number; readonly type: 'cont'; readonly seq: number; readonly data: Uint8Array };

/** The reports that carry `payload` as command `cmd` on channel `cid`. */
export function framePackets(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  if (payload.length > MAX_MESSAGE_SIZE) throw new SecurityKeyError('general', `a ${payload.length}-byte message is beyond CTAPHID's ${MAX_MESSAGE_SIZE}`);
  const reports: Uint8Array[] = [];
  const first = new Uint8Array(HID_REPORT_SIZE);
  writeCid(first, cid);
  first[4] = 0x80 | cmd;
  first[5] = payload.length >>> 8;
  first[6] = payload.length & 0xff;
  first.set(payload.subarray(0, INIT_DATA), 7);
  reports.push(first);
  for (let at = INIT_DATA, seq = 0; at < payload.length; at += CONT_DATA, seq++) {
    const cont = new Uint8Array(HID_REPORT_SIZE);
    writeCid(cont, cid);
    cont[4] = seq;
    cont.set(payload.subarray(at, at + CONT_DATA), 5);
    reports.push(cont);
  }
  return reports;
}

function writeCid(report: Uint8Array, cid: number): void {
  report[0] = cid >>> 24;
  report[1] = (cid >>> 16) & 0xff;
  report[2] = (cid >>> 8) & 0xff;
  report[3] = cid & 0xff;
}

/** Split one input report into its header and data. */
export function parsePacket(report: Uint8Array): HidPacket {
  if (report.length !== HID_REPORT_SIZE) throw new WireError('invalid-value', 'CTAPHID report', 0, `${report.length} bytes, expected ${HID_REPORT_SIZE}`);
  const cid = (((report[0] as number) << 24) | ((report[1] as number) << 16) | ((report[2] as number) << 8) | (report[3] as number)) >>> 0;
  const b4 = report[4] as number;
  if (b4 & 0x80) {
    return { cid, type: 'init', cmd: b4 & 0x7f, length: ((report[5] as number) << 8) | (report[6] as number), data: report.subarray(7) };
  }
  return { cid, type: 'cont', seq: b4, data: report.subarray(5) };
}

/**
 * Puts one message back together from the packets of one channel: sequence numbers must follow
 * from 0, the announced length must fit CTAPHID, and a new initialization packet may not start
 * before the message in progress ends.
 */
export class MessageAssembler {
  private cmd = 0;
  private buf: Uint8Array | undefined;
  private filled = 0;
  private nextSeq = 0;

  get inProgress(): boolean {
    return this.buf !== undefined;
  }

  /** Feed one packet of our channel; the complete message when this packet ends it. */
  push(packet: HidPacket): { cmd: number; payload: Uint8Array } | undefined {
    if (packet.type === 'init') {
      if (this.buf !== undefined) throw new WireError('invalid-value', 'CTAPHID message', this.filled, 'a new message started before the previous one ended');
      if (packet.length > MAX_MESSAGE_SIZE) throw new WireError('too-long', 'CTAPHID message', 0, `length ${packet.length} beyond ${MAX_MESSAGE_SIZE}`);
      this.cmd = packet.cmd;
      this.buf = new Uint8Array(packet.length);
      this.filled = 0;
      this.nextSeq = 0;
      this.append(packet.data);
    } else {
      if (this.buf === undefined) return undefined; // left over from a message we gave up on
      if (packet.seq !== this.nextSeq) throw new WireError('invalid-value', 'CTAPHID message', this.filled, `continuation sequence ${packet.seq}, expected ${this.nextSeq}`);
      this.nextSeq++;
      this.append(packet.data);
    }
    if (this.filled < this.buf.length) return undefined;
    const out = { cmd: this.cmd, payload: this.buf };
    this.buf = undefined;
    return out;
  }

  private append(data: Uint8Array): void {
    const buf = this.buf as Uint8Array;
    const take = Math.min(data.length, buf.length - this.filled);
    buf.set(data.subarray(0, take), this.filled);
    this.filled += take;
  }
}

/** What one operation (several commands) shares: its deadline and who wants to hear about touches. */
export interface CtapOperation {
  /** `Date.now()` past which the operation fails with a `timeout` error. */
  readonly deadline: number;
  /** Called with each KEEPALIVE status (2: the authenticator waits for a touch). */
  readonly onKeepalive?: (status: number, devicePath: string) => void;
  /** True once the caller gave the operation up (another authenticator was chosen): polling stops. */
  readonly abandoned?: () => boolean;
}

const BUSY_RETRY_MS = 100;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** A CTAPHID channel on one device, allocated by INIT. */
export class CtapHidChannel {
  readonly device: HidDevice;
  readonly cid: number;
  /** The INIT response's capability flags (CAPABILITY.*). */
  readonly capabilities: number;
  /** CTAPHID protocol version, and the device's major, minor and build version numbers. */
  readonly version: { readonly protocol: number; readonly major: number; readonly minor: number; readonly build: number };

  private constructor(device: HidDevice, cid: number, capabilities: number, version: CtapHidChannel['version']) {
    this.device = device;
    this.cid = cid;
    this.capabilities = capabilities;
    this.version = version;
  }

  get supportsCbor(): boolean {
    return (this.capabilities & CAPABILITY.CBOR) !== 0;
  }

  get supportsMsg(): boolean {
    return (this.capabilities & CAPABILITY.NMSG) === 0;
  }

  /** Allocate a channel: INIT on the broadcast channel with a fresh nonce. §11.2.9.1.3. */
  static async open(device: HidDevice, op: CtapOperation): Promise<CtapHidChannel> {
    const nonce = randomBytes(8);
    for (const report of framePackets(BROADCAST_CID, CTAPHID.INIT, nonce)) await writeReport(device, report);
    const assembler = new MessageAssembler();
    for (;;) {
      const packet = await readPacket(device, op, undefined);
      if (packet.cid !== BROADCAST_CID) continue;
      let message: { cmd: number; payload: Uint8Array } | undefined;
      try {
        message = assembler.push(packet);
      } catch (cause) {
        throw malformed(device, cause);
      }
      if (message === undefined) continue;
      if (message.cmd === CTAPHID.ERROR) throw hidError(device, message.payload);
      // Answers to another program's INIT share the broadcast channel: only our nonce counts.
      if (message.cmd !== CTAPHID.INIT || message.payload.length < 17 || !nonce.equals(message.payload.subarray(0, 8))) continue;
      const p = message.payload;
      const cid = (((p[8] as number) << 24) | ((p[9] as number) << 16) | ((p[10] as number) << 8) | (p[11] as number)) >>> 0;
      if (cid === 0 || cid === BROADCAST_CID) throw new SecurityKeyError('general', `${device.path}: the security key allocated an invalid CTAPHID channel`);
      return new CtapHidChannel(device, cid, p[16] as number, { protocol: p[12] as number, major: p[13] as number, minor: p[14] as number, build: p[15] as number });
    }
  }

  /** Send `payload` as `cmd` and return the answer's payload; KEEPALIVEs are reported, ERRORs thrown. */
  async transact(cmd: number, payload: Uint8Array, op: CtapOperation): Promise<Uint8Array> {
    for (;;) {
      for (const report of framePackets(this.cid, cmd, payload)) await writeReport(this.device, report);
      try {
        return await this.receive(cmd, op);
      } catch (err) {
        if (err instanceof ChannelBusy && op.deadline - Date.now() > BUSY_RETRY_MS) {
          await sleep(BUSY_RETRY_MS);
          continue;
        }
        if (err instanceof ChannelBusy) throw new SecurityKeyError('timeout', `${this.device.path}: the security key stayed busy with another program`);
        if (err instanceof SecurityKeyError && err.kind === 'timeout' && cmd === CTAPHID.CBOR) await this.cancel();
        throw err;
      }
    }
  }

  /** Ask the authenticator to drop the CBOR request in progress (it answers that request with KEEPALIVE_CANCEL). */
  async cancel(): Promise<void> {
    try {
      for (const report of framePackets(this.cid, CTAPHID.CANCEL, new Uint8Array(0))) await writeReport(this.device, report);
    } catch {
      // The device may be gone: there is nothing left to cancel then.
    }
  }

  private async receive(cmd: number, op: CtapOperation): Promise<Uint8Array> {
    const assembler = new MessageAssembler();
    let touchAsked = false;
    for (;;) {
      const packet = await readPacket(this.device, op, touchAsked);
      // Another program's channel on the same device: not ours to read.
      if (packet.cid !== this.cid) continue;
      if (packet.type === 'init' && packet.cmd === CTAPHID.KEEPALIVE && !assembler.inProgress) {
        const status = packet.data[0] as number;
        if (status === KEEPALIVE_STATUS.UPNEEDED) touchAsked = true;
        op.onKeepalive?.(status, this.device.path);
        continue;
      }
      let message: { cmd: number; payload: Uint8Array } | undefined;
      try {
        message = assembler.push(packet);
      } catch (cause) {
        throw malformed(this.device, cause);
      }
      if (message === undefined) continue;
      if (message.cmd === CTAPHID.ERROR) {
        if (message.payload[0] === CTAP_STATUS.CHANNEL_BUSY) throw new ChannelBusy();
        throw hidError(this.device, message.payload);
      }
      if (message.cmd !== cmd) throw new SecurityKeyError('general', `${this.device.path}: the security key answered command 0x${cmd.toString(16)} with command 0x${message.cmd.toString(16)}`);
      return message.payload;
    }
  }
}

class ChannelBusy extends Error {}

async function writeReport(device: HidDevice, report: Uint8Array): Promise<void> {
  try {
    await device.write(report);
  } catch (cause) {
    if (cause instanceof SecurityKeyError) throw cause;
    throw new SecurityKeyError('general', `${device.path}: cannot write to the security key: ${(cause as Error).message}`, { cause });
  }
}

async function readPacket(device: HidDevice, op: CtapOperation, touchAsked: boolean | undefined): Promise<HidPacket> {
  for (;;) {
    const remaining = op.deadline - Date.now();
    if (remaining <= 0) {
      throw new SecurityKeyError(
        'timeout',
        touchAsked ? `${device.path}: the security key was not touched in time` : `${device.path}: the security key did not answer in time`,
      );
    }
    let report: Uint8Array | undefined;
    try {
      report = await device.read(remaining);
    } catch (cause) {
      if (cause instanceof SecurityKeyError) throw cause;
      throw new SecurityKeyError('general', `${device.path}: cannot read from the security key: ${(cause as Error).message}`, { cause });
    }
    if (report === undefined) continue;
    try {
      return parsePacket(report);
    } catch (cause) {
      throw malformed(device, cause);
    }
  }
}

function malformed(device: HidDevice, cause: unknown): SecurityKeyError {
  return new SecurityKeyError('general', `${device.path}: malformed CTAPHID traffic from the security key: ${(cause as Error).message}`, { cause });
}

function hidError(device: HidDevice, payload: Uint8Array): SecurityKeyError {
  const code = payload[0] ?? CTAP_STATUS.OTHER;
  return new SecurityKeyError('general', `${device.path}: CTAPHID error ${statusName(code)}`, { status: code });
}
