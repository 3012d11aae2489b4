/**
 * CTAPHID framing (FIDO CTAP 2.1 §11.2.4) and the channel's handling of what a device sends:
 * other channels' traffic, KEEPALIVE, ERROR, busy channels, bad sequences, oversized lengths,
 * silence. The device here is scripted report by report.
 */
import { describe, expect, test } from 'vitest';
import { WireError } from '@ssh/wire';
import { SecurityKeyError } from '../../src/node/security-key/backend.ts';
import {
  BROADCAST_CID,
  CTAPHID,
  CtapHidChannel,
  type HidDevice,
  MAX_MESSAGE_SIZE,
  MessageAssembler,
  framePackets,
  parsePacket,
} from '../../src/node/security-key/ctap/ctaphid.ts';

const CID = 0x11223344;

/** A device whose answers a script writes: `onRequest` sees each whole message the host sent. */
class ScriptedDevice implements HidDevice {
  readonly path = 'scripted';
  readonly received: { cid: number; cmd: number; payload: Uint8Array }[] = [];
  private readonly queue: Uint8Array[] = [];
  private readonly assembler = new MessageAssembler();
  closed = false;
  private readonly onRequest: (cid: number, cmd: number, payload: Uint8Array, device: ScriptedDevice) => void;

  constructor(onRequest: (cid: number, cmd: number, payload: Uint8Array, device: ScriptedDevice) => void) {
    this.onRequest = onRequest;
  }

  /** Queue raw reports for the host. */
  push(...reports: Uint8Array[]): void {
    this.queue.push(...reports);
  }

  /** Queue a whole message for the host. */
  answer(cid: number, cmd: number, payload: Uint8Array): void {
    this.push(...framePackets(cid, cmd, payload));
  }

  async write(report: Uint8Array): Promise<void> {
    expect(report.length).toBe(64);
    const packet = parsePacket(report);
    const message = this.assembler.push(packet);
    if (message) {
      this.received.push({ cid: packet.cid, ...message });
      this.onRequest(packet.cid, message.cmd, message.payload, this);
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    const next = this.queue.shift();
    if (next) return next;
    await new Promise((r) => setTimeout(r, Math.min(timeoutMs, 10)));
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** INIT answers allocating CID with the given capabilities; everything else goes to `then`. */
function device(capabilities: number, then: (cmd: number, payload: Uint8Array, d: ScriptedDevice) => void = () => undefined): ScriptedDevice {
  return new ScriptedDevice((cid, cmd, payload, d) => {
    if (cid === BROADCAST_CID && cmd === CTAPHID.INIT) {
      const body = new Uint8Array(17);
      body.set(payload, 0);
      new DataView(body.buffer).setUint32(8, CID);
      body.set([2, 5, 4, 3, capabilities], 12);
      d.answer(BROADCAST_CID, CTAPHID.INIT, body);
    } else {
      then(cmd, payload, d);
    }
  });
}

const op = (ms = 2_000) => ({ deadline: Date.now() + ms });

async function rejection(p: Promise<unknown>): Promise<SecurityKeyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SecurityKeyError);
    return err as SecurityKeyError;
  }
  throw new Error('expected a rejection');
}

