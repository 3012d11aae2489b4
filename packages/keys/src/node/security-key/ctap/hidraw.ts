/**
 * FIDO security keys on Linux through hidraw: discovery in sysfs by report descriptor (a
 * top-level collection of usage page 0xF1D0, usage 0x01: FIDO CTAP 2.1 §11.2.8.1), I/O on
 * /dev/hidrawN. The device is opened non-blocking and read by polling, so no read ever sits on
 * a libuv thread waiting for a token that never answers: a read ends at its timeout, and close
 * ends it at once.
 * @module
 */

import { constants } from 'node:fs';
import { type FileHandle, open, readFile, readdir } from 'node:fs/promises';
import { SecurityKeyError } from '../backend.ts';
import { HID_REPORT_SIZE, type HidDevice } from './ctaphid.ts';

const FIDO_USAGE_PAGE = 0xf1d0;
const FIDO_USAGE_CTAPHID = 0x01;

export interface HidrawOptions {
  /** Where the hidraw class lives in sysfs (tests point it at a copy). Default /sys/class/hidraw. */
  readonly sysClassDir?: string;
  /** Where the device nodes are. Default /dev. */
  readonly devDir?: string;
  /** How often a read polls a device with nothing to say (ms). Default 5. */
  readonly pollMs?: number;
}

/**
 * Whether a HID report descriptor declares a FIDO CTAPHID interface: some top-level Collection
 * whose usage is (0xF1D0, 0x01). Short items only matter here; long items are skipped. HID 1.11 §6.2.2.
 */
export function isFidoReportDescriptor(desc: Uint8Array): boolean {
  let usagePage = 0;
  let depth = 0;
  let usages: { value: number; extended: boolean }[] = [];
  for (let i = 0; i < desc.length; ) {
    const prefix = desc[i] as number;
    if (prefix === 0xfe) {
      i += 3 + (desc[i + 1] ?? 0);
      continue;
    }
    const size = [0, 1, 2, 4][prefix & 3] as number;
    if (i + 1 + size > desc.length) return false;
    let value = 0;
    for (let k = size - 1; k >= 0; k--) value = value * 256 + (desc[i + 1 + k] as number);
    const type = (prefix >> 2) & 3;
    const tag = prefix >> 4;
    if (type === 1 && tag === 0) usagePage = value;
    else if (type === 2 && tag === 0) usages.push({ value, extended: size === 4 });
    else if (type === 0) {
      if (tag === 0xa) {
        if (depth === 0) {
          for (const u of usages) {
            const page = u.extended ? Math.floor(u.value / 0x10000) : usagePage;
            const id = u.extended ? u.value & 0xffff : u.value;
            if (page === FIDO_USAGE_PAGE && id === FIDO_USAGE_CTAPHID) return true;
          }
        }
        depth++;
      } else if (tag === 0xc) {
        depth = Math.max(0, depth - 1);
      }
      usages = [];
    }
    i += 1 + size;
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** A /dev/hidrawN node, opened on first use. */
class HidrawDevice implements HidDevice {
  readonly path: string;
  private readonly pollMs: number;
  private handle: Promise<FileHandle> | undefined;
  private closed = false;

  constructor(path: string, pollMs: number) {
    this.path = path;
    this.pollMs = pollMs;
  }

  private file(): Promise<FileHandle> {
    if (this.closed) return Promise.reject(new SecurityKeyError('general', `${this.path}: the device is closed`));
    this.handle ??= open(this.path, constants.O_RDWR | constants.O_NONBLOCK).catch((cause: unknown) => {
      const code = errnoOf(cause);
      const why =
        code === 'EACCES' || code === 'EPERM'
          ? 'permission denied (FIDO devices need a udev rule giving the user access, such as the one libfido2 ships)'
          : code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO'
            ? 'no such device (unplugged?)'
            : (cause as Error).message;
      throw new SecurityKeyError('device-not-found', `cannot open security key ${this.path}: ${why}`, { cause });
    });
    return this.handle;
  }

  async write(report: Uint8Array): Promise<void> {
    const handle = await this.file();
    // hidraw takes the report id first; FIDO devices have no numbered reports, so it is 0.
    const out = Buffer.alloc(HID_REPORT_SIZE + 1);
    out.set(report.subarray(0, HID_REPORT_SIZE), 1);
    for (let tries = 0; ; tries++) {
      try {
        const { bytesWritten } = await handle.write(out, 0, out.length, null);
        if (bytesWritten !== out.length) throw new SecurityKeyError('general', `${this.path}: short write (${bytesWritten} of ${out.length} bytes)`);
        return;
      } catch (err) {
        if (errnoOf(err) !== 'EAGAIN' || tries >= 100 || this.closed) throw err;
        await sleep(this.pollMs);
      }
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    const until = Date.now() + timeoutMs;
    const handle = await this.file();
    const buf = Buffer.alloc(HID_REPORT_SIZE);
    for (;;) {
      if (this.closed) return undefined;
      try {
        const { bytesRead } = await handle.read(buf, 0, HID_REPORT_SIZE, null);
        if (bytesRead > 0) return new Uint8Array(buf.subarray(0, bytesRead));
      } catch (err) {
        if (this.closed) return undefined;
        if (errnoOf(err) !== 'EAGAIN') throw err;
      }
      const left = until - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(this.pollMs, left));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.then((h) => h.close()).catch(() => undefined);
  }
}

/** A hidraw device by path (`/dev/hidraw3`), opened when first used. */
export function openHidraw(path: string, options: HidrawOptions = {}): HidDevice {
  return new HidrawDevice(path, options.pollMs ?? 5);
}

/**
 * The FIDO devices among /dev/hidraw*, in hidraw order; none on a system without hidraw (any
 * other platform). Nothing is opened until used.
 */
export async function listHidrawDevices(options: HidrawOptions = {}): Promise<HidDevice[]> {
  const sysClassDir = options.sysClassDir ?? '/sys/class/hidraw';
  const devDir = options.devDir ?? '/dev';
  let names: string[];
  try {
    names = await readdir(sysClassDir);
  } catch {
    return [];
  }
  names = names.filter((n) => /^hidraw\d+$/.test(n)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const found: HidDevice[] = [];
  for (const name of names) {
    let desc: Uint8Array;
    try {
      desc = await readFile(`${sysClassDir}/${name}/device/report_descriptor`);
    } catch {
      continue; // gone since readdir, or not readable: not a device we can use either way
    }
    if (isFidoReportDescriptor(desc)) found.push(openHidraw(`${devDir}/${name}`, options));
  }
  return found;
}
