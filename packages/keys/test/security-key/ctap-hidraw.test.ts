/**
 * hidraw discovery and I/O. Report descriptors as HID 1.11 §6.2.2 items (the FIDO one as CTAP
 * 2.1 §11.2.8.1 gives it), sysfs discovery over a fake /sys/class/hidraw tree, and the device
 * I/O over a FIFO standing in for /dev/hidrawN (no hidraw node exists on a test machine): the
 * report id prefix on writes, bounded reads, close ending a pending read.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { SecurityKeyError } from '../../src/node/security-key/backend.ts';
import { CtapBackend, isFidoReportDescriptor, listHidrawDevices, openHidraw } from '../../src/node/security-key/ctap/index.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replaceAll(' ', ''), 'hex'));

// Usage Page (FIDO), Usage (CTAPHID), Collection (Application), 64-byte input and output reports.
const FIDO = '06d0f1 0901 a101 0920 1500 26ff00 7508 9540 8102 0921 1500 26ff00 7508 9540 9102 c0';
const KEYBOARD = '0501 0906 a101 0507 19e0 29e7 1500 2501 7501 9508 8102 c0';

describe('report descriptors', () => {
  test.each([
    ['the FIDO descriptor', FIDO, true],
    ['a keyboard', KEYBOARD, false],
    ['a keyboard, then FIDO in a second top-level collection', KEYBOARD + FIDO, true],
    ['an extended (4-byte) usage naming the FIDO page', '0b0100d0f1 a101 c0', true],
    ['FIDO usage nested inside another collection', '0501 0902 a101 06d0f1 0901 a100 c0 c0', false],
    ['FIDO page, another usage', '06d0f1 0902 a101 c0', false],
    ['a long item before the FIDO descriptor', 'fe0200aabb ' + FIDO, true],
    ['cut inside the usage page', '06d0', false],
    ['empty', '', false],
    ['usages are cleared by each main item', '06d0f1 0901 8102 a101 c0', false],
  ])('%s', (_name, desc, expected) => {
    expect(isFidoReportDescriptor(hex(desc))).toBe(expected);
  });
});

const scratch = mkdtempSync(join(tmpdir(), 'ctap-hidraw-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('discovery', () => {
  test('the FIDO hidraw nodes, in number order, unopened', async () => {
    const sys = join(scratch, 'sys');
    const entries: [string, string | undefined][] = [
      ['hidraw10', FIDO],
      ['hidraw0', FIDO],
      ['hidraw1', KEYBOARD],
      ['hidraw2', undefined],
      ['not-hidraw', FIDO],
    ];
    for (const [name, desc] of entries) {
      mkdirSync(join(sys, name, 'device'), { recursive: true });
      if (desc !== undefined) writeFileSync(join(sys, name, 'device', 'report_descriptor'), hex(desc));
    }
    const devices = await listHidrawDevices({ sysClassDir: sys, devDir: '/nowhere' });
    expect(devices.map((d) => d.path)).toEqual(['/nowhere/hidraw0', '/nowhere/hidraw10']);
    // Nothing was opened: closing is harmless, and using one says the node is missing.
    await devices[1]?.close();
    const err = await devices[0]?.write(new Uint8Array(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecurityKeyError);
    expect((err as SecurityKeyError).kind).toBe('device-not-found');
    expect((err as SecurityKeyError).message).toMatch(/no such device/);
  });

  test('no hidraw class at all: nothing found', async () => {
    expect(await listHidrawDevices({ sysClassDir: join(scratch, 'absent') })).toEqual([]);
  });

  test('a named device path that cannot be opened is device-not-found', async () => {
    const backend = new CtapBackend({ timeoutMs: 500 });
    const err = await backend
      .enroll({ alg: 'ecdsa', application: 'ssh:', challenge: new Uint8Array(32), userId: new Uint8Array(32), flags: 1, device: join(scratch, 'hidraw-missing') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecurityKeyError);
    expect((err as SecurityKeyError).kind).toBe('device-not-found');
  });
});

describe('I/O on a FIFO standing in for /dev/hidrawN', () => {
  function fifo(name: string): string {
    const path = join(scratch, name);
    execFileSync('mkfifo', [path]);
    return path;
  }

  test('a write is the report behind report id 0; a read returns what the device sent', async () => {
    const path = fifo('io');
    const dev = openHidraw(path, { pollMs: 2 });
    const report = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    await dev.write(report);
    // The FIFO hands our own write back: 65 bytes, the report id first.
    const first = await dev.read(1_000);
    expect(Array.from(first ?? [])).toEqual([0, ...report.subarray(0, 63)]);
    expect(Array.from((await dev.read(1_000)) ?? [])).toEqual([64]);
    // Another writer plays the device.
    const peer = openSync(path, 'r+');
    const incoming = new Uint8Array(64).fill(0xab);
    setTimeout(() => writeSync(peer, incoming), 30);
    expect(await dev.read(2_000)).toEqual(incoming);
    expect(await dev.read(20)).toBeUndefined();
    await dev.close();
    closeSync(peer);
  });

  test('a read with nothing to read ends at its timeout', async () => {
    const dev = openHidraw(fifo('quiet'), { pollMs: 2 });
    const started = Date.now();
    expect(await dev.read(120)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(Date.now() - started).toBeLessThan(1_000);
    await dev.close();
  });

  test('close ends a pending read at once', async () => {
    const dev = openHidraw(fifo('pending'), { pollMs: 2 });
    await dev.write(new Uint8Array(64)); // opens it
    await dev.read(1_000);
    await dev.read(1_000);
    const started = Date.now();
    const pending = dev.read(60_000);
    setTimeout(() => void dev.close(), 50);
    expect(await pending).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(dev.write(new Uint8Array(64))).rejects.toThrow(/closed/);
  });
});