describe('framing', () => {
  test.each([
    [0, 1],
    [57, 1],
    [58, 2],
    [57 + 59, 2],
    [57 + 59 + 1, 3],
    [MAX_MESSAGE_SIZE, 129],
  ])('%i bytes take %i reports', (size, count) => {
    const payload = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
    const reports = framePackets(CID, CTAPHID.CBOR, payload);
    expect(reports).toHaveLength(count);
    expect(reports.every((r) => r.length === 64)).toBe(true);
    expect(Array.from(reports[0]?.subarray(0, 7) ?? [])).toEqual([0x11, 0x22, 0x33, 0x44, 0x90, size >> 8, size & 0xff]);
    reports.slice(1).forEach((r, i) => expect(r[4]).toBe(i));
    const assembler = new MessageAssembler();
    const messages = reports.map((r) => assembler.push(parsePacket(r)));
    expect(messages.slice(0, -1).every((m) => m === undefined)).toBe(true);
    expect(messages.at(-1)).toEqual({ cmd: CTAPHID.CBOR, payload });
  });

  test('a message beyond 7609 bytes cannot be sent', () => {
    expect(() => framePackets(CID, CTAPHID.CBOR, new Uint8Array(MAX_MESSAGE_SIZE + 1))).toThrow(SecurityKeyError);
  });

  test('a report of the wrong size', () => {
    expect(() => parsePacket(new Uint8Array(65))).toThrow(WireError);
    expect(() => parsePacket(new Uint8Array(0))).toThrow(WireError);
  });

  test('a continuation out of sequence', () => {
    const [first, , third] = framePackets(CID, CTAPHID.CBOR, new Uint8Array(200));
    const assembler = new MessageAssembler();
    assembler.push(parsePacket(first as Uint8Array));
    expect(() => assembler.push(parsePacket(third as Uint8Array))).toThrow(/continuation sequence 1, expected 0/);
  });

  test('an announced length beyond what CTAPHID can carry', () => {
    const report = new Uint8Array(64);
    report.set([0x11, 0x22, 0x33, 0x44, 0x90, 0xff, 0xff]);
    expect(() => new MessageAssembler().push(parsePacket(report))).toThrow(/length 65535 beyond 7609/);
  });

  test('a new message before the last one ended', () => {
    const assembler = new MessageAssembler();
    assembler.push(parsePacket(framePackets(CID, CTAPHID.CBOR, new Uint8Array(100))[0] as Uint8Array));
    expect(() => assembler.push(parsePacket(framePackets(CID, CTAPHID.CBOR, new Uint8Array(1))[0] as Uint8Array))).toThrow(/before the previous one ended/);
  });

  test('a stray continuation packet is ignored', () => {
    const cont = framePackets(CID, CTAPHID.CBOR, new Uint8Array(100))[1] as Uint8Array;
    expect(new MessageAssembler().push(parsePacket(cont))).toBeUndefined();
  });
});

