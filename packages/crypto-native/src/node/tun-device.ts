/**
 * TUN/TAP devices through the binding's ssh_tun_device module (Linux): open a device, get its
 * packets as they arrive (read on a native thread, so an idle device holds no libuv thread), and
 * write packets to it. Used by @ssh/asyncssh for tun@openssh.com forwarding.
 * @module
 */

import { createRequire } from 'node:module';

const MODULE = '../../build/Release/ssh_tun_device.node';

/** A handle of the reader thread (opaque). */
interface TunHandle {
  readonly __brand: 'TunHandle';
}

interface TunModule {
  tunOpen(mode: number, unit: number): { fd: number; name: string; unit: number };
  tunStart(fd: number, callback: (packet: Buffer | null, errno: number) => void): TunHandle;
  tunWrite(handle: TunHandle, packet: Uint8Array): number;
  tunClose(handle: TunHandle): void;
}

/** Why a device could not be opened: `code` is an errno name (EPERM, ENOENT, EBUSY...) or ERR_SSH_TUN_UNAVAILABLE. */
export class TunTapDeviceError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'TunTapDeviceError';
  }
}

let loaded: { readonly module: TunModule | undefined; readonly reason: string } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') return (loaded = { module: undefined, reason: `TUN/TAP devices are supported on Linux only, not ${process.platform}` });
  try {
    return (loaded = { module: createRequire(import.meta.url)(MODULE) as TunModule, reason: 'loaded' });
  } catch (cause) {
    return (loaded = { module: undefined, reason: `not built (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})` });
  }
}

/** Whether TUN/TAP devices can be opened here, as far as the binding goes (privileges are checked on open). */
export function tunTapStatus(): { readonly available: boolean; readonly reason: string } {
  const { module, reason } = load();
  return { available: module !== undefined, reason };
}

export interface TunTapDeviceOptions {
  /** 1: TUN (layer 3, IP packets); 2: TAP (layer 2, Ethernet frames). */
  readonly mode: 1 | 2;
  /** tunN / tapN; undefined for the next free unit. */
  readonly unit?: number | undefined;
  /** Each packet read from the device, in a buffer of its own. */
  readonly onPacket: (packet: Uint8Array) => void;
  /** Reading failed (the device went away); no more packets come. */
  readonly onError?: (error: TunTapDeviceError) => void;
}

/** An open TUN or TAP device. Closing it removes a device that it created. */
export interface TunTapDevice {
  readonly name: string;
  readonly unit: number;
  readonly mode: 1 | 2;
  /** Writes one packet; false when the device refused it (or is closed). */
  write(packet: Uint8Array): boolean;
  close(): void;
  readonly closed: boolean;
}

function errnoError(err: unknown): TunTapDeviceError {
  const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'EUNKNOWN';
  return new TunTapDeviceError(code, err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * Opens /dev/net/tun as tunN or tapN (or the next free unit) and starts reading it. Needs
 * CAP_NET_ADMIN unless the device exists and belongs to the user. Throws TunTapDeviceError:
 * ERR_SSH_TUN_UNAVAILABLE without the binding (or off Linux), else the errno name (ENOENT without
 * /dev/net/tun, EPERM without the privilege, EBUSY for a unit in use).
 */
export function openTunTapDevice(options: TunTapDeviceOptions): TunTapDevice {
  const { module, reason } = load();
  if (module === undefined) throw new TunTapDeviceError('ERR_SSH_TUN_UNAVAILABLE', `TUN/TAP devices are unavailable: ${reason}`);
  const unit = options.unit;
  if (unit !== undefined && (!Number.isInteger(unit) || unit < 0 || unit >= 0x7fff_ffff)) throw new RangeError(`tunnel unit must be 0 to ${0x7fff_fffe}, not ${unit}`);
  if (options.mode !== 1 && options.mode !== 2) throw new RangeError(`tunnel mode must be 1 or 2, not ${String(options.mode)}`);
  let opened: { fd: number; name: string; unit: number };
  try {
    opened = module.tunOpen(options.mode, unit ?? -1);
  } catch (err) {
    throw errnoError(err);
  }
  let closed = false;
  let handle: TunHandle;
  try {
    handle = module.tunStart(opened.fd, (packet, errno) => {
      if (closed) return;
      if (packet !== null) options.onPacket(packet);
      else if (errno !== 0) {
        closed = true;
        options.onError?.(new TunTapDeviceError('EIO', `reading ${opened.name} failed (errno ${errno})`));
      }
    });
  } catch (err) {
    throw errnoError(err);
  }
  return {
    name: opened.name,
    unit: opened.unit,
    mode: options.mode,
    get closed() {
      return closed;
    },
    write(packet) {
      if (closed) return false;
      return module.tunWrite(handle, packet) === packet.length;
    },
    close() {
      if (closed) return;
      closed = true;
      module.tunClose(handle);
    },
  };
}