describe('channel', () => {
  test('INIT: our nonce, our channel; other programs\' answers on the broadcast channel are skipped', async () => {
    const d = new ScriptedDevice((cid, cmd, payload, dev) => {
      const other = new Uint8Array(17);
      other.set([9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 7, 2, 0, 0, 0, 4]);
      dev.answer(BROADCAST_CID, CTAPHID.INIT, other); // another nonce
      dev.answer(0x55555555, CTAPHID.INIT, payload); // another channel
      const ours = new Uint8Array(17);
      ours.set(payload, 0);
      ours.set([0xca, 0xfe, 0x00, 0x01, 2, 5, 4, 3, 0x05], 8);
      dev.answer(cid, cmd, ours);
    });
    const ch = await CtapHidChannel.open(d, op());
    expect(ch.cid).toBe(0xcafe0001);
    expect(ch.version).toEqual({ protocol: 2, major: 5, minor: 4, build: 3 });
    expect(ch.supportsCbor).toBe(true);
    expect(ch.supportsMsg).toBe(true);
    expect(d.received[0]?.payload.length).toBe(8);
  });

  test('INIT allocating the broadcast channel is refused', async () => {
    const d = new ScriptedDevice((cid, cmd, payload, dev) => {
      const body = new Uint8Array(17).fill(0xff);
      body.set(payload, 0);
      dev.answer(cid, cmd, body);
    });
    expect((await rejection(CtapHidChannel.open(d, op()))).message).toMatch(/invalid CTAPHID channel/);
  });

  test('a reply interleaved with another channel\'s traffic, after KEEPALIVEs', async () => {
    const statuses: number[] = [];
    const d = device(0x04, (cmd, payload, dev) => {
      dev.answer(CID, CTAPHID.KEEPALIVE, Uint8Array.of(1));
      dev.answer(CID, CTAPHID.KEEPALIVE, Uint8Array.of(2));
      const reply = framePackets(CID, cmd, Uint8Array.from({ length: 150 }, (_, i) => payload[0] as number ^ i));
      const noise = framePackets(0x0badf00d, CTAPHID.CBOR, new Uint8Array(150).fill(0xee));
      dev.push(reply[0] as Uint8Array, noise[0] as Uint8Array, reply[1] as Uint8Array, noise[1] as Uint8Array, noise[2] as Uint8Array, reply[2] as Uint8Array);
    });
    const ch = await CtapHidChannel.open(d, op());
    const reply = await ch.transact(CTAPHID.CBOR, Uint8Array.of(0x42), { ...op(), onKeepalive: (s) => statuses.push(s) });
    expect(reply).toEqual(Uint8Array.from({ length: 150 }, (_, i) => 0x42 ^ i));
    expect(statuses).toEqual([1, 2]);
  });

  test('ERROR carries its code as the status', async () => {
    const d = device(0x04, (_cmd, _payload, dev) => dev.answer(CID, CTAPHID.ERROR, Uint8Array.of(0x0b)));
    const ch = await CtapHidChannel.open(d, op());
    const err = await rejection(ch.transact(CTAPHID.CBOR, Uint8Array.of(4), op()));
    expect([err.kind, err.status]).toEqual(['general', 0x0b]);
    expect(err.message).toMatch(/CTAP1_ERR_INVALID_CHANNEL/);
  });

  test('a busy channel is tried again', async () => {
    let tries = 0;
    const d = device(0x04, (cmd, _payload, dev) => {
      if (++tries < 3) dev.answer(CID, CTAPHID.ERROR, Uint8Array.of(0x06));
      else dev.answer(CID, cmd, Uint8Array.of(0));
    });
    const ch = await CtapHidChannel.open(d, op());
    expect(await ch.transact(CTAPHID.CBOR, Uint8Array.of(4), op())).toEqual(Uint8Array.of(0));
    expect(tries).toBe(3);
  });

  test('an answer to another command', async () => {
    const d = device(0x04, (_cmd, _payload, dev) => dev.answer(CID, CTAPHID.MSG, Uint8Array.of(0x90, 0)));
    const ch = await CtapHidChannel.open(d, op());
    expect((await rejection(ch.transact(CTAPHID.CBOR, Uint8Array.of(4), op()))).message).toMatch(/answered command 0x10 with command 0x3/);
  });

  test('a bad continuation sequence from the device', async () => {
    const d = device(0x04, (cmd, _payload, dev) => {
      const reports = framePackets(CID, cmd, new Uint8Array(100));
      (reports[1] as Uint8Array)[4] = 5;
      dev.push(...reports);
    });
    const ch = await CtapHidChannel.open(d, op());
    expect((await rejection(ch.transact(CTAPHID.CBOR, Uint8Array.of(4), op()))).message).toMatch(/malformed CTAPHID.*sequence 5/);
  });

  test('an oversized length from the device', async () => {
    const d = device(0x04, (cmd, _payload, dev) => {
      const report = framePackets(CID, cmd, new Uint8Array(1))[0] as Uint8Array;
      report.set([0x7f, 0xff], 5);
      dev.push(report);
    });
    const ch = await CtapHidChannel.open(d, op());
    expect((await rejection(ch.transact(CTAPHID.CBOR, Uint8Array.of(4), op()))).message).toMatch(/length 32767 beyond/);
  });

  test('silence ends at the deadline, and a CBOR request is cancelled', async () => {
    const d = device(0x04);
    const ch = await CtapHidChannel.open(d, op());
    const started = Date.now();
    const err = await rejection(ch.transact(CTAPHID.CBOR, Uint8Array.of(4), op(200)));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(d.received.at(-1)?.cmd).toBe(CTAPHID.CANCEL);
  });

  test('a device that never answers INIT', async () => {
    const started = Date.now();
    const err = await rejection(CtapHidChannel.open(new ScriptedDevice(() => undefined), op(150)));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/did not answer/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test('device I/O failures become SecurityKeyErrors', async () => {
    const broken: HidDevice = {
      path: 'broken',
      write: async () => {
        throw new Error('EIO');
      },
      read: async () => undefined,
      close: async () => undefined,
    };
    expect((await rejection(CtapHidChannel.open(broken, op()))).message).toMatch(/broken: cannot write to the security key: EIO/);
  });
});
